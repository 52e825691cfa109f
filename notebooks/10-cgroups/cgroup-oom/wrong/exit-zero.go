// expect-fail: exit-status
// Wrong: once the OOM kill is reported it counts as handled, and the program exits 0 — whoever ran it (a script, systemd) sees a success.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
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

const (
	mib          = 1 << 20
	defaultLimit = 64 // MiB
)

func main() {
	if len(os.Args) >= 3 && os.Args[1] == "__child" {
		child(os.Args[2], os.Args[3:])
		return
	}
	flags := flag.NewFlagSet("cgroup-oom", flag.ContinueOnError)
	flags.SetOutput(io.Discard) // its errors are said once, by usage()
	limit := flags.Int64("limit-mb", defaultLimit, "memory limit in MiB")
	// Flags stop at the first argument that is not one: the command's own flags are its own.
	if err := flags.Parse(os.Args[1:]); err != nil {
		usage(err.Error())
	}
	if *limit < 1 || *limit > 1<<40 {
		usage(fmt.Sprintf("--limit-mb must be a whole number of MiB, at least 1, not %d", *limit))
	}
	if flags.NArg() == 0 {
		usage("")
	}

	mount, err := cgroup2Mount()
	check(err, "find the cgroup2 mount")
	// The root may hand controllers down although it holds processes (it is exempt from the
	// no-internal-process rule); on a systemd machine "+memory" is there already.
	check(write(filepath.Join(mount, "cgroup.subtree_control"), "+memory"), "enable the memory controller")

	name := fmt.Sprintf("cgroup-oom-%d", os.Getpid())
	dir := filepath.Join(mount, name)
	check(os.Mkdir(dir, 0o755), "create the cgroup")
	status := runIn(dir, "/"+name, *limit*mib, flags.Args())
	if err := removeCgroup(dir); err != nil {
		fmt.Fprintf(os.Stderr, "cgroup-oom: remove %s: %v\n", dir, err)
		if status == 0 {
			status = 1
		}
	}
	os.Exit(status)
}

// runIn sets the cgroup up, runs the command in it while watching for OOM kills, and
// returns the exit status.
func runIn(dir, rel string, limit int64, command []string) int {
	for _, f := range []struct{ file, value string }{
		{"memory.max", strconv.FormatInt(limit, 10)}, // bytes; at the limit, reclaim, then the OOM killer
		{"memory.oom.group", "1"},                    // the OOM killer takes the whole cgroup, or nothing
	} {
		if err := write(filepath.Join(dir, f.file), f.value); err != nil {
			fmt.Fprintf(os.Stderr, "cgroup-oom: set %s: %v\n", f.file, err)
			return 1
		}
	}
	// Without swap off, a cgroup at its limit pages out instead of meeting the OOM killer.
	if swap := filepath.Join(dir, "memory.swap.max"); exists(swap) {
		if err := write(swap, "0"); err != nil {
			fmt.Fprintln(os.Stderr, "cgroup-oom: set memory.swap.max:", err)
			return 1
		}
	}
	w, err := watch(dir, rel)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cgroup-oom: watch memory.events:", err)
		return 1
	}
	defer w.stop()

	cmd := exec.Command("/proc/self/exe", append([]string{"__child", dir}, command...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// Stay alive until the command is done, to report and clean up. Ctrl-C reaches the whole
	// foreground process group, the command too; a SIGTERM or SIGHUP for us alone is passed on.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(signals)
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "cgroup-oom:", err)
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

	// The last word: the counters now that the command is gone (an event may still be on
	// its way to the watcher).
	if w.check() > 0 {
		return 0 // reported: handled
	}
	return status
}

// oomWatch follows a cgroup's memory.events with inotify: the kernel signals a change to it
// as a file modification. It reports every rise of oom_kill, once.
type oomWatch struct {
	events, rel string
	file        *os.File
	mu          sync.Mutex
	reported    int64
}

func watch(dir, rel string) (*oomWatch, error) {
	w := &oomWatch{events: filepath.Join(dir, "memory.events"), rel: rel}
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC | syscall.IN_NONBLOCK)
	if err != nil {
		return nil, err
	}
	if _, err := syscall.InotifyAddWatch(fd, w.events, syscall.IN_MODIFY); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	// Non-blocking, through Go's poller: stop() can then end a Read that waits.
	w.file = os.NewFile(uintptr(fd), "inotify")
	go func() {
		buf := make([]byte, 4096) // inotify events; which one does not matter, there is one file
		for {
			if _, err := w.file.Read(buf); err != nil {
				return
			}
			w.check()
		}
	}()
	return w, nil
}

// check reads memory.events, reports a new OOM kill, and returns oom_kill.
func (w *oomWatch) check() int64 {
	ev, err := readKeyed(w.events)
	if err != nil {
		return 0 // the cgroup is gone
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if n := ev["oom_kill"]; n > w.reported {
		w.reported = n
		line := fmt.Sprintf("cgroup-oom: OOM kill in %s: oom_kill %d", w.rel, n)
		if g, ok := ev["oom_group_kill"]; ok { // Linux 5.16
			line += fmt.Sprintf(", oom_group_kill %d", g)
		}
		fmt.Fprintln(os.Stderr, line)
	}
	return w.reported
}

func (w *oomWatch) stop() { w.file.Close() }

// readKeyed reads a flat-keyed file ("key value" lines) such as memory.events.
func readKeyed(file string) (map[string]int64, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) == 2 {
			if n, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				out[f[0]] = n
			}
		}
	}
	return out, nil
}

// child runs inside the new process: it joins the cgroup, then becomes the command.
func child(dir string, command []string) {
	// "0" is the writing process itself; cgroup.procs moves the whole process, every thread.
	check(write(filepath.Join(dir, "cgroup.procs"), "0"), "join the cgroup")
	path, err := exec.LookPath(command[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "cgroup-oom:", err)
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
		fmt.Fprintln(os.Stderr, "cgroup-oom:", err)
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

func exists(file string) bool {
	_, err := os.Stat(file)
	return err == nil
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
		fmt.Fprintf(os.Stderr, "cgroup-oom: %s: %v\n", what, err)
		os.Exit(1)
	}
}

func usage(why string) {
	if why != "" {
		fmt.Fprintln(os.Stderr, "cgroup-oom:", why)
	}
	fmt.Fprintf(os.Stderr, "usage: cgroup-oom [--limit-mb N] <command> [args…]   (N in MiB, default %d)\n", defaultLimit)
	os.Exit(2)
}
