// expect-fail: command-started
// Wrong: names the device by st_dev, the device of the file system its node is on (devtmpfs), not st_rdev, the device the node stands for: the kernel knows no such disk and io.max refuses the line.
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

const usage = "usage: cgroup-io <device> <bps> <command> [args…]"

func main() {
	if len(os.Args) >= 3 && os.Args[1] == "__child" {
		child(os.Args[2], os.Args[3:])
		return
	}
	if len(os.Args) < 4 {
		fail(2, usage)
	}
	device, bpsArg, command := os.Args[1], os.Args[2], os.Args[3:]
	bps, err := strconv.ParseUint(bpsArg, 10, 64)
	if err != nil || bps == 0 {
		fail(2, "%q is not a positive number of bytes per second\n%s", bpsArg, usage)
	}
	majMin, err := wholeDisk(device)
	if err != nil {
		fail(2, "%v", err)
	}

	mount, err := cgroup2Mount()
	if err != nil {
		fail(1, "%v", err)
	}
	if err := enableIO(mount); err != nil {
		fail(1, "%v", err)
	}
	cg := filepath.Join(mount, fmt.Sprintf("cgroup-io-%d", os.Getpid()))
	if err := os.Mkdir(cg, 0o755); err != nil {
		fail(1, "create the cgroup: %v", err)
	}
	status := run(cg, majMin, bps, command)
	if err := removeCgroup(cg); err != nil {
		fmt.Fprintf(os.Stderr, "cgroup-io: remove %s: %v\n", cg, err)
		if status == 0 {
			status = 1
		}
	}
	os.Exit(status)
}

// run sets the limit and runs the command in the cgroup; it returns the exit status to pass on.
func run(cg, majMin string, bps uint64, command []string) int {
	// One line per device: "MAJ:MIN key=value…"; keys left out keep their value (max).
	limit := fmt.Sprintf("%s rbps=%d wbps=%d", majMin, bps, bps)
	if err := os.WriteFile(filepath.Join(cg, "io.max"), []byte(limit), 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "cgroup-io: write %q to io.max: %v\n", limit, err)
		return 1
	}
	cmd := exec.Command("/proc/self/exe", append([]string{"__child", cg}, command...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "cgroup-io:", err)
		return 1
	}
	// A signal for us (Ctrl-C, kill) is passed on, and we stay to clean up after the command.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		for s := range signals {
			cmd.Process.Signal(s)
		}
	}()
	err := cmd.Wait()
	signal.Stop(signals)
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()) // as a shell reports a command killed by a signal
		}
		return exit.ExitCode()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cgroup-io:", err)
		return 1
	}
	return 0
}

// child joins the cgroup, then becomes the command (same PID: the parent waits for it).
func child(cg string, command []string) {
	// "0" means the writing process; its whole thread group moves.
	if err := os.WriteFile(filepath.Join(cg, "cgroup.procs"), []byte("0"), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "cgroup-io: join the cgroup:", err)
		os.Exit(1)
	}
	path, err := exec.LookPath(command[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "cgroup-io:", err)
		os.Exit(127)
	}
	if err := syscall.Exec(path, command, os.Environ()); err != nil {
		fmt.Fprintln(os.Stderr, "cgroup-io: exec:", err)
		os.Exit(126)
	}
}

// wholeDisk returns "MAJ:MIN" of a block device node, refusing a partition: the io controller
// throttles whole disks, and the kernel answers a partition's numbers with ENODEV.
func wholeDisk(device string) (string, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(device, &st); err != nil {
		return "", fmt.Errorf("%s: %v", device, err)
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFBLK {
		return "", fmt.Errorf("%s is not a block device (io.max limits disks, such as /dev/vda or /dev/loop0)", device)
	}
	// The device number of the file.
	rdev := uint64(st.Dev)
	// Its encoding, as glibc's major(3) and minor(3) decode it: 12 bits of major and 20 of minor,
	// the low ones first (a 16-bit dev_t of old was "major<<8 | minor").
	major := (rdev>>8)&0xfff | uint64(uint32(rdev>>32))&^0xfff
	minor := rdev&0xff | uint64(uint32(rdev>>12))&^0xff
	majMin := fmt.Sprintf("%d:%d", major, minor)
	sys := "/sys/dev/block/" + majMin
	if _, err := os.Stat(filepath.Join(sys, "partition")); err == nil {
		disk := "its disk"
		// /sys/dev/block/MAJ:MIN links to the partition's directory, which is inside its disk's.
		if target, err := filepath.EvalSymlinks(sys); err == nil {
			disk = "/dev/" + filepath.Base(filepath.Dir(target))
		}
		return "", fmt.Errorf("%s (%s) is a partition: io.max limits whole disks only, and the kernel refuses a partition's numbers (ENODEV). Limit %s instead", device, majMin, disk)
	}
	return majMin, nil
}

// cgroup2Mount finds where the cgroup2 file system is mounted (/sys/fs/cgroup on a unified
// system, /sys/fs/cgroup/unified on a hybrid one): the 5th field of its mountinfo line.
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
	return "", errors.New("no cgroup2 file system is mounted (/proc/self/mountinfo)")
}

// enableIO makes the root's children get the io controller (a no-op when it is on already).
func enableIO(mount string) error {
	available, _ := os.ReadFile(filepath.Join(mount, "cgroup.controllers"))
	if !contains(strings.Fields(string(available)), "io") {
		return fmt.Errorf("the io controller is not in %s/cgroup.controllers (on a v1/v2 hybrid it belongs to cgroup v1)", mount)
	}
	if err := os.WriteFile(filepath.Join(mount, "cgroup.subtree_control"), []byte("+io"), 0o644); err != nil {
		return fmt.Errorf("enable io in %s/cgroup.subtree_control: %v", mount, err)
	}
	return nil
}

// removeCgroup kills what the command left behind in the cgroup, then removes it.
func removeCgroup(cg string) error {
	os.WriteFile(filepath.Join(cg, "cgroup.kill"), []byte("1"), 0o644) // Linux 5.14+
	for i := 0; i < 100; i++ {
		events, _ := os.ReadFile(filepath.Join(cg, "cgroup.events"))
		if !strings.Contains(string(events), "populated 1") {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	return os.Remove(cg) // rmdir(2): a cgroup is removed empty, its interface files with it
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func fail(code int, format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "cgroup-io: "+format+"\n", args...)
	os.Exit(code)
}
