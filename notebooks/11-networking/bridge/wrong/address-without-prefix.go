// expect-fail: bridge-address
// Wrong: adds the gateway address without its prefix (10.200.18.1, a /32): no connected route to the subnet, so the hosts on the bridge get no answer.
package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
)

const ipForward = "/proc/sys/net/ipv4/ip_forward"

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: bridge <name> <subnet>")
		os.Exit(2)
	}
	if err := setup(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "bridge:", err)
		os.Exit(1)
	}
}

func setup(name, subnet string) error {
	if name == "" || len(name) > 15 || strings.ContainsAny(name, "/ ") {
		return fmt.Errorf("invalid interface name %q (1 to 15 characters, no '/' or space)", name)
	}
	gw, err := firstHost(subnet)
	if err != nil {
		return err
	}

	if err := ip("link", "add", "name", name, "type", "bridge"); err != nil {
		return err
	}
	// The bridge device is also the host's own port on the switch: its address is the
	// host's address in the subnet. With the prefix, the kernel adds the connected route
	// "10.200.18.0/24 dev <name>" — without it (a /32) nothing is reachable through it.
	err = ip("addr", "add", gw, "dev", name)
	if err == nil {
		// A new bridge is down; a down bridge forwards nothing between its ports.
		err = ip("link", "set", name, "up")
	}
	if err == nil {
		// Routing between interfaces (the bridge and, later, the way out) is off by default.
		// This is the namespace's switch: /proc/sys/net belongs to the reader's namespace.
		err = os.WriteFile(ipForward, []byte("1\n"), 0o644)
	}
	if err != nil {
		ip("link", "delete", name) // leave nothing half made
		return err
	}
	return nil
}

// firstHost turns "10.200.18.0/24" into "10.200.18.1/24": the first address after the
// network address, with the subnet's prefix length.
func firstHost(subnet string) (string, error) {
	addr, network, err := net.ParseCIDR(subnet)
	if err != nil {
		return "", fmt.Errorf("invalid subnet %q: want CIDR such as 10.200.18.0/24", subnet)
	}
	base := network.IP.To4()
	if base == nil {
		return "", fmt.Errorf("%s is not an IPv4 subnet", subnet)
	}
	ones, _ := network.Mask.Size()
	if ones > 30 {
		return "", fmt.Errorf("/%d leaves no room for a gateway and hosts: use /30 or shorter", ones)
	}
	if !addr.Equal(network.IP) {
		return "", fmt.Errorf("%s is an address in %s, not a subnet: give the subnet", subnet, network)
	}
	first := make(net.IP, len(base))
	copy(first, base)
	first[3]++ // host bits are zero in a network address: no carry with at least 2 of them
	return first.String(), nil
}

// ip runs iproute2's ip and turns its complaint into the error.
func ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %s", strings.Join(args, " "), strings.TrimSpace(string(out)))
	}
	return nil
}
