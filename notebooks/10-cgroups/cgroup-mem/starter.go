// cgroup-mem <limit-mb> <command> [args…]
// Runs <command> in a new cgroup whose memory.max is <limit-mb> MiB, and prints its peak
// memory use when it ends.
package main

import (
	"fmt"
	"os"
	"strconv"
)

func main() {
	if len(os.Args) < 3 {
		usage("")
	}
	limit, err := strconv.ParseInt(os.Args[1], 10, 64)
	if err != nil || limit < 1 || limit > 1<<40 {
		usage(fmt.Sprintf("limit-mb must be a whole number of MiB, at least 1, not %q", os.Args[1]))
	}
	command := os.Args[2:]

	// TODO:
	// 1. Find the cgroup2 mount in /proc/self/mountinfo.
	// 2. Write "+memory" to the root's cgroup.subtree_control; mkdir <mount>/cgroup-mem-<pid>.
	// 3. Write limit × 1048576 to its memory.max, and 0 to memory.swap.max if it exists.
	// 4. Run the command inside it (re-exec /proc/self/exe as a child that writes "0" to
	//    cgroup.procs, then syscall.Exec's the command), stdin/stdout/stderr passed through.
	// 5. When it ends, print "peak: <bytes> bytes (<MiB> MiB)" to stderr from memory.peak,
	//    rmdir the cgroup, exit with the command's exit status.
	_, _ = limit, command
	fmt.Fprintln(os.Stderr, "cgroup-mem: not implemented")
	os.Exit(1)
}

func usage(why string) {
	if why != "" {
		fmt.Fprintln(os.Stderr, "cgroup-mem:", why)
	}
	fmt.Fprintln(os.Stderr, "usage: cgroup-mem <limit-mb> <command> [args…]")
	os.Exit(2)
}
