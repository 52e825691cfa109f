// expect-fail: scope-known
// Wrong: "a scope is just a cgroup": makes /<slice>/slice-runner-<pid>.scope itself and moves the command in. The kernel applies the slice's limit, but systemd knows no such unit: it cannot stop it, account for it or clean it up, and it owns that tree.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

func main() {
	if len(os.Args) >= 3 && os.Args[1] == "__child" {
		if err := os.WriteFile(filepath.Join(os.Args[2], "cgroup.procs"), []byte("0"), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "slice-runner:", err)
			os.Exit(1)
		}
		path, err := exec.LookPath(os.Args[3])
		if err != nil {
			fmt.Fprintln(os.Stderr, "slice-runner:", err)
			os.Exit(127)
		}
		syscall.Exec(path, os.Args[3:], os.Environ())
		os.Exit(126)
	}
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: slice-runner <slice> <command> [args…]")
		os.Exit(2)
	}
	slice := os.Args[1]
	if !strings.HasSuffix(slice, ".slice") {
		slice += ".slice"
	}
	mount, err := cgroup2Mount()
	if err != nil {
		fmt.Fprintln(os.Stderr, "slice-runner:", err)
		os.Exit(1)
	}
	// The slice's cgroup is /<slice>; a scope in it is one more directory.
	scope := filepath.Join(mount, slice, fmt.Sprintf("slice-runner-%d.scope", os.Getpid()))
	if err := os.MkdirAll(scope, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "slice-runner:", err)
		os.Exit(1)
	}
	cmd := exec.Command("/proc/self/exe", append([]string{"__child", scope}, os.Args[2:]...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err = cmd.Run()
	os.Remove(scope)
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			os.Exit(128 + int(ws.Signal()))
		}
		os.Exit(exit.ExitCode())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "slice-runner:", err)
		os.Exit(1)
	}
}

func cgroup2Mount() (string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		left, right, ok := strings.Cut(s.Text(), " - ")
		if ok && strings.HasPrefix(right, "cgroup2 ") {
			if fields := strings.Fields(left); len(fields) >= 5 {
				return fields[4], nil
			}
		}
	}
	return "", errors.New("no cgroup2 mount")
}
