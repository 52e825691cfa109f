// uts-container <hostname> <command> [args…]
// Runs <command> in a new UTS namespace whose hostname is <hostname>.
//
// The parent re-executes itself (/proc/self/exe) as "child" inside a new UTS namespace;
// the child sets the hostname there and execs the command, so the command keeps the PID
// the parent waits for and its exit code comes straight back.
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
		child(os.Args[2], os.Args[3:])
		return
	}
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: uts-container <hostname> <command> [args…]")
		os.Exit(2)
	}
	cmd := exec.Command("/proc/self/exe", append([]string{"__child"}, os.Args[1:]...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUTS}
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		os.Exit(exit.ExitCode())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "uts-container:", err)
		os.Exit(1)
	}
}

func child(hostname string, command []string) {
	if err := syscall.Sethostname([]byte(hostname)); err != nil {
		fmt.Fprintln(os.Stderr, "uts-container: sethostname:", err)
		os.Exit(1)
	}
	path, err := exec.LookPath(command[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "uts-container:", err)
		os.Exit(127)
	}
	if err := syscall.Exec(path, command, os.Environ()); err != nil {
		fmt.Fprintln(os.Stderr, "uts-container: exec:", err)
		os.Exit(1)
	}
}
