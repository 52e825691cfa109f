// pidns-container <rootfs> <command> [args…]
// Runs <command> as PID 1 of a new PID namespace, with <rootfs> as its root directory and
// a /proc of that namespace mounted, so that ps inside sees only the container.
//
// The parent re-executes itself (/proc/self/exe) as "__child" in a new PID namespace and a
// new mount namespace. The child is PID 1 there; it makes its mounts private, changes root,
// mounts proc and execs the command, which so inherits PID 1. The parent only waits and
// passes the exit code back.
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
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: pidns-container <rootfs> <command> [args…]")
		os.Exit(2)
	}
	cmd := exec.Command("/proc/self/exe", append([]string{"__child"}, os.Args[1:]...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// CLONE_NEWPID: the child is the first process, PID 1, of a new PID namespace.
		// unshare(CLONE_NEWPID) would not do that to the caller, only to its next child.
		// CLONE_NEWNS: the child gets a copy of our mount table, so the proc it mounts
		// does not cover the host's /proc or show up in the host's mount table.
		Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNS,
	}
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		os.Exit(exit.ExitCode())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pidns-container:", err)
		os.Exit(1)
	}
}

// child runs as PID 1 of the new PID namespace, in the new mount namespace.
func child(rootfs string, command []string) {
	// The copied mounts keep the propagation of the originals: on a systemd host / is
	// "shared", and a proc mounted below it would propagate back to the host. Private first.
	must(syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""), "make / private")

	// chroot changes this process's root directory only; the old root is still mounted in
	// the namespace (pivot_root, in 5.8, replaces it). chdir so the working directory is not
	// left outside the new root.
	must(syscall.Chroot(rootfs), "chroot "+rootfs)
	must(syscall.Chdir("/"), "chdir /")

	// A procfs shows the PID namespace of the process that mounts it: we are PID 1 of the
	// new one, so this /proc lists only the container. Mounted after chroot, it lands on
	// the rootfs's /proc.
	must(syscall.Mount("proc", "/proc", "proc", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, ""), "mount proc")

	// Look the command up in the new root (PATH now means the rootfs's /bin, /usr/bin…), and
	// exec it rather than start it: the command takes over PID 1 and the parent's Wait
	// sees its exit code.
	path, err := exec.LookPath(command[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "pidns-container:", err)
		os.Exit(127)
	}
	must(syscall.Exec(path, command, os.Environ()), "exec "+path)
}

func must(err error, what string) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "pidns-container: %s: %v\n", what, err)
		os.Exit(1)
	}
}
