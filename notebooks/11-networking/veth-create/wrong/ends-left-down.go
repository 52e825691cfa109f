// expect-fail: end1-up
// Wrong: creates, places and addresses both ends but never brings them up (ip link set <name> up).
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
)

// end is one side of the pair: its name, its namespace ("" = the one we run in), its address.
type end struct {
	name, netns, addr string
}

func main() {
	if len(os.Args) < 4 || os.Args[1] != "create" {
		usage()
	}
	fs := flag.NewFlagSet("veth create", flag.ContinueOnError)
	ns1 := fs.String("netns1", "", "namespace of the first end (default: this one)")
	ns2 := fs.String("netns2", "", "namespace of the second end (default: this one)")
	addr1 := fs.String("addr1", "", "address of the first end, as CIDR (10.200.17.1/24)")
	addr2 := fs.String("addr2", "", "address of the second end, as CIDR")
	if err := fs.Parse(os.Args[4:]); err != nil || fs.NArg() != 0 {
		usage()
	}
	ends := [2]end{{os.Args[2], *ns1, *addr1}, {os.Args[3], *ns2, *addr2}}
	if err := create(ends); err != nil {
		fmt.Fprintln(os.Stderr, "veth:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: veth create <name1> <name2> [--netns1 NS] [--netns2 NS] [--addr1 CIDR] [--addr2 CIDR]")
	os.Exit(2)
}

func create(ends [2]end) error {
	for _, e := range ends {
		if e.name == "" || len(e.name) > 15 || strings.ContainsAny(e.name, "/ ") {
			return fmt.Errorf("invalid interface name %q (1 to 15 characters, no '/' or space)", e.name)
		}
		if e.addr != "" {
			if _, _, err := net.ParseCIDR(e.addr); err != nil {
				return fmt.Errorf("invalid address %q: want CIDR such as 10.200.17.1/24", e.addr)
			}
		}
	}

	// One request creates both ends, each already in its namespace:
	//   ip link add A netns NS1 type veth peer name B netns NS2
	// Neither end ever exists in our namespace under its name (no clash with a link of
	// ours), and nothing has to be moved afterwards — moving a link brings it down and
	// drops its addresses.
	args := []string{"link", "add", ends[0].name}
	if ends[0].netns != "" {
		args = append(args, "netns", ends[0].netns)
	}
	args = append(args, "type", "veth", "peer", "name", ends[1].name)
	if ends[1].netns != "" {
		args = append(args, "netns", ends[1].netns)
	}
	if err := ip(args...); err != nil {
		return err
	}

	// Then address and bring up each end, in its own namespace (ip -n NS ...).
	for _, e := range ends {
		if err := configure(e); err != nil {
			// Leave nothing half done: deleting one end deletes the pair.
			ip(in(ends[0].netns, "link", "delete", ends[0].name)...)
			return err
		}
	}
	return nil
}

func configure(e end) error {
	if e.addr != "" {
		if err := ip(in(e.netns, "addr", "add", e.addr, "dev", e.name)...); err != nil {
			return err
		}
	}
	// (Never brought up: the addresses are there, but a down interface carries nothing.)
	return nil
}

// in prefixes an ip command with -n NS when the end lives in a named namespace.
func in(netns string, args ...string) []string {
	if netns == "" {
		return args
	}
	return append([]string{"-n", netns}, args...)
}

// ip runs iproute2's ip and turns its complaint into the error.
func ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %s", strings.Join(args, " "), strings.TrimSpace(string(out)))
	}
	return nil
}
