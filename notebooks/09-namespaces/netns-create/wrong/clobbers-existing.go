// expect-fail: duplicate-kept
// Wrong: no existence check: a second create mounts a new namespace on top of the existing one, hiding it.
package main

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
)

func main() {
	if len(os.Args) != 3 || os.Args[1] != "create" {
		fmt.Fprintln(os.Stderr, "usage: netns create <name>")
		os.Exit(2)
	}
	path := "/run/netns/" + os.Args[2]
	os.MkdirAll("/run/netns", 0o755)
	// O_CREATE without O_EXCL: "make sure the file exists", whether or not it was there.
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "netns:", err)
		os.Exit(1)
	}
	f.Close()
	runtime.LockOSThread()
	if err := syscall.Unshare(syscall.CLONE_NEWNET); err != nil {
		fmt.Fprintln(os.Stderr, "netns:", err)
		os.Exit(1)
	}
	self := fmt.Sprintf("/proc/self/task/%d/ns/net", syscall.Gettid())
	if err := syscall.Mount(self, path, "none", syscall.MS_BIND, ""); err != nil {
		fmt.Fprintln(os.Stderr, "netns:", err)
		os.Exit(1)
	}
}
