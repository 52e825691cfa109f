// cgroup-cpu <percent> <command> [args…]
// Runs <command> in a new cgroup whose cpu.max lets it use <percent> % of one CPU.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
)

func main() {
	cpus := runtime.NumCPU()
	if len(os.Args) < 3 {
		usage("")
	}
	percent, err := strconv.Atoi(os.Args[1])
	if err != nil || percent < 1 || percent > 100*cpus {
		usage(fmt.Sprintf("percent must be a whole number from 1 to %d, not %q", 100*cpus, os.Args[1]))
	}
	command := os.Args[2:]

	// TODO:
	// 1. Find the cgroup2 mount in /proc/self/mountinfo.
	// 2. Write "+cpu" to the root's cgroup.subtree_control; mkdir <mount>/cgroup-cpu-<pid>.
	// 3. Write "<percent × 1000> 100000" to its cpu.max.
	// 4. Run the command inside it (re-exec /proc/self/exe as a child that writes "0" to
	//    cgroup.procs, then syscall.Exec's the command), stdin/stdout/stderr passed through.
	// 5. Wait, rmdir the cgroup, exit with the command's exit status.
	_, _ = percent, command
	fmt.Fprintln(os.Stderr, "cgroup-cpu: not implemented")
	os.Exit(1)
}

func usage(why string) {
	if why != "" {
		fmt.Fprintln(os.Stderr, "cgroup-cpu:", why)
	}
	fmt.Fprintln(os.Stderr, "usage: cgroup-cpu <percent> <command> [args…]")
	os.Exit(2)
}
