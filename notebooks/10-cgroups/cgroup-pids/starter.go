// cgroup-pids <max> <command> [args…]
// Runs <command> in a new cgroup whose pids.max is <max>, passes stdin, stdout and stderr
// through, exits with the command's exit status, and removes the cgroup when it is done.
package main

import (
	"fmt"
	"os"
	"strconv"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: cgroup-pids <max> <command> [args…]")
		os.Exit(2)
	}
	max, err := strconv.Atoi(os.Args[1])
	if err != nil || max < 1 {
		fmt.Fprintf(os.Stderr, "cgroup-pids: <max> must be a whole number, at least 1: %q\n", os.Args[1])
		os.Exit(2)
	}

	// TODO: find the cgroup2 mount in /proc/self/mountinfo; enable +pids in its root's
	// cgroup.subtree_control; mkdir <mount>/cgroup-pids-<pid>; write max to its pids.max; run
	// the command inside it (not this program); remove the cgroup when the command is done.
	fmt.Fprintf(os.Stderr, "cgroup-pids: not implemented (max %d, command %v)\n", max, os.Args[2:])
	os.Exit(1)
}
