// expect-fail: cpu-usage
// Wrong: sets cpu.weight to the percent instead of cpu.max: a weight only shares a CPU that is contended — on an idle machine the command still gets all of one.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) >= 3 && os.Args[1] == "__child" {
		child(os.Args[2], os.Args[3:])
		return
	}
	cpus := runtime.NumCPU() // the CPUs this process may run on (sched_getaffinity)
	if len(os.Args) < 3 {
		usage("")
	}
	percent, err := strconv.Atoi(os.Args[1])
	if err != nil || percent < 1 || percent > 100*cpus {
		usage(fmt.Sprintf("percent must be a whole number from 1 to %d (100 per CPU, %d CPUs here), not %q", 100*cpus, cpus, os.Args[1]))
	}

	mount, err := cgroup2Mount()
	check(err, "find the cgroup2 mount")
	// Only the controllers listed in a parent's cgroup.subtree_control exist in its children.
	// The root may hold processes and still enable them (it is exempt from the
	// no-internal-process rule); on a systemd machine "+cpu" is there already and this is a no-op.
	check(write(filepath.Join(mount, "cgroup.subtree_control"), "+cpu"), "enable the cpu controller")

	dir := filepath.Join(mount, fmt.Sprintf("cgroup-cpu-%d", os.Getpid()))
	check(os.Mkdir(dir, 0o755), "create the cgroup")
	status := runIn(dir, percent, os.Args[2:])
	if err := removeCgroup(dir); err != nil {
		fmt.Fprintf(os.Stderr, "cgroup-cpu: remove %s: %v\n", dir, err)
		if status == 0 {
			status = 1
		}
	}
	os.Exit(status)
}

// runIn limits the cgroup, runs the command inside it and returns its exit status.
func runIn(dir string, percent int, command []string) int {
	// The cgroup's share of the CPU: weight 25 against the default 100 of the others.
	if err := write(filepath.Join(dir, "cpu.weight"), strconv.Itoa(percent)); err != nil {
		fmt.Fprintln(os.Stderr, "cgroup-cpu: set cpu.weight:", err)
		return 1
	}
	cmd := exec.Command("/proc/self/exe", append([]string{"__child", dir}, command...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr

	// Stay alive until the command is done, to remove the cgroup. Ctrl-C in a terminal reaches
	// the whole foreground process group, the command too: nothing to pass on. A SIGTERM or
	// SIGHUP sent to us alone is passed on to the command.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(signals)
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "cgroup-cpu:", err)
		return 1
	}
	go func() {
		for s := range signals {
			if s != syscall.SIGINT {
				cmd.Process.Signal(s)
			}
		}
	}()
	return exitStatus(cmd.Wait())
}

// child runs inside the new process: it joins the cgroup, then becomes the command.
func child(dir string, command []string) {
	// "0" is the writing process itself; cgroup.procs moves the whole process, every thread.
	check(write(filepath.Join(dir, "cgroup.procs"), "0"), "join the cgroup")
	path, err := exec.LookPath(command[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "cgroup-cpu:", err)
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
		fmt.Fprintln(os.Stderr, "cgroup-cpu:", err)
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
		fmt.Fprintf(os.Stderr, "cgroup-cpu: %s: %v\n", what, err)
		os.Exit(1)
	}
}

func usage(why string) {
	if why != "" {
		fmt.Fprintln(os.Stderr, "cgroup-cpu:", why)
	}
	fmt.Fprintln(os.Stderr, "usage: cgroup-cpu <percent> <command> [args…]")
	os.Exit(2)
}
