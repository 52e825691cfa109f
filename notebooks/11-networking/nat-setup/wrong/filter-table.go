// expect-fail: masquerade-rule
// Wrong: the MASQUERADE rule is given without -t nat (so to the filter table, which refuses it), and iptables' failure is not checked.
package main

import (
	"fmt"
	"os"
	"os/exec"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: nat-setup <internal-subnet> <external-if>")
		os.Exit(2)
	}
	src, ext := os.Args[1], os.Args[2]
	os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1\n"), 0o644)
	iptables("-I", "FORWARD", "1", "-s", src, "-o", ext, "-j", "ACCEPT")
	iptables("-I", "FORWARD", "1", "-d", src, "-i", ext, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT")
	iptables("-A", "POSTROUTING", "-s", src, "-o", ext, "-j", "MASQUERADE")
}

// iptables runs the command and carries on, whatever happened.
func iptables(args ...string) {
	exec.Command("iptables", args...).Run()
}
