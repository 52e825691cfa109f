// expect-fail: addr1-on-end1
// Wrong: creates the pair where it runs, addresses both ends and brings them up, then moves them: the move takes the addresses away and brings the ends down.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

func main() {
	if len(os.Args) < 4 || os.Args[1] != "create" {
		fmt.Fprintln(os.Stderr, "usage: veth create <name1> <name2> [--netns1 NS] [--netns2 NS] [--addr1 CIDR] [--addr2 CIDR]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet("veth create", flag.ExitOnError)
	ns1 := fs.String("netns1", "", "")
	ns2 := fs.String("netns2", "", "")
	addr1 := fs.String("addr1", "", "")
	addr2 := fs.String("addr2", "", "")
	fs.Parse(os.Args[4:])
	names := []string{os.Args[2], os.Args[3]}
	nss := []string{*ns1, *ns2}
	addrs := []string{*addr1, *addr2}

	must(ip("link", "add", names[0], "type", "veth", "peer", "name", names[1]))
	// Configure everything first, while both ends are still here...
	for i, n := range names {
		if addrs[i] != "" {
			must(ip("addr", "add", addrs[i], "dev", n))
		}
		must(ip("link", "set", n, "up"))
	}
	// ...then send each end to its namespace.
	for i, n := range names {
		if nss[i] != "" {
			must(ip("link", "set", n, "netns", nss[i]))
		}
	}
}

func ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %s", strings.Join(args, " "), strings.TrimSpace(string(out)))
	}
	return nil
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "veth:", err)
		os.Exit(1)
	}
}
