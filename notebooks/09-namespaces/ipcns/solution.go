// ipcns <command> [args…]
// Runs <command> in a new IPC namespace.
//
// A new IPC namespace starts empty and needs no set-up from inside, so the command can be
// cloned straight into it: no re-exec of ourselves is needed, unlike 5.4 and 5.5.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: ipcns <command> [args…]")
		os.Exit(2)
	}
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// clone(2) with CLONE_NEWIPC: the child is in the new namespace from its first
	// instruction, so even the exec of the command happens there.
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWIPC}
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		os.Exit(exit.ExitCode())
	}
	if err != nil {
		// Start failed: the command was not found, or the namespace could not be made
		// (not root). 127 like a shell for the first.
		fmt.Fprintln(os.Stderr, "ipcns:", err)
		if errors.Is(err, exec.ErrNotFound) {
			os.Exit(127)
		}
		os.Exit(1)
	}
}
