// expect-fail: malformed-map-rejected
// Wrong: parses the maps with fmt.Sscanf("%d:%d:%d"), which stops reading after the third number: "0:100000:1x" and "0:100000:1:9" are taken as 0:100000:1.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

func parseMap(s string) (syscall.SysProcIDMap, error) {
	var m syscall.SysProcIDMap
	if _, err := fmt.Sscanf(s, "%d:%d:%d", &m.ContainerID, &m.HostID, &m.Size); err != nil {
		return m, fmt.Errorf("bad map %q: %v", s, err)
	}
	return m, nil
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
