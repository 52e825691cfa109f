// nat-setup <internal-subnet> <external-if>
// Lets the containers of <internal-subnet> reach the outside world through <external-if>,
// the way Docker does for docker0: the host forwards their packets (ip_forward), the FORWARD
// chain lets them through (out, and the replies back in), and a MASQUERADE rule in the nat
// table's POSTROUTING chain rewrites their source to the address of <external-if>.
//
// The rules are made with iptables(8) run by os/exec, as Docker and the CNI plugins (through
// go-iptables) do: iptables-nft turns them into nf_tables expressions and sends them over
// netlink. Doing that by hand (NFNL_SUBSYS_NFTABLES messages holding a little bytecode
// program) is possible with package syscall, but hundreds of lines for one rule. The sysctl
// is only a file.
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
	// ParseCIDR also normalises 10.200.20.7/24 to its network, 10.200.20.0/24, which is how
	// iptables stores (and iptables-save prints) it.
	_, subnet, err := net.ParseCIDR(subnetArg)
	if err != nil || subnet.IP.To4() == nil {
		return fmt.Errorf("%q is not an IPv4 subnet (like 10.200.20.0/24)", subnetArg)
	}
	if _, err := net.InterfaceByName(ext); err != nil {
		return fmt.Errorf("external interface %q: %w", ext, err)
	}
	src := subnet.String()

	// 1. Be a router: without this the kernel drops every packet not addressed to the host
	// itself. (Writing ip_forward sets "forwarding" on all interfaces at once.)
	if err := os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1\n"), 0o644); err != nil {
		return fmt.Errorf("enable forwarding: %w", err)
	}

	// 2. Let the packets through the filter table's FORWARD chain: new connections from the
	// subnet out of ext, and only the replies (conntrack knows them) back in. Inserted at the
	// top, so that a host firewall's final DROP/REJECT rule cannot come first.
	if err := ensure("filter", "FORWARD", true, "-s", src, "-o", ext, "-j", "ACCEPT"); err != nil {
		return err
	}
	if err := ensure("filter", "FORWARD", true, "-d", src, "-i", ext,
		"-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"); err != nil {
		return err
	}

	// 3. Source NAT on the way out of ext, and only there: traffic from the subnet to other
	// internal networks keeps its real source address. MASQUERADE takes ext's address at
	// each new connection, so it needs no address from us and survives a new DHCP lease.
	return ensure("nat", "POSTROUTING", false, "-s", src, "-o", ext, "-j", "MASQUERADE")
}

// ensure adds a rule unless it is already there (iptables -C), so that running the program
// twice leaves one rule, not two.
func ensure(table, chain string, insert bool, rule ...string) error {
	check := append([]string{"-t", table, "-C", chain}, rule...)
	if exec.Command("iptables", check...).Run() == nil {
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
