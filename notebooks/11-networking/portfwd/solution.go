// portfwd <host-port> <container-ip:port>
// Publishes a container's TCP port on the host, like `docker run -p <host-port>:<port>`:
// DNAT rules in the nat table send connections addressed to the host's <host-port> to
// <container-ip:port>. Two hooks, because packets meet the nat table in two places:
// PREROUTING for those arriving from other machines, OUTPUT for those the host itself sends.
// A connection to 127.0.0.1 needs two more things (route_localnet, and a source NAT) because
// a loopback address may not leave the host.
//
// iptables(8) is run with os/exec, as Docker does; sysctls are files under /proc/sys.
package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: portfwd <host-port> <container-ip:port>")
		os.Exit(2)
	}
	if err := forward(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "portfwd:", err)
		os.Exit(1)
	}
}

func port(s string) (string, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("%q is not a port (1-65535)", s)
	}
	return strconv.Itoa(n), nil
}

func forward(hostPortArg, target string) error {
	hostPort, err := port(hostPortArg)
	if err != nil {
		return err
	}
	ipArg, portArg, err := net.SplitHostPort(target)
	if err != nil {
		return fmt.Errorf("%q is not <container-ip:port>: %w", target, err)
	}
	ip := net.ParseIP(ipArg).To4()
	if ip == nil {
		return fmt.Errorf("%q is not an IPv4 address", ipArg)
	}
	ctrPort, err := port(portArg)
	if err != nil {
		return err
	}
	to := ip.String() + ":" + ctrPort

	// Only connections addressed to one of the host's own addresses (addrtype LOCAL):
	// without it, a connection to port <host-port> of *any* machine, passing through the
	// host or made by it, would be hijacked to the container.
	dnat := []string{"-p", "tcp", "-m", "addrtype", "--dst-type", "LOCAL",
		"--dport", hostPort, "-j", "DNAT", "--to-destination", to}
	// From other machines: rewritten as the packet arrives, before the routing decision.
	if err := ensure("nat", "PREROUTING", dnat...); err != nil {
		return err
	}
	// From the host itself: locally made packets skip PREROUTING; they meet nat in OUTPUT.
	if err := ensure("nat", "OUTPUT", dnat...); err != nil {
		return err
	}

	// From the host to 127.0.0.1:<host-port>: after DNAT the packet still has source
	// 127.0.0.1, and the kernel refuses to route a loopback address out of a real interface
	// (a "martian") unless route_localnet is on for it. Then the container would answer
	// 127.0.0.1, its own loopback: so masquerade the source to the host's address there.
	dev, err := interfaceTowards(ip)
	if err != nil {
		return err
	}
	sysctl := "/proc/sys/net/ipv4/conf/" + dev + "/route_localnet"
	if err := os.WriteFile(sysctl, []byte("1\n"), 0o644); err != nil {
		return fmt.Errorf("route_localnet: %w", err)
	}
	return ensure("nat", "POSTROUTING", "-s", "127.0.0.0/8", "-d", ip.String(),
		"-p", "tcp", "--dport", ctrPort, "-j", "MASQUERADE")
}

// interfaceTowards names the interface whose own subnet holds ip (the containers' bridge),
// so that route_localnet is turned on there only; "all" if the container is further away.
func interfaceTowards(ip net.IP) (string, error) {
	ifaces, err := net.Interfaces()
	if err != nil {
		return "", err
	}
	for _, i := range ifaces {
		addrs, _ := i.Addrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && n.Contains(ip) && !n.IP.Equal(ip) {
				return i.Name, nil
			}
		}
	}
	return "all", nil
}

// ensure appends a rule unless it is already there (iptables -C): running twice adds nothing.
func ensure(table, chain string, rule ...string) error {
	if exec.Command("iptables", append([]string{"-t", table, "-C", chain}, rule...)...).Run() == nil {
		return nil
	}
	args := append([]string{"-t", table, "-A", chain}, rule...)
	out, err := exec.Command("iptables", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("iptables %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
