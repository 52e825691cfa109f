// expect-fail: uid-map
// Wrong: reads the flag as <outside>:<inside>:<count> (unshare(1)'s order), so the map is written inverted: the command's inside id is mapped onto the host's root, and it runs as real root.
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
	return syscall.SysProcIDMap{HostID: v[0], ContainerID: v[1], Size: v[2]}, nil
}

func main() {
	args := os.Args[1:]
	var uidMap, gidMap *syscall.SysProcIDMap
	for len(args) >= 2 && (args[0] == "--uid-map" || args[0] == "--gid-map") {
		m, err := parseMap(args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, "userns:", err)
			os.Exit(2)
		}
		if args[0] == "--uid-map" {
			uidMap = &m
		} else {
			gidMap = &m
		}
		args = args[2:]
	}
	if uidMap == nil || gidMap == nil || len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: userns --uid-map <inside>:<outside>:<count> --gid-map … <command> [args…]")
		os.Exit(2)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:                 syscall.CLONE_NEWUSER,
		UidMappings:                []syscall.SysProcIDMap{*uidMap},
		GidMappings:                []syscall.SysProcIDMap{*gidMap},
		GidMappingsEnableSetgroups: true,
		Credential:                 &syscall.Credential{Uid: uint32(uidMap.ContainerID), Gid: uint32(gidMap.ContainerID)},
	}
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
