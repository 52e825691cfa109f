// cgroup-oom [--limit-mb N] <command> [args…]
// Runs <command> in a new cgroup with a memory limit (N MiB, 64 by default) and
// memory.oom.group = 1, and reports an OOM kill.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

const defaultLimit = 64 // MiB

func main() {
	flags := flag.NewFlagSet("cgroup-oom", flag.ContinueOnError)
	flags.SetOutput(io.Discard)
	limit := flags.Int64("limit-mb", defaultLimit, "memory limit in MiB")
	if err := flags.Parse(os.Args[1:]); err != nil {
		usage(err.Error())
	}
	if *limit < 1 || *limit > 1<<40 {
		usage(fmt.Sprintf("--limit-mb must be a whole number of MiB, at least 1, not %d", *limit))
	}
	if flags.NArg() == 0 {
		usage("")
	}
	command := flags.Args()

	// TODO:
	// 1. Find the cgroup2 mount in /proc/self/mountinfo; write "+memory" to the root's
	//    cgroup.subtree_control; mkdir <mount>/cgroup-oom-<pid>.
	// 2. Write limit × 1048576 to memory.max, 1 to memory.oom.group, 0 to memory.swap.max.
	// 3. Watch memory.events (inotify IN_MODIFY); when oom_kill grows, print
	//    "cgroup-oom: OOM kill in /cgroup-oom-<pid>: oom_kill <n>, oom_group_kill <g>" to stderr.
	// 4. Run the command inside the cgroup (a re-executed child joins it and execs the
	//    command: the supervisor stays outside), wait, read memory.events once more.
	// 5. rmdir the cgroup; exit with the command's status (137 after an OOM kill, never 0).
	_ = command
	fmt.Fprintln(os.Stderr, "cgroup-oom: not implemented")
	os.Exit(1)
}

func usage(why string) {
	if why != "" {
		fmt.Fprintln(os.Stderr, "cgroup-oom:", why)
	}
	fmt.Fprintf(os.Stderr, "usage: cgroup-oom [--limit-mb N] <command> [args…]   (N in MiB, default %d)\n", defaultLimit)
	os.Exit(2)
}
