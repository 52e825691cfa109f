// expect-fail: runs-in-netns
// Wrong: setns(2) runs on a locked worker thread, but the command is started from main, on another thread still in the host's namespace.
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

// Pins main to the main thread (a common idiom), so the worker below surely runs on another
// thread. Without it this mistake would fail only sometimes, which is worse.
func init() { runtime.LockOSThread() }

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
	done := make(chan error)
	go func() {
		runtime.LockOSThread() // locks *this* goroutine's thread: not the one main runs on
		if _, _, e := syscall.RawSyscall(sysSetns, f.Fd(), syscall.CLONE_NEWNET, 0); e != 0 {
			done <- e
			return
		}
		done <- nil
	}()
	if err := <-done; err != nil {
		fmt.Fprintln(os.Stderr, "netns: setns:", err)
		os.Exit(1)
	}
	cmd := exec.Command(os.Args[3], os.Args[4:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		os.Exit(exit.ExitCode())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "netns:", err)
		os.Exit(1)
	}
}
