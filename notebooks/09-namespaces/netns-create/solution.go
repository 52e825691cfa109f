// netns create <name>
// Creates a named network namespace the way `ip netns add <name>` does: a new network
// namespace, kept alive by bind-mounting its nsfs file onto /run/netns/<name>.
//
// The kernel has no names for namespaces. A namespace lives as long as something refers to
// it (a process, an open file descriptor, a mount); the "name" is only where iproute2 puts
// that mount, so that other programs (ip -n, ip netns exec, your 5.2) can find it.
package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
)

const netnsDir = "/run/netns" // /var/run is a symlink to /run

func main() {
	if len(os.Args) != 3 || os.Args[1] != "create" {
		fmt.Fprintln(os.Stderr, "usage: netns create <name>")
		os.Exit(2)
	}
	if err := create(os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "netns:", err)
		os.Exit(1)
	}
}

func create(name string) error {
	// The name becomes a file name: refuse anything that would point elsewhere.
	if name == "" || name == "." || name == ".." || strings.Contains(name, "/") {
		return fmt.Errorf("invalid name %q", name)
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
		// An empty file left here would still be listed by `ip netns list`.
		os.Remove(path)
		return err
	}
	return nil
}

// prepareDir makes /run/netns a mount point with shared propagation, like iproute2.
// Shared, so that when the namespace file is unmounted (ip netns delete) the unmount also
// reaches copies of this mount in other mount namespaces, and the namespace can be freed.
func prepareDir() error {
	if err := os.MkdirAll(netnsDir, 0o755); err != nil {
		return err
	}
	err := syscall.Mount("", netnsDir, "none", syscall.MS_SHARED|syscall.MS_REC, "")
	if err == syscall.EINVAL {
		// EINVAL: /run/netns is not a mount point yet. Bind-mount it onto itself to make
		// it one, then its propagation can be changed.
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

// bindNewNetns creates a network namespace and bind-mounts it onto path.
//
// unshare(2) moves only the calling *thread* into the new namespace, and Go's scheduler
// moves goroutines between threads whenever it likes. So the work happens in a goroutine
// locked to its thread, and the file mounted is that thread's own
// (/proc/self/task/<tid>/ns/net): /proc/self/ns/net is the main thread's, which may still
// be in the host's namespace.
//
// The goroutine never calls UnlockOSThread: its thread now sits in another namespace, and
// any goroutine scheduled onto it later would silently use the wrong network stack. A
// goroutine that returns while locked makes the Go runtime terminate its thread instead.
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
