// userns --uid-map <inside>:<outside>:<count> [--gid-map …] <command> [args…]
// Runs <command> in a new user namespace with the given id maps, as the maps' inside ids.
//
// Go writes uid_map and gid_map from the parent between clone and exec, while the child
// waits. The maps alone change no one: the child is still the host's root (kuid 0), an id
// the map does not cover, so inside it is "nobody". It becomes root of the namespace (the
// outside id, for the host) only by switching to the inside ids, and that has to happen
// before exec: at execve a process that is not root of its namespace loses its
// capabilities (ambient ones aside), CAP_SETUID included. SysProcAttr.Credential does the switch at the right
// moment, so the command is cloned and exec'd directly, keeping the PID we wait for.
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

// Not in Go's syscall package for amd64 (linux/capability.h, linux/prctl.h).
const (
	capSetuid            = 7
	prCapAmbient         = 0x2f
	prCapAmbientClearAll = 4
)

func main() {
	if len(os.Args) >= 2 && os.Args[1] == "__setuid" {
		setuidChild(os.Args[2], os.Args[3:])
		return
	}
	uidMap, gidMap, command, err := parseArgs(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "userns:", err)
		fmt.Fprintln(os.Stderr, "usage: userns --uid-map <inside>:<outside>:<count> [--gid-map …] <command> [args…]")
		os.Exit(2)
	}

	attr := &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER,
		UidMappings: []syscall.SysProcIDMap{*uidMap},
	}
	var cmd *exec.Cmd
	if gidMap != nil {
		attr.GidMappings = []syscall.SysProcIDMap{*gidMap}
		// We write the map as root (CAP_SETGID in the parent namespace), so setgroups(2)
		// may stay allowed: the child needs it to drop the host's groups.
		attr.GidMappingsEnableSetgroups = true
		// In the child, after the maps are written and before exec: setgroups([]) (an empty
		// Groups drops the host's supplementary groups, which the command would otherwise
		// keep), setgid, setuid, in that order: after setuid we might no longer be allowed
		// to change groups.
		attr.Credential = &syscall.Credential{Uid: uint32(uidMap.ContainerID), Gid: uint32(gidMap.ContainerID)}
		cmd = exec.Command(command[0], command[1:]...)
	} else {
		// No gid is mapped, so no setgid is possible, and Credential always does one. Switch
		// the uid alone in a re-executed child instead, which keeps CAP_SETUID through that
		// one exec as an ambient capability. Its gid stays the host's (65534 inside).
		attr.AmbientCaps = []uintptr{capSetuid}
		args := append([]string{"__setuid", strconv.Itoa(uidMap.ContainerID)}, command...)
		cmd = exec.Command("/proc/self/exe", args...)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = attr
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		os.Exit(exit.ExitCode())
	}
	if err != nil {
		// Also where the kernel refuses a map (EINVAL, EPERM) while Go writes it, or the
		// command is not found.
		fmt.Fprintln(os.Stderr, "userns:", err)
		if errors.Is(err, exec.ErrNotFound) {
			os.Exit(127)
		}
		os.Exit(1)
	}
}

// parseArgs reads the flags strictly: each at most once, --uid-map required, a value that
// is not exactly three decimal numbers is an error rather than a guess.
func parseArgs(args []string) (uidMap, gidMap *syscall.SysProcIDMap, command []string, err error) {
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		name, value, inline := strings.Cut(args[0], "=")
		if name == "--" {
			args = args[1:]
			break
		}
		var target **syscall.SysProcIDMap
		switch name {
		case "--uid-map":
			target = &uidMap
		case "--gid-map":
			target = &gidMap
		default:
			return nil, nil, nil, fmt.Errorf("unknown flag %s", name)
		}
		if *target != nil {
			return nil, nil, nil, fmt.Errorf("%s given twice", name)
		}
		if !inline {
			if len(args) < 2 {
				return nil, nil, nil, fmt.Errorf("%s needs a value <inside>:<outside>:<count>", name)
			}
			value, args = args[1], args[2:]
		} else {
			args = args[1:]
		}
		m, err := parseMap(value)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s %q: %v", name, value, err)
		}
		*target = m
	}
	if uidMap == nil {
		return nil, nil, nil, errors.New("--uid-map is required")
	}
	if len(args) == 0 {
		return nil, nil, nil, errors.New("no command")
	}
	return uidMap, gidMap, args, nil
}

// parseMap reads <inside>:<outside>:<count>, the order of the kernel's uid_map lines.
func parseMap(s string) (*syscall.SysProcIDMap, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return nil, errors.New("want <inside>:<outside>:<count>")
	}
	var v [3]uint64
	for i, p := range parts {
		// ParseUint, not Atoi: no sign, no spaces, nothing after the digits.
		n, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number from 0 to 4294967295", p)
		}
		v[i] = n
	}
	inside, outside, count := v[0], v[1], v[2]
	if count == 0 {
		return nil, errors.New("count must be at least 1")
	}
	// 4294967295 is (uid_t)-1, "no id": a range may not reach it.
	if inside+count > 1<<32-1 || outside+count > 1<<32-1 {
		return nil, errors.New("range goes past 4294967294")
	}
	return &syscall.SysProcIDMap{ContainerID: int(inside), HostID: int(outside), Size: int(count)}, nil
}

// setuidChild runs inside the new user namespace (maps written) with an ambient CAP_SETUID.
func setuidChild(uidArg string, command []string) {
	uid, _ := strconv.Atoi(uidArg)
	if err := syscall.Setuid(uid); err != nil {
		fail("setuid", err)
	}
	path, err := exec.LookPath(command[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "userns:", err)
		os.Exit(127)
	}
	// Capabilities are per thread: clear the ambient set on the thread that will exec, so
	// that a command running as a non-root inside id does not inherit CAP_SETUID.
	runtime.LockOSThread()
	if _, _, e := syscall.RawSyscall6(syscall.SYS_PRCTL, prCapAmbient, prCapAmbientClearAll, 0, 0, 0, 0); e != 0 {
		fail("clearing ambient capabilities", e)
	}
	if err := syscall.Exec(path, command, os.Environ()); err != nil {
		fail("exec", err)
	}
}

func fail(what string, err error) {
	fmt.Fprintf(os.Stderr, "userns: %s: %v\n", what, err)
	os.Exit(1)
}
