// expect-fail: bridge-up
// Wrong: creates the bridge and its ports but never sets the bridge up: a bridge that is down forwards nothing.
package main

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

const (
	netnsDir = "/run/netns"
	prefix   = "10.200.24." // netns1 gets .1, netns2 .2, on a /24
)

func sysSetns() uintptr {
	switch runtime.GOARCH {
	case "amd64":
		return 308
	case "arm64", "riscv64", "loong64":
		return 268
	}
	panic("setns: add the syscall number for " + runtime.GOARCH)
}

func main() {
	count := flag.Int("c", 3, "echo requests to send")
	bridge := flag.String("bridge", "ptbr0", "the bridge joining the two namespaces (at most 13 characters)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: ping-test [-c COUNT] [-bridge NAME] <netns1> <netns2>")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 2 || *count < 1 || len(*bridge) == 0 || len(*bridge) > 13 || flag.Arg(0) == flag.Arg(1) {
		flag.Usage()
		os.Exit(2)
	}
	ns := []string{flag.Arg(0), flag.Arg(1)}

	if err := setup(*bridge, ns); err != nil {
		fmt.Fprintln(os.Stderr, "ping-test:", err)
		os.Exit(1)
	}
	dst := prefix + "2"
	fmt.Printf("PING %s from %s1 (eth0 in %s) over bridge %s\n", dst, prefix, ns[0], *bridge)
	st, err := pingFrom(ns[0], dst, *count)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ping-test:", err)
		os.Exit(1)
	}
	fmt.Printf("--- %s ping statistics ---\n", dst)
	loss := 100 * float64(st.sent-len(st.rtts)) / float64(st.sent)
	fmt.Printf("%d packets transmitted, %d received, %.0f%% packet loss\n", st.sent, len(st.rtts), loss)
	if len(st.rtts) > 0 {
		lo, hi, sum := st.rtts[0], st.rtts[0], time.Duration(0)
		for _, d := range st.rtts {
			if d < lo {
				lo = d
			}
			if d > hi {
				hi = d
			}
			sum += d
		}
		avg := sum / time.Duration(len(st.rtts))
		fmt.Printf("rtt min/avg/max = %.3f/%.3f/%.3f ms\n", ms(lo), ms(avg), ms(hi))
	}
	fmt.Printf("left up for inspection; remove with: ip netns delete %s; ip netns delete %s; ip link delete %s\n", ns[0], ns[1], *bridge)
	if len(st.rtts) < st.sent {
		os.Exit(1)
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// ip runs ip(8) and turns a failure into an error that says which command failed.
func ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func setup(bridge string, ns []string) error {
	for _, n := range ns {
		if n == "" || n == "." || n == ".." || strings.Contains(n, "/") {
			return fmt.Errorf("invalid namespace name %q", n)
		}
		// An existing namespace is used as it is: whatever is inside (a firewall rule, say)
		// is part of what is being tested.
		if !exists(filepath.Join(netnsDir, n)) {
			if err := ip("netns", "add", n); err != nil {
				return err
			}
		}
		if err := ip("-n", n, "link", "set", "lo", "up"); err != nil {
			return err
		}
	}

	if !exists(filepath.Join("/sys/class/net", bridge)) {
		if err := ip("link", "add", bridge, "type", "bridge"); err != nil {
			return err
		}
	} else if !exists(filepath.Join("/sys/class/net", bridge, "bridge")) {
		return fmt.Errorf("%s exists and is not a bridge", bridge)
	}

	var ports []string
	for i, n := range ns {
		host := fmt.Sprintf("%s-%d", bridge, i+1)
		addr := fmt.Sprintf("%s%d/24", prefix, i+1)
		// A pair left by an earlier run: deleting one end deletes the other.
		if exists(filepath.Join("/sys/class/net", host)) {
			if err := ip("link", "delete", host); err != nil {
				return err
			}
		}
		// Created with its peer directly inside the namespace, named eth0 there.
		steps := [][]string{
			{"link", "add", host, "type", "veth", "peer", "name", "eth0", "netns", n},
			{"link", "set", host, "master", bridge},
			{"link", "set", host, "up"},
			{"-n", n, "addr", "add", addr, "dev", "eth0"},
			{"-n", n, "link", "set", "eth0", "up"},
		}
		for _, s := range steps {
			if err := ip(s...); err != nil {
				return err
			}
		}
		ports = append(ports, host)
	}
	return waitForwarding(ports)
}

// waitForwarding waits until both ports forward frames. A port starts forwarding once it
// is up and has carrier (its peer is up too), which the kernel notices a moment later
// (linkwatch); until then, the first ARP request would simply be dropped.
func waitForwarding(ports []string) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		ready := true
		for _, p := range ports {
			oper, _ := os.ReadFile(filepath.Join("/sys/class/net", p, "operstate"))
			state, _ := os.ReadFile(filepath.Join("/sys/class/net", p, "brport/state"))
			// brport/state: 0 disabled, 1 listening, 2 learning, 3 forwarding, 4 blocking.
			if strings.TrimSpace(string(oper)) != "up" || strings.TrimSpace(string(state)) != "3" {
				ready = false
			}
		}
		if ready {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bridge ports %s not forwarding after 5 s", strings.Join(ports, ", "))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type stats struct {
	sent int
	rtts []time.Duration
}

// pingFrom sends count echo requests to dst from inside the namespace ns.
//
// The raw ICMP socket is opened after setns(2), on the same locked thread, so it belongs to
// ns: its packets leave through ns's routes and eth0, and only ICMP arriving in ns is read
// from it. (The goroutine never unlocks; its thread ends when it returns.)
func pingFrom(ns, dst string, count int) (stats, error) {
	f, err := os.Open(filepath.Join(netnsDir, ns))
	if errors.Is(err, fs.ErrNotExist) {
		return stats{}, fmt.Errorf("network namespace %q does not exist", ns)
	}
	if err != nil {
		return stats{}, err
	}
	defer f.Close()

	type result struct {
		st  stats
		err error
	}
	done := make(chan result)
	go func() {
		runtime.LockOSThread()
		if _, _, e := syscall.RawSyscall(sysSetns(), f.Fd(), syscall.CLONE_NEWNET, 0); e != 0 {
			done <- result{err: fmt.Errorf("setns %s: %w", f.Name(), e)}
			return
		}
		st, err := echo(dst, count)
		done <- result{st, err}
	}()
	r := <-done
	return r.st, r.err
}

// echo: ICMP echo request (type 8) and reply (type 0), RFC 792. A raw "ip4:icmp" socket
// needs CAP_NET_RAW; it receives every ICMP packet arriving in the namespace, so replies
// are matched on identifier and sequence number. Go strips the IPv4 header on reading.
func echo(dst string, count int) (stats, error) {
	c, err := net.ListenPacket("ip4:icmp", "0.0.0.0")
	if err != nil {
		return stats{}, fmt.Errorf("ICMP socket: %w", err)
	}
	defer c.Close()
	to := &net.IPAddr{IP: net.ParseIP(dst)}
	id := uint16(os.Getpid())
	var st stats
	buf := make([]byte, 1500)
	for seq := 1; seq <= count; seq++ {
		if seq > 1 {
			time.Sleep(200 * time.Millisecond)
		}
		msg := make([]byte, 8+56) // header + 56 bytes of payload, as ping sends
		msg[0] = 8                // echo request; code 0
		binary.BigEndian.PutUint16(msg[4:], id)
		binary.BigEndian.PutUint16(msg[6:], uint16(seq))
		for i := 8; i < len(msg); i++ {
			msg[i] = byte(i)
		}
		binary.BigEndian.PutUint16(msg[2:], checksum(msg))
		sent := time.Now()
		if _, err := c.WriteTo(msg, to); err != nil {
			return st, fmt.Errorf("send to %s: %w", dst, err)
		}
		st.sent++
		c.SetReadDeadline(sent.Add(time.Second))
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil { // the deadline: this one is lost
				fmt.Printf("no reply for icmp_seq=%d within 1 s\n", seq)
				break
			}
			b := buf[:n]
			if n < 8 || b[0] != 0 || from.String() != dst ||
				binary.BigEndian.Uint16(b[4:]) != id || binary.BigEndian.Uint16(b[6:]) != uint16(seq) {
				continue // someone else's ICMP, or a late reply
			}
			rtt := time.Since(sent)
			st.rtts = append(st.rtts, rtt)
			fmt.Printf("%d bytes from %s: icmp_seq=%d time=%.3f ms\n", n, dst, seq, ms(rtt))
			break
		}
	}
	return st, nil
}

// checksum: the Internet checksum (RFC 1071), the 16-bit ones' complement of the ones'
// complement sum, over the whole ICMP message with its checksum field zero.
func checksum(b []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}
