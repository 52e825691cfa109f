// expect-fail: end2-in-netns2
// Wrong: moves only the first end into its namespace; the second end stays (and is configured) where the program runs.
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
	fs.String("netns2", "", "") // accepted... and forgotten
	addr1 := fs.String("addr1", "", "")
	addr2 := fs.String("addr2", "", "")
	fs.Parse(os.Args[4:])
	n1, n2 := os.Args[2], os.Args[3]

	must(ip("link", "add", n1, "type", "veth", "peer", "name", n2))
	if *ns1 != "" {
		// The "container" end goes into its namespace; the other one is the "host" end.
		must(ip("link", "set", n1, "netns", *ns1))
	}
	if *addr1 != "" {
		must(ip(in(*ns1, "addr", "add", *addr1, "dev", n1)...))
	}
	must(ip(in(*ns1, "link", "set", n1, "up")...))
	if *addr2 != "" {
		must(ip("addr", "add", *addr2, "dev", n2))
	}
	must(ip("link", "set", n2, "up"))
}

func in(netns string, args ...string) []string {
	if netns == "" {
		return args
	}
	return append([]string{"-n", netns}, args...)
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
