// expect-fail: gid-map
// Wrong: accepts --gid-map but never passes it on: only uid_map is written, and the command keeps the host's root group (65534 inside), though its uid is right.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
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
	if len(os.Args) >= 2 && os.Args[1] == "__setuid" {
		uid, _ := strconv.Atoi(os.Args[2])
		if err := syscall.Setuid(uid); err != nil {
			fmt.Fprintln(os.Stderr, "userns: setuid:", err)
			os.Exit(1)
		}
		path, err := exec.LookPath(os.Args[3])
		if err != nil {
			fmt.Fprintln(os.Stderr, "userns:", err)
			os.Exit(127)
		}
		runtime.LockOSThread()
		syscall.RawSyscall6(syscall.SYS_PRCTL, 0x2f, 4, 0, 0, 0, 0) // PR_CAP_AMBIENT_CLEAR_ALL
		syscall.Exec(path, os.Args[3:], os.Environ())
		os.Exit(1)
	}
	args := os.Args[1:]
	var uidMap *syscall.SysProcIDMap
	for len(args) >= 2 && (args[0] == "--uid-map" || args[0] == "--gid-map") {
		m, err := parseMap(args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, "userns:", err)
			os.Exit(2)
		}
		if args[0] == "--uid-map" {
			uidMap = &m
		}
		args = args[2:]
	}
	if uidMap == nil || len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: userns --uid-map <inside>:<outside>:<count> [--gid-map …] <command> [args…]")
		os.Exit(2)
	}
	cmd := exec.Command("/proc/self/exe", append([]string{"__setuid", strconv.Itoa(uidMap.ContainerID)}, args...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER,
		UidMappings: []syscall.SysProcIDMap{*uidMap},
		AmbientCaps: []uintptr{7}, // CAP_SETUID, kept through the exec of ourselves
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
