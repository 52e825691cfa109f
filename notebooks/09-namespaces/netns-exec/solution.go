// netns create <name>
// netns exec <name> <command> [args…]
//
// create makes a new network namespace, kept alive by a bind mount on /run/netns/<name>
// (as in 5.1). exec joins the namespace mounted there with setns(2), then execve(2)s the
// command, so the command *is* this process: same PID, same stdin, stdout and stderr, and
// its exit status is ours with nothing to forward.
package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
)

const netnsDir = "/run/netns" // /var/run is a symlink to /run

// Go's frozen syscall package has no Setns and, on amd64, not even its number.
// (golang.org/x/sys/unix has unix.Setns; this lab sticks to the standard library.)
func sysSetns() uintptr {
	switch runtime.GOARCH {
	case "amd64":
		return 308
	case "arm64", "riscv64", "loong64":
		return 268
	}
	panic("setns: add the syscall number for " + runtime.GOARCH)
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: netns create <name>\n       netns exec <name> <command> [args…]")
	os.Exit(2)
}

func main() {
	if len(os.Args) < 3 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "create":
		if len(os.Args) != 3 {
			usage()
		}
		err = create(os.Args[2])
	case "exec":
		if len(os.Args) < 4 {
			usage()
		}
		err = execIn(os.Args[2], os.Args[3:]) // returns only on failure
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "netns:", err)
		var notFound *exec.Error
		if errors.As(err, &notFound) {
			os.Exit(127) // like a shell: the command was not found
		}
		os.Exit(1)
	}
}

// The name becomes a file name: refuse anything that would point elsewhere.
func checkName(name string) error {
	if name == "" || name == "." || name == ".." || strings.Contains(name, "/") {
		return fmt.Errorf("invalid name %q", name)
	}
	return nil
}

// execIn runs argv inside the network namespace called name.
//
// setns(2), like unshare(2), changes only the calling thread. The goroutine is locked to
// its thread first, and it never unlocks: syscall.Exec replaces the whole process with the
// command, which starts on this very thread and so inherits its namespace. (Forking with
// os/exec from the same locked goroutine would work too — the child is cloned from the
// calling thread — but then stdout, stderr, signals and the exit status need forwarding.)
func execIn(name string, argv []string) error {
	if err := checkName(name); err != nil {
		return err
	}
	// os.Open sets O_CLOEXEC: the descriptor does not leak into the command.
	f, err := os.Open(filepath.Join(netnsDir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("network namespace %q does not exist", name)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	// Find the command while still in our own namespace: a failure then changes nothing.
	prog, err := exec.LookPath(argv[0])
	if err != nil {
		return err
	}

	runtime.LockOSThread()
	// nstype CLONE_NEWNET makes the kernel refuse any file that is not a network namespace
	// (EINVAL), e.g. a leftover file with nothing mounted on it.
	if _, _, e := syscall.RawSyscall(sysSetns(), f.Fd(), syscall.CLONE_NEWNET, 0); e != 0 {
		if e == syscall.EINVAL {
			return fmt.Errorf("%s is not a network namespace (nothing mounted on it?)", f.Name())
		}
		return fmt.Errorf("setns %s: %w", f.Name(), e)
	}
	return syscall.Exec(prog, argv, os.Environ())
}

func create(name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	if err := prepareDir(); err != nil {
		return err
	}
	path := filepath.Join(netnsDir, name)

	// O_EXCL makes "does it exist?" and "create it" one atomic step: if the name is taken
	// we fail here, before touching anything, so an existing namespace is never replaced.
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("network namespace %q already exists", name)
	}
	if err != nil {
		return err
	}
	f.Close()

	if err := bindNewNetns(path); err != nil {
		os.Remove(path) // an empty file left here would still be listed by `ip netns list`
		return err
	}
	return nil
}

// prepareDir makes /run/netns a mount point with shared propagation, like iproute2, so
// that unmounting a name also reaches copies of this mount in other mount namespaces.
func prepareDir() error {
	if err := os.MkdirAll(netnsDir, 0o755); err != nil {
		return err
	}
	err := syscall.Mount("", netnsDir, "none", syscall.MS_SHARED|syscall.MS_REC, "")
	if err == syscall.EINVAL {
		// Not a mount point yet: bind-mount the directory onto itself to make it one.
		if err := syscall.Mount(netnsDir, netnsDir, "none", syscall.MS_BIND|syscall.MS_REC, ""); err != nil {
			return fmt.Errorf("bind-mount %s onto itself: %w", netnsDir, err)
		}
		err = syscall.Mount("", netnsDir, "none", syscall.MS_SHARED|syscall.MS_REC, "")
	}
	if err != nil {
		return fmt.Errorf("make %s shared: %w", netnsDir, err)
	}
	return nil
}

// bindNewNetns unshares a network namespace on a locked thread and bind-mounts that
// thread's own ns file (not /proc/self/ns/net: that is the main thread's). The goroutine
// returns still locked, so the runtime ends the thread instead of reusing it elsewhere.
func bindNewNetns(path string) error {
	done := make(chan error)
	go func() {
		runtime.LockOSThread()
		if err := syscall.Unshare(syscall.CLONE_NEWNET); err != nil {
			done <- fmt.Errorf("unshare(CLONE_NEWNET): %w", err)
			return
		}
		self := fmt.Sprintf("/proc/self/task/%d/ns/net", syscall.Gettid())
		if err := syscall.Mount(self, path, "none", syscall.MS_BIND, ""); err != nil {
			done <- fmt.Errorf("bind-mount %s onto %s: %w", self, path, err)
			return
		}
		done <- nil
	}()
	return <-done
}
