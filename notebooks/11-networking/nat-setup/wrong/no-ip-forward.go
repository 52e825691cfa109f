// expect-fail: ip-forward-on
// Wrong: perfect rules, but forwarding is never turned on: the host drops every packet that is not addressed to itself.
package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: nat-setup <internal-subnet> <external-if>")
		os.Exit(2)
	}
	if err := setup(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "nat-setup:", err)
		os.Exit(1)
	}
}

func setup(subnetArg, ext string) error {
	_, subnet, err := net.ParseCIDR(subnetArg)
	if err != nil {
		return err
	}
	src := subnet.String()
	if err := ensure("filter", "FORWARD", true, "-s", src, "-o", ext, "-j", "ACCEPT"); err != nil {
		return err
	}
	if err := ensure("filter", "FORWARD", true, "-d", src, "-i", ext,
		"-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"); err != nil {
		return err
	}
	return ensure("nat", "POSTROUTING", false, "-s", src, "-o", ext, "-j", "MASQUERADE")
}

func ensure(table, chain string, insert bool, rule ...string) error {
	if exec.Command("iptables", append([]string{"-t", table, "-C", chain}, rule...)...).Run() == nil {
		return nil
	}
	op := []string{"-t", table, "-A", chain}
	if insert {
		op = []string{"-t", table, "-I", chain, "1"}
	}
	out, err := exec.Command("iptables", append(op, rule...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("iptables %s: %v: %s", strings.Join(append(op, rule...), " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
