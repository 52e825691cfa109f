// cgroup-io <device> <bps> <command> [args…]
// Runs <command> in a new cgroup whose io.max limits reads and writes on <device> (a whole
// disk) to <bps> bytes per second each.
package main

import (
	"fmt"
	"os"
	"strconv"
)

func main() {
	if len(os.Args) < 4 {
		fmt.Fprintln(os.Stderr, "usage: cgroup-io <device> <bps> <command> [args…]")
		os.Exit(2)
	}
	device, command := os.Args[1], os.Args[3:]
	bps, err := strconv.ParseUint(os.Args[2], 10, 64)
	if err != nil || bps == 0 {
		fmt.Fprintf(os.Stderr, "cgroup-io: %q is not a positive number of bytes per second\n", os.Args[2])
		os.Exit(2)
	}
	// TODO: find the cgroup2 mount (/proc/self/mountinfo); "+io" in its root's
	// cgroup.subtree_control; MAJ:MIN of device (st_rdev), refusing a partition; a cgroup of
	// your own under the root, "MAJ:MIN rbps=… wbps=…" in its io.max; the command inside it;
	// then remove the cgroup and exit with the command's status.
	_, _, _ = device, bps, command
	fmt.Fprintln(os.Stderr, "cgroup-io: not implemented")
	os.Exit(1)
}
