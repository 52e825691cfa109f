// expect-fail: rootfs-root
// Wrong: new PID and mount namespaces and a fresh /proc (like unshare --mount-proc), but the rootfs is only the working directory: the command still sees the host's files.
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
		syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, "")
		syscall.Mount("proc", "/proc", "proc", 0, "")
		if err := os.Chdir(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		path, err := exec.LookPath(os.Args[3])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(127)
		}
		syscall.Exec(path, os.Args[3:], os.Environ())
		os.Exit(1)
	}
	cmd := exec.Command("/proc/self/exe", append([]string{"__child"}, os.Args[1:]...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNS}
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		os.Exit(exit.ExitCode())
	}
}
