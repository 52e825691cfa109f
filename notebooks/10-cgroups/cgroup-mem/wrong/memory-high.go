// expect-fail: oom-killed
// Wrong: sets memory.high, the throttle, instead of memory.max, the limit: above it the kernel reclaims and slows the cgroup down, but never OOM-kills — the allocation crawls on.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const mib = 1 << 20

func main() {
	if len(os.Args) >= 3 && os.Args[1] == "__child" {
		child(os.Args[2], os.Args[3:])
		return
	}
	if len(os.Args) < 3 {
		usage("")
	}
	limit, err := strconv.ParseInt(os.Args[1], 10, 64)
	if err != nil || limit < 1 || limit > 1<<40 {
		usage(fmt.Sprintf("limit-mb must be a whole number of MiB, at least 1, not %q", os.Args[1]))
	}

	mount, err := cgroup2Mount()
	check(err, "find the cgroup2 mount")
	// Only the controllers in a parent's cgroup.subtree_control exist in its children; the
	// root may enable them although it holds processes (no-internal-process rule: it is exempt).
	check(write(filepath.Join(mount, "cgroup.subtree_control"), "+memory"), "enable the memory controller")

	dir := filepath.Join(mount, fmt.Sprintf("cgroup-mem-%d", os.Getpid()))
	check(os.Mkdir(dir, 0o755), "create the cgroup")
	status := runIn(dir, limit*mib, os.Args[2:])
	if err := removeCgroup(dir); err != nil {
		fmt.Fprintf(os.Stderr, "cgroup-mem: remove %s: %v\n", dir, err)
		if status == 0 {
			status = 1
		}
	}
	os.Exit(status)
}

// runIn limits the cgroup, runs the command inside it, prints the peak, returns the status.
func runIn(dir string, limit int64, command []string) int {
	// memory.high takes bytes and reads back in bytes: the cgroup's memory ceiling.
	if err := write(filepath.Join(dir, "memory.high"), strconv.FormatInt(limit, 10)); err != nil {
		fmt.Fprintln(os.Stderr, "cgroup-mem: set memory.high:", err)
		return 1
	}
	// memory.max does not count swap: with swap on, the command would page out instead of
	// being stopped. memory.swap.max exists where the kernel accounts swap.
	swap := filepath.Join(dir, "memory.swap.max")
	if _, err := os.Stat(swap); err == nil {
		if err := write(swap, "0"); err != nil {
			fmt.Fprintln(os.Stderr, "cgroup-mem: set memory.swap.max:", err)
			return 1
		}
	}
	peak := watchPeak(dir)

	cmd := exec.Command("/proc/self/exe", append([]string{"__child", dir}, command...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// Stay alive until the command is done, to report and clean up. Ctrl-C reaches the whole
	// foreground process group, the command too; a SIGTERM or SIGHUP for us alone is passed on.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(signals)
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "cgroup-mem:", err)
		return 1
	}
	go func() {
		for s := range signals {
			if s != syscall.SIGINT {
				cmd.Process.Signal(s)
			}
		}
	}()
	status := exitStatus(cmd.Wait())

	if bytes, err := peak(); err != nil {
		fmt.Fprintln(os.Stderr, "cgroup-mem: peak:", err)
	} else {
		fmt.Fprintf(os.Stderr, "peak: %d bytes (%.1f MiB)\n", bytes, float64(bytes)/mib)
	}
	return status
}

// watchPeak returns how to learn the cgroup's peak usage once the command is done.
// memory.peak (Linux 5.19) is the kernel's own high-water mark of memory.current. Without
// it, sample memory.current until asked: a sample can miss a short peak, the kernel cannot.
func watchPeak(dir string) func() (int64, error) {
	if _, err := os.Stat(filepath.Join(dir, "memory.peak")); err == nil {
		return func() (int64, error) { return readNumber(filepath.Join(dir, "memory.peak")) }
	}
	var mu sync.Mutex
	var most int64
	done := make(chan struct{})
	sample := func() {
		if n, err := readNumber(filepath.Join(dir, "memory.current")); err == nil {
			mu.Lock()
			if n > most {
				most = n
			}
			mu.Unlock()
		}
	}
	go func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				sample()
			}
		}
	}()
	return func() (int64, error) {
		close(done)
		sample()
		mu.Lock()
		defer mu.Unlock()
		return most, nil
	}
}

func readNumber(file string) (int64, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
}

// child runs inside the new process: it joins the cgroup, then becomes the command.
func child(dir string, command []string) {
	// "0" is the writing process itself; cgroup.procs moves the whole process, every thread.
	check(write(filepath.Join(dir, "cgroup.procs"), "0"), "join the cgroup")
	path, err := exec.LookPath(command[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "cgroup-mem:", err)
		os.Exit(127)
	}
	check(syscall.Exec(path, command, os.Environ()), "exec "+path)
}

// exitStatus is the command's exit code, or 128 + the signal that killed it, as a shell says.
func exitStatus(err error) int {
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return exit.ExitCode()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cgroup-mem:", err)
		return 1
	}
	return 0
}

// removeCgroup empties the cgroup — what the command left running in the background goes
// with it — and removes it. rmdir(2) fails with EBUSY while a process is still inside.
func removeCgroup(dir string) error {
	if procs, err := os.ReadFile(filepath.Join(dir, "cgroup.procs")); err == nil && len(strings.TrimSpace(string(procs))) > 0 {
		write(filepath.Join(dir, "cgroup.kill"), "1") // SIGKILL to every process in it (Linux 5.14)
	}
	var err error
	for i := 0; i < 200; i++ { // the killed need a moment to exit
		if err = syscall.Rmdir(dir); err == nil || err == syscall.ENOENT {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return err
}

// cgroup2Mount finds where the cgroup2 file system is mounted: /sys/fs/cgroup on most
// systems, /sys/fs/cgroup/unified on a v1/v2 hybrid. In mountinfo the file system type
// follows the " - " separator; the mount point is the fifth field (octal escapes for spaces).
func cgroup2Mount() (string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		parts := strings.SplitN(s.Text(), " - ", 2)
		fields := strings.Fields(parts[0])
		if len(parts) == 2 && strings.HasPrefix(parts[1], "cgroup2 ") && len(fields) >= 5 {
			return unescape(fields[4]), nil
		}
	}
	return "", errors.New("no cgroup2 file system in /proc/self/mountinfo")
}

// unescape decodes mountinfo's \040-style octal escapes.
func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// write writes one value to a cgroup interface file. The kernel answers each write(2) on its
// own: an invalid value fails here, with EINVAL, ENOENT or EBUSY.
func write(file, value string) error {
	f, err := os.OpenFile(file, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(value); err != nil {
		f.Close()
		return fmt.Errorf("write %q to %s: %w", value, file, err)
	}
	return f.Close()
}

func check(err error, what string) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "cgroup-mem: %s: %v\n", what, err)
		os.Exit(1)
	}
}

func usage(why string) {
	if why != "" {
		fmt.Fprintln(os.Stderr, "cgroup-mem:", why)
	}
	fmt.Fprintln(os.Stderr, "usage: cgroup-mem <limit-mb> <command> [args…]")
	os.Exit(2)
}
