// expect-fail: root-moved
// Wrong: cleans up at exit like a program that runs a command would: moves the process back to the
// root cgroup and removes the one it made. Out of a frozen cgroup, the process runs again.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// How long freezing may take: the kernel stops each task the next time it leaves the kernel,
// so a task stuck in an uninterruptible sleep delays it.
const waitLimit = 10 * time.Second

func usage() {
	fmt.Fprintln(os.Stderr, "usage: cgroup-freeze [--thaw] <pid>")
	os.Exit(2)
}

func main() {
	args := os.Args[1:]
	thaw := false
	if len(args) > 0 && args[0] == "--thaw" {
		thaw, args = true, args[1:]
	}
	if len(args) != 1 {
		usage()
	}
	pid, err := strconv.Atoi(args[0])
	if err != nil || pid <= 0 {
		fmt.Fprintf(os.Stderr, "cgroup-freeze: %q is not a process id\n", args[0])
		usage()
	}
	if err := run(pid, thaw); err != nil {
		fmt.Fprintln(os.Stderr, "cgroup-freeze:", err)
		os.Exit(1)
	}
}

func run(pid int, thaw bool) error {
	mount, err := cgroup2Mount()
	if err != nil {
		return err
	}
	rel, err := cgroupOf(strconv.Itoa(pid))
	if err != nil {
		return err
	}
	dir := filepath.Join(mount, rel)

	if rel == "/" {
		if thaw {
			fmt.Printf("pid %d is in the root cgroup, which is never frozen: nothing to thaw\n", pid)
			return nil
		}
		// The root has no cgroup.freeze (and freezing it would stop the whole machine):
		// give the process a cgroup of its own, directly under the root.
		dir = filepath.Join(mount, fmt.Sprintf("cgroup-freeze-%d", pid))
		if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
		if err := writeFile(filepath.Join(dir, "cgroup.procs"), strconv.Itoa(pid)); err != nil {
			return fmt.Errorf("moving pid %d into %s: %w", pid, dir, err)
		}
		rel = strings.TrimPrefix(dir, mount)
		// Leave the system as we found it: put the process back and remove our cgroup.
		defer func() {
			writeFile(filepath.Join(mount, "cgroup.procs"), strconv.Itoa(pid))
			os.Remove(dir)
		}()
	}

	// Freezing the cgroup this program runs in would stop the program too, before it could
	// ever see "frozen 1".
	if self, err := cgroupOf("self"); err == nil && !thaw && within(self, rel) {
		return fmt.Errorf("%s holds cgroup-freeze itself: freezing it would freeze this program", rel)
	}

	want := "1"
	if thaw {
		want = "0"
		if a := frozenAncestor(mount, rel); a != "" {
			return fmt.Errorf("%s stays frozen while its ancestor %s is (cgroup.freeze is 1 there): thaw that one", rel, a)
		}
	}
	if err := writeFile(filepath.Join(dir, "cgroup.freeze"), want); err != nil {
		return err
	}
	// Writing cgroup.freeze only asks; cgroup.events says when every task has stopped (or
	// runs again). The kernel also signals that change to poll(2) and inotify(7) watchers.
	deadline := time.Now().Add(waitLimit)
	for {
		events, err := os.ReadFile(filepath.Join(dir, "cgroup.events"))
		if err != nil {
			return err
		}
		if keyed(string(events))["frozen"] == want {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: cgroup.events did not show frozen %s within %s", rel, want, waitLimit)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if thaw {
		fmt.Printf("thawed %s (pid %d)\n", rel, pid)
	} else {
		fmt.Printf("frozen %s (pid %d)\n", rel, pid)
	}
	return nil
}

// cgroup2Mount finds where the cgroup2 file system is mounted (/sys/fs/cgroup on a unified
// system, /sys/fs/cgroup/unified on a v1/v2 hybrid). mountinfo: proc(5).
func cgroup2Mount() (string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		left, right, ok := strings.Cut(s.Text(), " - ")
		fields := strings.Fields(left)
		if ok && strings.HasPrefix(right, "cgroup2 ") && len(fields) >= 5 {
			return unescape(fields[4]), nil
		}
	}
	return "", errors.New("no cgroup2 file system in /proc/self/mountinfo")
}

// unescape decodes mountinfo's octal escapes (a space is \040).
func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
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

// cgroupOf reads the cgroup v2 path of a process ("0::/some/path" in /proc/<pid>/cgroup),
// relative to the mount.
func cgroupOf(pid string) (string, error) {
	data, err := os.ReadFile("/proc/" + pid + "/cgroup")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("no process %s", pid)
		}
		return "", err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "0::") {
			return line[3:], nil
		}
	}
	return "", fmt.Errorf("process %s has no cgroup v2 line in /proc/%s/cgroup", pid, pid)
}

// within says whether cgroup a is b or below it.
func within(a, b string) bool {
	return b == "/" || a == b || strings.HasPrefix(a, b+"/")
}

// frozenAncestor returns the nearest ancestor of rel whose cgroup.freeze is 1, or "".
func frozenAncestor(mount, rel string) string {
	for p := filepath.Dir(rel); p != "/" && p != "."; p = filepath.Dir(p) {
		if v, err := os.ReadFile(filepath.Join(mount, p, "cgroup.freeze")); err == nil && strings.TrimSpace(string(v)) == "1" {
			return p
		}
	}
	return ""
}

// keyed parses a flat-keyed interface file ("populated 1\nfrozen 0").
func keyed(text string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		if k, v, ok := strings.Cut(line, " "); ok {
			out[k] = v
		}
	}
	return out
}

// writeFile writes one value to an interface file that must exist (no O_CREATE: a missing
// file is an error worth seeing, not one cgroupfs refuses to create).
func writeFile(path, value string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(value)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
