// container run <rootfs> <command> [args…]
// Runs <command> in a container: new PID, mount, network, UTS and IPC namespaces at once,
// <rootfs> as the root of its mount namespace, a /proc of its own, the command as PID 1.
//
// The parent re-executes itself (/proc/self/exe) as "__child" with all five namespaces
// asked for in one clone(2). The child, PID 1 inside, builds the filesystem view: private
// mounts, pivot_root into the rootfs, the old root detached, proc mounted; then it execs
// the command, which inherits PID 1. The parent waits and passes the exit code back.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// Every namespace a container needs, except user (we are root already) and cgroup.
const namespaces = syscall.CLONE_NEWPID | // own PIDs: the command is PID 1
	syscall.CLONE_NEWNS | // own mount table: rootfs and /proc stay out of the host's
	syscall.CLONE_NEWNET | // own network stack: only a loopback, down
	syscall.CLONE_NEWUTS | // own hostname
	syscall.CLONE_NEWIPC // own System V IPC objects and POSIX message queues

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
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: namespaces}
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

// child runs as PID 1, inside all the new namespaces.
func child(rootfs string, command []string) {
	// Nothing we mount or unmount from here on may propagate to the host (on a systemd
	// host / is shared, and pivot_root refuses shared mounts anyway).
	must(syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""), "make / private")

	// pivot_root needs the new root to be a mount point: bind the rootfs onto itself.
	must(syscall.Mount(rootfs, rootfs, "", syscall.MS_BIND|syscall.MS_REC, ""), "bind "+rootfs)

	// pivot_root(".", ".") makes the rootfs the root mount of this namespace and stacks the
	// old root on top of it, at "."; detaching that leaves no path back to the host's files,
	// which chroot alone would (the old root would still be mounted around us).
	must(syscall.Chdir(rootfs), "chdir "+rootfs)
	must(syscall.PivotRoot(".", "."), "pivot_root")
	must(syscall.Unmount(".", syscall.MNT_DETACH), "detach the old root")
	must(syscall.Chdir("/"), "chdir /")

	// We are PID 1 of the new PID namespace, so this proc shows the container's processes.
	must(syscall.Mount("proc", "/proc", "proc", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, ""), "mount proc")

	// The UTS namespace is a copy of the host's names: give the container its own.
	must(syscall.Sethostname([]byte("container")), "sethostname")

	// PATH now searches the rootfs. Exec, not start: the command takes over PID 1.
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
