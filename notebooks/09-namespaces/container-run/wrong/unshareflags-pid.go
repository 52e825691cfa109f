// expect-fail: command-started
// Wrong: the namespaces are asked for with Unshareflags — unshare(CLONE_NEWPID) moves only the caller's future children, and leaves the caller unable to create threads: the re-executed Go child crashes ("failed to create new OS thread").
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
		child(os.Args[2], os.Args[3:])
		return
	}
	if len(os.Args) < 4 || os.Args[1] != "run" {
		fmt.Fprintln(os.Stderr, "usage: container run <rootfs> <command> [args…]")
		os.Exit(2)
	}
	cmd := exec.Command("/proc/self/exe", append([]string{"__child"}, os.Args[2:]...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNS | syscall.CLONE_NEWNET | syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC}
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		os.Exit(exit.ExitCode())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "container:", err)
		os.Exit(1)
	}
}

func child(rootfs string, command []string) {
	must(syscall.Mount(rootfs, rootfs, "", syscall.MS_BIND|syscall.MS_REC, ""), "bind rootfs")
	must(syscall.Chdir(rootfs), "chdir")
	must(syscall.PivotRoot(".", "."), "pivot_root")
	must(syscall.Unmount(".", syscall.MNT_DETACH), "detach old root")
	must(syscall.Chdir("/"), "chdir /")
	must(syscall.Mount("proc", "/proc", "proc", 0, ""), "mount proc")
	path, err := exec.LookPath(command[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "container:", err)
		os.Exit(127)
	}
	must(syscall.Exec(path, command, os.Environ()), "exec "+path)
}

func must(err error, what string) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "container: %s: %v\n", what, err)
		os.Exit(1)
	}
}
