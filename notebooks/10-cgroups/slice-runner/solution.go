// slice-runner <slice> <command> [args…]
// Runs <command> as a transient scope unit in the systemd slice <slice>, so that the slice's
// resource settings (MemoryMax=, CPUQuota=, …) apply to it, and systemd knows what it is.
//
// On a systemd machine the cgroup tree is systemd's: a program asks systemd for a cgroup
// rather than making one itself. A *scope* is the unit for processes someone else started:
// systemd-run --scope registers its own PID as the scope's process (D-Bus StartTransientUnit
// with a "PIDs" property), systemd makes /<slice>/run-….scope and moves it there, and then
// systemd-run execs the command. So the command stays our child: its stdin, stdout and stderr
// are ours and its exit status comes back to us. (A service would be started by systemd
// itself, detached from us.) The Go standard library has no D-Bus client: os/exec it is.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
)

const usage = "usage: slice-runner <slice> <command> [args…]"

func main() {
	if len(os.Args) < 3 {
		fail(2, usage)
	}
	slice, err := sliceName(os.Args[1])
	if err != nil {
		fail(2, "%v\n%s", err, usage)
	}
	// sd_booted(3): systemd is the init exactly when /run/systemd/system exists.
	if _, err := os.Stat("/run/systemd/system"); err != nil {
		fail(1, "systemd is not running as init here: there are no slices to run in")
	}
	systemdRun, err := exec.LookPath("systemd-run")
	if err != nil {
		fail(1, "%v", err)
	}

	args := []string{
		"--scope",          // a scope: the command is run by systemd-run itself, in our foreground
		"--slice=" + slice, // in that slice: /<slice>/run-….scope in the cgroup tree
		"--collect",        // unload the scope when it is done, even after a failure (an OOM kill)
		"--quiet",          // no "Running as unit: …" on stderr: the output is the command's
		"--",
	}
	cmd := exec.Command(systemdRun, append(args, os.Args[2:]...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		fail(1, "%v", err)
	}
	// A signal for us (kill, Ctrl-C) is passed on to the command.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		for s := range signals {
			cmd.Process.Signal(s)
		}
	}()
	err = cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			os.Exit(128 + int(ws.Signal())) // as a shell reports a command killed by a signal
		}
		os.Exit(exit.ExitCode())
	}
	if err != nil {
		fail(1, "%v", err)
	}
}

// sliceName checks a slice's unit name and adds ".slice" when it is missing, as systemd-run
// does. A dash in it means nesting: "a-b.slice" is inside "a.slice" (/a.slice/a-b.slice).
func sliceName(name string) (string, error) {
	if !strings.HasSuffix(name, ".slice") {
		name += ".slice"
	}
	base := strings.TrimSuffix(name, ".slice")
	if base == "" || len(name) > 255 {
		return "", fmt.Errorf("%q is not a slice name", name)
	}
	for _, c := range base {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(":_.-\\", c)) {
			return "", fmt.Errorf("%q is not a slice name: a unit name has only letters, digits and :_.-\\", name)
		}
	}
	if base != "-" && (strings.HasPrefix(base, "-") || strings.HasSuffix(base, "-") || strings.Contains(base, "--")) {
		return "", fmt.Errorf("%q is not a slice name: dashes separate the levels of the slice tree", name)
	}
	return name, nil
}

func fail(code int, format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "slice-runner: "+format+"\n", args...)
	os.Exit(code)
}
