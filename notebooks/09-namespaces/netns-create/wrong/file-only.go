// expect-fail: bind-mounted
// Wrong: creates the file and a new namespace, but never bind-mounts one onto the other, so the namespace dies when the program exits.
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
	if err := os.MkdirAll("/run/netns", 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "netns:", err)
		os.Exit(1)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "netns:", err)
		os.Exit(1)
	}
	f.Close()
	// The namespace is created... and referenced by nothing but this thread.
	runtime.LockOSThread()
	if err := syscall.Unshare(syscall.CLONE_NEWNET); err != nil {
		fmt.Fprintln(os.Stderr, "netns:", err)
		os.Exit(1)
	}
}
