// expect-fail: limit-holds
// Wrong: limits processes with setrlimit(RLIMIT_NPROC), `ulimit -u`, instead of a cgroup: that counts
// every process of the user, and does not bind root (or anyone with CAP_SYS_RESOURCE) at all.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

// RLIMIT_NPROC (not in Go's syscall package for every architecture).
const rlimitNproc = 6

func main() {
	if len(os.Args) >= 3 && os.Args[1] == "__child" {
		max, _ := strconv.ParseUint(os.Args[2], 10, 64)
		if err := syscall.Setrlimit(rlimitNproc, &syscall.Rlimit{Cur: max, Max: max}); err != nil {
			fmt.Fprintln(os.Stderr, "cgroup-pids: setrlimit:", err)
			os.Exit(1)
		}
		path, err := exec.LookPath(os.Args[3])
		if err != nil {
			fmt.Fprintln(os.Stderr, "cgroup-pids:", err)
			os.Exit(127)
		}
		syscall.Exec(path, os.Args[3:], os.Environ())
		os.Exit(126)
	}
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: cgroup-pids <max> <command> [args…]")
		os.Exit(2)
	}
	if n, err := strconv.Atoi(os.Args[1]); err != nil || n < 1 {
		fmt.Fprintln(os.Stderr, "usage: cgroup-pids <max> <command> [args…]")
		os.Exit(2)
	}
	cmd := exec.Command("/proc/self/exe", append([]string{"__child"}, os.Args[1:]...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		os.Exit(exit.ExitCode())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cgroup-pids:", err)
		os.Exit(1)
	}
}
