// expect-fail: inside-not-peer
// Wrong: remounts / with MS_PRIVATE but without MS_REC: / itself becomes private, every mount below it stays in its peer group.
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
		if err := syscall.Mount("none", "/", "", syscall.MS_PRIVATE, ""); err != nil {
			fmt.Fprintln(os.Stderr, "mntns:", err)
			os.Exit(1)
		}
		path, err := exec.LookPath(os.Args[2])
		if err != nil {
			fmt.Fprintln(os.Stderr, "mntns:", err)
			os.Exit(127)
		}
		syscall.Exec(path, os.Args[2:], os.Environ())
		os.Exit(1)
	}
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: mntns <command> [args…]")
		os.Exit(2)
	}
	cmd := exec.Command("/proc/self/exe", append([]string{"__child"}, os.Args[1:]...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS}
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		os.Exit(exit.ExitCode())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mntns:", err)
		os.Exit(1)
	}
}
