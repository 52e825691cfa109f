// expect-fail: missing-netns-error
// Wrong: ignores the errors of open and setns, so with a misspelt name the command runs anyway, in the host's namespace.
package main

import (
	"os"
	"os/exec"
	"runtime"
	"syscall"
)

const sysSetns = 308 // x86-64

func main() {
	f, _ := os.Open("/run/netns/" + os.Args[2])
	runtime.LockOSThread()
	syscall.RawSyscall(sysSetns, f.Fd(), syscall.CLONE_NEWNET, 0)
	path, err := exec.LookPath(os.Args[3])
	if err != nil {
		os.Exit(127)
	}
	syscall.Exec(path, os.Args[3:], os.Environ())
}
