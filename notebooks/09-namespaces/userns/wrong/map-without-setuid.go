// expect-fail: root-inside
// Wrong: writes both maps correctly but never switches ids: the command is still the host's root (kuid 0), which the map does not cover, so inside it is "nobody" (65534).
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

func parseMap(s string) (syscall.SysProcIDMap, error) {
	f := strings.Split(s, ":")
	if len(f) != 3 {
		return syscall.SysProcIDMap{}, fmt.Errorf("bad map %q", s)
	}
	var v [3]int
	for i, p := range f {
		n, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return syscall.SysProcIDMap{}, fmt.Errorf("bad map %q", s)
		}
		v[i] = int(n)
	}
	return syscall.SysProcIDMap{ContainerID: v[0], HostID: v[1], Size: v[2]}, nil
}

func main() {
	args := os.Args[1:]
	attr := &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUSER, GidMappingsEnableSetgroups: true}
	for len(args) >= 2 && (args[0] == "--uid-map" || args[0] == "--gid-map") {
		m, err := parseMap(args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, "userns:", err)
			os.Exit(2)
		}
		if args[0] == "--uid-map" {
			attr.UidMappings = []syscall.SysProcIDMap{m}
		} else {
			attr.GidMappings = []syscall.SysProcIDMap{m}
		}
		args = args[2:]
	}
	if attr.UidMappings == nil || len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: userns --uid-map <inside>:<outside>:<count> [--gid-map …] <command> [args…]")
		os.Exit(2)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = attr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		os.Exit(exit.ExitCode())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "userns:", err)
		os.Exit(1)
	}
}
