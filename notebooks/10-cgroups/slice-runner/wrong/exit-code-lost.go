// expect-fail: exit-code
// Wrong: the scope is right, but the command's exit status is swallowed: a failing command looks like a success.
package main

import (
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
	if err := cmd.Wait(); err != nil {
		fmt.Fprintln(os.Stderr, "slice-runner: the command failed:", err)
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
