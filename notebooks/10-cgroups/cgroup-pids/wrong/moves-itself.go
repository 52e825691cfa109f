// expect-fail: command-runs
// Wrong: moves the program itself into the cgroup so that the command inherits it; but every thread
// of the Go program counts against pids.max too, and leaves the command (almost) nothing.
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
	"syscall"
	"time"
)

func usage() {
	fmt.Fprintln(os.Stderr, "usage: cgroup-pids <max> <command> [args…]")
	os.Exit(2)
}

func main() {
	if len(os.Args) >= 3 && os.Args[1] == "__child" {
		child(os.Args[2], os.Args[3:])
		return
	}
	if len(os.Args) < 3 {
		usage()
	}
	max, err := strconv.Atoi(os.Args[1])
	if err != nil || max < 1 {
		fmt.Fprintf(os.Stderr, "cgroup-pids: <max> must be a whole number of tasks, at least 1 (the command itself): %q\n", os.Args[1])
		usage()
	}
	os.Exit(run(max, os.Args[2:]))
}

// run returns the exit status to leave with: the command's, or 1 if it could not run.
func run(max int, command []string) int {
	mount, err := cgroup2Mount()
	if err != nil {
		return fail(err)
	}
	// Controllers are enabled top-down: the root must give "pids" to its children before a
	// child has a pids.max. Writing "+pids" again when it is on already changes nothing.
	if err := writeFile(filepath.Join(mount, "cgroup.subtree_control"), "+pids"); err != nil {
		return fail(fmt.Errorf("enabling the pids controller in %s/cgroup.subtree_control (is it in cgroup.controllers?): %w", mount, err))
	}
	dir := filepath.Join(mount, fmt.Sprintf("cgroup-pids-%d", os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return fail(err)
	}
	defer removeCgroup(dir)
	if err := writeFile(filepath.Join(dir, "pids.max"), strconv.Itoa(max)); err != nil {
		return fail(err)
	}

	// Join the cgroup: the command, our child, is born in it.
	if err := writeFile(filepath.Join(dir, "cgroup.procs"), strconv.Itoa(os.Getpid())); err != nil {
		return fail(err)
	}
	// Leave it again before removing it.
	defer writeFile(filepath.Join(mount, "cgroup.procs"), strconv.Itoa(os.Getpid()))
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// A signal meant for the command must not kill this program first: the cgroup would stay.
	// Ctrl-C reaches the command anyway (same process group); the rest is passed on.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	if err := cmd.Start(); err != nil {
		return fail(err)
	}
	go func() {
		for s := range signals {
			if s != syscall.SIGINT {
				cmd.Process.Signal(s)
			}
		}
	}()
	err = cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()) // as a shell reports a command killed by a signal
		}
		return exit.ExitCode()
	}
	if err != nil {
		return fail(err)
	}
	return 0
}

// child runs inside the new process: it joins the cgroup, then becomes the command. Until
// exec, this Go process (several threads) counts against pids.max; moving in is never
// refused by the limit, but a new thread would be, so exec at once.
func child(dir string, command []string) {
	path, err := exec.LookPath(command[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "cgroup-pids:", err)
		os.Exit(127)
	}
	if err := writeFile(filepath.Join(dir, "cgroup.procs"), strconv.Itoa(os.Getpid())); err != nil {
		fmt.Fprintln(os.Stderr, "cgroup-pids: joining the cgroup:", err)
		os.Exit(1)
	}
	if err := syscall.Exec(path, command, os.Environ()); err != nil {
		fmt.Fprintln(os.Stderr, "cgroup-pids: exec:", err)
		os.Exit(126)
	}
}

// removeCgroup ends what the command left in the cgroup (background jobs, daemons), waits
// until it is empty, and removes it: rmdir fails with EBUSY while a process is inside.
func removeCgroup(dir string) {
	for i := 0; i < 250 && populated(dir); i++ {
		if i == 0 {
			// cgroup.kill (Linux 5.14) SIGKILLs every process in the subtree, forks included.
			if err := writeFile(filepath.Join(dir, "cgroup.kill"), "1"); err != nil {
				killEach(dir)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := os.Remove(dir); err != nil {
		fmt.Fprintln(os.Stderr, "cgroup-pids: removing the cgroup:", err)
	}
}

func populated(dir string) bool {
	data, err := os.ReadFile(filepath.Join(dir, "cgroup.events"))
	return err == nil && strings.Contains(string(data), "populated 1")
}

// killEach is cgroup.kill for older kernels: SIGKILL every process listed in cgroup.procs.
func killEach(dir string) {
	data, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	for _, f := range strings.Fields(string(data)) {
		if pid, err := strconv.Atoi(f); err == nil {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// cgroup2Mount finds where the cgroup2 file system is mounted (/sys/fs/cgroup on a unified
// system, /sys/fs/cgroup/unified on a v1/v2 hybrid). mountinfo: proc(5).
func cgroup2Mount() (string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		left, right, ok := strings.Cut(s.Text(), " - ")
		fields := strings.Fields(left)
		if ok && strings.HasPrefix(right, "cgroup2 ") && len(fields) >= 5 {
			return unescape(fields[4]), nil
		}
	}
	return "", errors.New("no cgroup2 file system in /proc/self/mountinfo")
}

// unescape decodes mountinfo's octal escapes (a space is \040).
func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
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

// writeFile writes one value to an interface file that must exist (no O_CREATE).
func writeFile(path, value string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(value)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func fail(err error) int {
	fmt.Fprintln(os.Stderr, "cgroup-pids:", err)
	return 1
}
