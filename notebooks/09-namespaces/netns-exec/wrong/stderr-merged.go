// expect-fail: streams-separate
// Wrong: collects the command's output with CombinedOutput and prints it all to stdout, so stderr ends up in stdout.
package main

import (
	"errors"
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
	out, err := exec.Command(os.Args[3], os.Args[4:]...).CombinedOutput()
	os.Stdout.Write(out)
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		os.Exit(exit.ExitCode())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "netns:", err)
		os.Exit(1)
	}
}
