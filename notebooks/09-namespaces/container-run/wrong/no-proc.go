// expect-fail: proc-mounted
// Wrong: no re-exec, Go's SysProcAttr does it all (Cloneflags and Chroot) — but nothing runs inside to mount proc, so the container's /proc is an empty directory and ps shows nothing.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
)

func main() {
	if len(os.Args) < 4 || os.Args[1] != "run" {
		fmt.Fprintln(os.Stderr, "usage: container run <rootfs> <command> [args…]")
		os.Exit(2)
	}
	// The command is looked up as the chroot will see it: busybox's applets are in /bin.
	path := os.Args[3]
	if !strings.Contains(path, "/") {
		path = "/bin/" + path
	}
	cmd := &exec.Cmd{Path: path, Args: os.Args[3:]}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNS | syscall.CLONE_NEWNET | syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC,
		Chroot:     os.Args[2],
	}
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		os.Exit(exit.ExitCode())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "container:", err)
		os.Exit(1)
	}
}
