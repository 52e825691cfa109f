// mntns <command> [args…]
// Runs <command> in a new mount namespace whose mounts are all private.
//
// The parent re-executes itself (/proc/self/exe) as "__child" in a new mount namespace.
// The new namespace is a copy of the host's mount table, and the copy of every shared
// mount is still a peer of the original: a mount made under it would appear on the host
// too. So the child first makes / and everything under it private, then execs the
// command, which keeps the PID the parent waits for.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

func main() {
	if len(os.Args) >= 2 && os.Args[1] == "__child" {
		child(os.Args[2:])
		return
	}
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: mntns <command> [args…]")
		os.Exit(2)
	}
	cmd := exec.Command("/proc/self/exe", append([]string{"__child"}, os.Args[1:]...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// Cloneflags (not Unshareflags) so that the private remount below is ours to make and
	// see: Go only does it on its own for Unshareflags.
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS}
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		os.Exit(exit.ExitCode())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mntns:", err)
		os.Exit(1)
	}
}

func child(command []string) {
	// MS_REC: every mount below / too, not only / itself. This changes the propagation of
	// this namespace's copies; the host's mounts stay shared with each other.
	if err := syscall.Mount("none", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		fmt.Fprintln(os.Stderr, "mntns: making / private:", err)
		os.Exit(1)
	}
	path, err := exec.LookPath(command[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "mntns:", err)
		os.Exit(127)
	}
	if err := syscall.Exec(path, command, os.Environ()); err != nil {
		fmt.Fprintln(os.Stderr, "mntns: exec:", err)
		os.Exit(1)
	}
}
