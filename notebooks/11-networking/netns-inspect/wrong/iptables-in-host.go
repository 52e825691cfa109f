// expect-fail: json-iptables
// Wrong: runs iptables-save after the goroutine that joined the namespace has returned, from the main thread: it shows the host's rules, not the namespace's.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"unsafe"
)

const netnsDir = "/run/netns" // where `ip netns add` bind-mounts its namespaces

// Go's frozen syscall package has no Setns and, on amd64, not even its number.
func sysSetns() uintptr {
	switch runtime.GOARCH {
	case "amd64":
		return 308
	case "arm64", "riscv64", "loong64":
		return 268
	}
	panic("setns: add the syscall number for " + runtime.GOARCH)
}

// The JSON printed with --json (its schema is in the lesson).
type Report struct {
	Name       string              `json:"name"`
	Interfaces []Interface         `json:"interfaces"`
	Routes     []Route             `json:"routes"`
	Iptables   map[string][]string `json:"iptables"` // table -> its rules, as iptables-save prints them
}

type Interface struct {
	Index     int      `json:"index"`
	Name      string   `json:"name"`
	Type      string   `json:"type"`  // the link kind (veth, bridge…), else the link type (loopback, ether)
	State     string   `json:"state"` // the operational state: UP, DOWN, LOWERLAYERDOWN, UNKNOWN…
	MAC       string   `json:"mac"`
	MTU       int      `json:"mtu"`
	Master    string   `json:"master,omitempty"` // the bridge this interface is a port of
	Addresses []string `json:"addresses"`        // CIDR: 10.200.23.2/26, fe80::1/64
}

type Route struct {
	Dst     string `json:"dst"` // "default" or a CIDR (always with its prefix length)
	Gateway string `json:"gateway,omitempty"`
	Dev     string `json:"dev,omitempty"`
	Src     string `json:"src,omitempty"` // the preferred source address
	Scope   string `json:"scope"`
	Type    string `json:"type"` // unicast, blackhole, unreachable…
}

func main() {
	var name string
	asJSON := false
	for _, a := range os.Args[1:] {
		switch {
		case a == "--json" || a == "-json":
			asJSON = true
		case name == "" && !strings.HasPrefix(a, "-"):
			name = a
		default:
			usage()
		}
	}
	if name == "" {
		usage()
	}
	rep, err := inspect(name)
	if err != nil {
		fmt.Fprintln(os.Stderr, "netns-inspect:", err)
		os.Exit(1)
	}
	if asJSON {
		out, _ := json.MarshalIndent(rep, "", "  ")
		fmt.Println(string(out))
		return
	}
	printHuman(rep)
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: netns-inspect <name> [--json]")
	os.Exit(2)
}

// nsPath: a name in /run/netns, or a path to any network namespace file.
func nsPath(name string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	if name == "." || name == ".." {
		return "", fmt.Errorf("invalid name %q", name)
	}
	return filepath.Join(netnsDir, name), nil
}

// inspect gathers everything inside the namespace, on a thread of its own.
//
// setns(2) changes only the calling thread. The goroutine locks itself to its thread and
// never unlocks: when it returns, the Go runtime ends that thread instead of handing it,
// still in the other namespace, to some other goroutine.
func inspect(name string) (*Report, error) {
	path, err := nsPath(name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("network namespace %q does not exist (%s)", name, path)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Found in our own namespace: looking up a file does not depend on the network one.
	iptablesSave, lookErr := exec.LookPath("iptables-save")

	type result struct {
		rep *Report
		err error
	}
	done := make(chan result)
	go func() {
		runtime.LockOSThread()
		// CLONE_NEWNET: the kernel refuses (EINVAL) a file that is not a network namespace.
		if _, _, e := syscall.RawSyscall(sysSetns(), f.Fd(), syscall.CLONE_NEWNET, 0); e != 0 {
			if e == syscall.EINVAL {
				done <- result{nil, fmt.Errorf("%s is not a network namespace", path)}
			} else {
				done <- result{nil, fmt.Errorf("setns %s: %w", path, e)}
			}
			return
		}
		rep := &Report{Name: name, Iptables: map[string][]string{}}
		var err error
		if rep.Interfaces, err = links(); err != nil {
			done <- result{nil, err}
			return
		}
		if rep.Routes, err = routes(rep.Interfaces); err != nil {
			done <- result{nil, err}
			return
		}
		done <- result{rep, nil}
	}()
	r := <-done
	if r.err != nil {
		return nil, r.err
	}
	if lookErr != nil {
		fmt.Fprintln(os.Stderr, "netns-inspect: no iptables-save, rules not shown:", lookErr)
	} else if r.rep.Iptables, err = rules(iptablesSave); err != nil {
		return nil, err
	}
	return r.rep, nil
}

// dump sends one rtnetlink dump request (RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE) and returns
// the messages of the answer. NetlinkRIB opens its NETLINK_ROUTE socket right here, on the
// calling thread: in the namespace that thread is in.
func dump(req, family int) ([]syscall.NetlinkMessage, error) {
	b, err := syscall.NetlinkRIB(req, family)
	if err != nil {
		return nil, fmt.Errorf("netlink dump %d: %w", req, err)
	}
	return syscall.ParseNetlinkMessage(b)
}

// Attributes nested inside another one (IFLA_LINKINFO holds IFLA_INFO_KIND): the same
// length-type-value layout, each padded to 4 bytes.
func nested(b []byte) map[uint16][]byte {
	out := map[uint16][]byte{}
	for len(b) >= 4 {
		l := int(*(*uint16)(unsafe.Pointer(&b[0])))
		typ := *(*uint16)(unsafe.Pointer(&b[2])) & 0x3fff // without NLA_F_NESTED / NLA_F_NET_BYTEORDER
		if l < 4 || l > len(b) {
			break
		}
		out[typ] = b[4:l]
		l = (l + 3) &^ 3
		if l > len(b) {
			break
		}
		b = b[l:]
	}
	return out
}

func cstring(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

func u32(b []byte) uint32 { return *(*uint32)(unsafe.Pointer(&b[0])) } // netlink: host byte order

// RFC 2863 operational states, as the kernel reports them in IFLA_OPERSTATE.
var operStates = []string{"UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP"}

// Link types (ARPHRD_*, in ifinfomsg.ifi_type) of links that have no kind.
var linkTypes = map[uint16]string{1: "ether", 772: "loopback", 776: "sit", 778: "gre", 65534: "none"}

func links() ([]Interface, error) {
	msgs, err := dump(syscall.RTM_GETLINK, syscall.AF_UNSPEC)
	if err != nil {
		return nil, err
	}
	var ifs []Interface
	masters := map[int]int{} // interface index -> its master's index
	for i := range msgs {
		m := &msgs[i]
		if m.Header.Type != syscall.RTM_NEWLINK || len(m.Data) < syscall.SizeofIfInfomsg {
			continue
		}
		info := (*syscall.IfInfomsg)(unsafe.Pointer(&m.Data[0]))
		attrs, err := syscall.ParseNetlinkRouteAttr(m)
		if err != nil {
			return nil, err
		}
		it := Interface{Index: int(info.Index), Addresses: []string{}}
		it.Type = linkTypes[info.Type]
		if it.Type == "" {
			it.Type = fmt.Sprintf("arphrd-%d", info.Type)
		}
		for _, a := range attrs {
			switch a.Attr.Type {
			case syscall.IFLA_IFNAME:
				it.Name = cstring(a.Value)
			case syscall.IFLA_ADDRESS:
				it.MAC = net.HardwareAddr(a.Value).String()
			case syscall.IFLA_MTU:
				it.MTU = int(u32(a.Value))
			case syscall.IFLA_OPERSTATE:
				if s := int(a.Value[0]); s < len(operStates) {
					it.State = operStates[s]
				}
			case syscall.IFLA_MASTER:
				masters[it.Index] = int(u32(a.Value))
			case syscall.IFLA_LINKINFO:
				if kind := nested(a.Value)[1]; kind != nil { // IFLA_INFO_KIND: "veth", "bridge"…
					it.Type = cstring(kind)
				}
			}
		}
		ifs = append(ifs, it)
	}
	byIndex := map[int]*Interface{}
	for i := range ifs {
		byIndex[ifs[i].Index] = &ifs[i]
	}
	for idx, master := range masters {
		if m := byIndex[master]; m != nil {
			byIndex[idx].Master = m.Name
		}
	}

	msgs, err = dump(syscall.RTM_GETADDR, syscall.AF_UNSPEC)
	if err != nil {
		return nil, err
	}
	for i := range msgs {
		m := &msgs[i]
		if m.Header.Type != syscall.RTM_NEWADDR || len(m.Data) < syscall.SizeofIfAddrmsg {
			continue
		}
		ifa := (*syscall.IfAddrmsg)(unsafe.Pointer(&m.Data[0]))
		attrs, err := syscall.ParseNetlinkRouteAttr(m)
		if err != nil {
			return nil, err
		}
		// IFA_LOCAL is the interface's own address; IFA_ADDRESS is the same except on
		// point-to-point links (where it is the peer's), and IPv6 sends only IFA_ADDRESS.
		var ip net.IP
		for _, a := range attrs {
			if a.Attr.Type == syscall.IFA_LOCAL || (a.Attr.Type == syscall.IFA_ADDRESS && ip == nil) {
				ip = net.IP(a.Value)
			}
		}
		if it := byIndex[int(ifa.Index)]; it != nil && ip != nil {
			it.Addresses = append(it.Addresses, fmt.Sprintf("%s/%d", ip, ifa.Prefixlen))
		}
	}
	return ifs, nil
}

var scopes = map[uint8]string{0: "global", 200: "site", 253: "link", 254: "host", 255: "nowhere"}
var routeTypes = []string{"unspec", "unicast", "local", "broadcast", "anycast", "multicast", "blackhole", "unreachable", "prohibit", "throw", "nat"}

// routes: the IPv4 main table, what `ip route` shows. (The dump holds every table: the local
// table's routes — one per local and broadcast address — are the kernel's own.)
func routes(ifs []Interface) ([]Route, error) {
	names := map[uint32]string{}
	for _, it := range ifs {
		names[uint32(it.Index)] = it.Name
	}
	msgs, err := dump(syscall.RTM_GETROUTE, syscall.AF_INET)
	if err != nil {
		return nil, err
	}
	rs := []Route{}
	for i := range msgs {
		m := &msgs[i]
		if m.Header.Type != syscall.RTM_NEWROUTE || len(m.Data) < syscall.SizeofRtMsg {
			continue
		}
		rtm := (*syscall.RtMsg)(unsafe.Pointer(&m.Data[0]))
		attrs, err := syscall.ParseNetlinkRouteAttr(m)
		if err != nil {
			return nil, err
		}
		table := uint32(rtm.Table)
		r := Route{Dst: "default", Scope: scopes[rtm.Scope]}
		if int(rtm.Type) < len(routeTypes) {
			r.Type = routeTypes[rtm.Type]
		}
		if rtm.Dst_len > 0 {
			r.Dst = fmt.Sprintf("0.0.0.0/%d", rtm.Dst_len)
		}
		for _, a := range attrs {
			switch a.Attr.Type {
			case syscall.RTA_TABLE: // tables above 255 only fit here
				table = u32(a.Value)
			case syscall.RTA_DST:
				r.Dst = fmt.Sprintf("%s/%d", net.IP(a.Value), rtm.Dst_len)
			case syscall.RTA_GATEWAY:
				r.Gateway = net.IP(a.Value).String()
			case syscall.RTA_OIF:
				r.Dev = names[u32(a.Value)]
			case syscall.RTA_PREFSRC:
				r.Src = net.IP(a.Value).String()
			}
		}
		if table == syscall.RT_TABLE_MAIN {
			rs = append(rs, r)
		}
	}
	return rs, nil
}

// rules runs iptables-save — forked from this thread, so inside the namespace — and keeps,
// per table, the rules (the "-A chain …" lines).
func rules(iptablesSave string) (map[string][]string, error) {
	var out, errOut bytes.Buffer
	cmd := exec.Command(iptablesSave)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("iptables-save: %v: %s", err, strings.TrimSpace(errOut.String()))
	}
	tables := map[string][]string{}
	table := ""
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "*"):
			table = line[1:]
			tables[table] = []string{}
		case strings.HasPrefix(line, "-A ") && table != "":
			tables[table] = append(tables[table], line)
		}
	}
	return tables, sc.Err()
}

func printHuman(r *Report) {
	fmt.Printf("network namespace %s\n\ninterfaces:\n", r.Name)
	for _, it := range r.Interfaces {
		extra := ""
		if it.Master != "" {
			extra = "  master " + it.Master
		}
		fmt.Printf("  %d: %s  %s  %s  %s  mtu %d%s\n", it.Index, it.Name, it.Type, it.State, it.MAC, it.MTU, extra)
		for _, a := range it.Addresses {
			fmt.Printf("       %s\n", a)
		}
	}
	fmt.Printf("\nroutes (main table):\n")
	if len(r.Routes) == 0 {
		fmt.Println("  (none)")
	}
	for _, rt := range r.Routes {
		line := rt.Dst
		if rt.Type != "unicast" {
			line = rt.Type + " " + line
		}
		if rt.Gateway != "" {
			line += " via " + rt.Gateway
		}
		if rt.Dev != "" {
			line += " dev " + rt.Dev
		}
		if rt.Scope != "global" {
			line += " scope " + rt.Scope
		}
		if rt.Src != "" {
			line += " src " + rt.Src
		}
		fmt.Println("  " + line)
	}
	fmt.Printf("\niptables:\n")
	if len(r.Iptables) == 0 {
		fmt.Println("  (no tables)")
	}
	var tables []string
	for table := range r.Iptables {
		tables = append(tables, table)
	}
	sort.Strings(tables)
	for _, table := range tables {
		rules := r.Iptables[table]
		fmt.Printf("  *%s\n", table)
		if len(rules) == 0 {
			fmt.Println("    (no rules)")
		}
		for _, rule := range rules {
			fmt.Println("    " + rule)
		}
	}
}
