// expect-fail: pid-1
// Wrong: the child starts the command with os/exec instead of exec'ing it, so the helper stays PID 1 and the command is PID 2.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

func run(name string, args []string) error {
	cmd := exec.Command(name, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	return cmd.Run()
}

func exitWith(err error) {
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		os.Exit(exit.ExitCode())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func main() {
	if len(os.Args) >= 2 && os.Args[1] == "__child" {
		syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, "")
		if err := syscall.Chroot(os.Args[2]); err != nil {
			exitWith(err)
		}
		syscall.Chdir("/")
		syscall.Mount("proc", "/proc", "proc", 0, "")
		exitWith(run(os.Args[3], os.Args[4:]))
		return
	}
	cmd := exec.Command("/proc/self/exe", append([]string{"__child"}, os.Args[1:]...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNS}
	exitWith(cmd.Run())
}
