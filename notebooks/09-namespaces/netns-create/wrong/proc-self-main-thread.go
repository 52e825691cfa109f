// expect-fail: netns-new
// Wrong: unshares on a locked worker thread but bind-mounts /proc/self/ns/net, which is the main thread's namespace: the host's.
package main

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
)

// Pins main to the main thread (a common idiom), so the worker below surely runs on another
// thread. Without it this mistake would fail only sometimes, which is worse.
func init() { runtime.LockOSThread() }

func main() {
	if len(os.Args) != 3 || os.Args[1] != "create" {
		fmt.Fprintln(os.Stderr, "usage: netns create <name>")
		os.Exit(2)
	}
	path := "/run/netns/" + os.Args[2]
	os.MkdirAll("/run/netns", 0o755)
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "netns:", err)
		os.Exit(1)
	}
	f.Close()
	done := make(chan error)
	go func() {
		runtime.LockOSThread()
		if err := syscall.Unshare(syscall.CLONE_NEWNET); err != nil {
			done <- err
			return
		}
		// /proc/self is the process, and its ns/ links are the main thread's.
		done <- syscall.Mount("/proc/self/ns/net", path, "none", syscall.MS_BIND, "")
	}()
	if err := <-done; err != nil {
		fmt.Fprintln(os.Stderr, "netns:", err)
		os.Exit(1)
	}
}
