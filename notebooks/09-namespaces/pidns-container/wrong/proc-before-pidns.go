// expect-fail: proc-shows-container
// Wrong: the parent mounts proc on ROOTFS/proc before starting the child — that proc belongs to the parent's (the host's) PID namespace, so ps inside lists every host process.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

func main() {
	if len(os.Args) >= 2 && os.Args[1] == "__child" {
		syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, "")
		if err := syscall.Chroot(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		syscall.Chdir("/")
		path, err := exec.LookPath(os.Args[3])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(127)
		}
		syscall.Exec(path, os.Args[3:], os.Environ())
		os.Exit(1)
	}
	if err := syscall.Mount("proc", filepath.Join(os.Args[1], "proc"), "proc", 0, ""); err != nil {
		fmt.Fprintln(os.Stderr, "mount proc:", err)
		os.Exit(1)
	}
	cmd := exec.Command("/proc/self/exe", append([]string{"__child"}, os.Args[1:]...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNS}
	err := cmd.Run()
	syscall.Unmount(filepath.Join(os.Args[1], "proc"), syscall.MNT_DETACH)
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		os.Exit(exit.ExitCode())
	}
}
