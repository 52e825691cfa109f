// expect-fail: rule-scoped-to-interface
// Wrong: MASQUERADE without -o: every packet from the subnet is rewritten, wherever it goes, not only what leaves by the external interface.
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
	if err := os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1\n"), 0o644); err != nil {
		return err
	}
	if err := ensure("filter", "FORWARD", true, "-s", src, "-o", ext, "-j", "ACCEPT"); err != nil {
		return err
	}
	if err := ensure("filter", "FORWARD", true, "-d", src, "-i", ext,
		"-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"); err != nil {
		return err
	}
	// "The containers' traffic needs NAT": but only on its way to the internet.
	return ensure("nat", "POSTROUTING", false, "-s", src, "-j", "MASQUERADE")
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
