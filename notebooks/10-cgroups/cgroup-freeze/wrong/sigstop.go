// expect-fail: ordinary-frozen
// Wrong: stops the process with SIGSTOP (and SIGCONT to thaw) instead of the cgroup freezer: only that
// one process, visible to it and to its parent (waitpid reports it), undone by anyone's SIGCONT.
package main

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
)

func usage() {
	fmt.Fprintln(os.Stderr, "usage: cgroup-freeze [--thaw] <pid>")
	os.Exit(2)
}

func main() {
	args := os.Args[1:]
	thaw := false
	if len(args) > 0 && args[0] == "--thaw" {
		thaw, args = true, args[1:]
	}
	if len(args) != 1 {
		usage()
	}
	pid, err := strconv.Atoi(args[0])
	if err != nil || pid <= 0 {
		usage()
	}
	sig := syscall.SIGSTOP
	if thaw {
		sig = syscall.SIGCONT
	}
	if err := syscall.Kill(pid, sig); err != nil {
		fmt.Fprintln(os.Stderr, "cgroup-freeze:", err)
		os.Exit(1)
	}
	fmt.Printf("sent %v to %d\n", sig, pid)
}
