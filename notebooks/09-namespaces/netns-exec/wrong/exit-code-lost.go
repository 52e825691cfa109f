// expect-fail: exit-code
// Wrong: the namespace and the output are right, but any failure of the command becomes exit status 1.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"
)

const sysSetns = 308 // x86-64

func main() {
	if len(os.Args) < 4 || os.Args[1] != "exec" {
		fmt.Fprintln(os.Stderr, "usage: netns exec <name> <command> [args…]")
		os.Exit(2)
	}
	f, err := os.Open("/run/netns/" + os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "netns:", err)
		os.Exit(1)
	}
	runtime.LockOSThread()
	if _, _, e := syscall.RawSyscall(sysSetns, f.Fd(), syscall.CLONE_NEWNET, 0); e != 0 {
		fmt.Fprintln(os.Stderr, "netns: setns:", e)
		os.Exit(1)
	}
	cmd := exec.Command(os.Args[3], os.Args[4:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "netns:", err)
		os.Exit(1)
	}
}
