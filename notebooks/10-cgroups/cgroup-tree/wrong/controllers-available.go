// expect-fail: json-controllers
// Wrong: prints cgroup.controllers, what the parent made available to the cgroup, instead of
// cgroup.subtree_control, what the cgroup enables for its children.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Node is one cgroup, as --json prints it. A usage the cgroup has no file for (its parent did
// not enable that controller for it, or it is the root) is null.
type Node struct {
	Path           string   `json:"path"`
	SubtreeControl []string `json:"subtree_control"`
	Procs          *int64   `json:"procs"`
	MemoryCurrent  *int64   `json:"memory_current"`
	CPUUsageUsec   *int64   `json:"cpu_usage_usec"`
	PidsCurrent    *int64   `json:"pids_current"`
	Children       []*Node  `json:"children"`
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: cgroup tree [--json] <root>")
	os.Exit(2)
}

func main() {
	if len(os.Args) < 2 || os.Args[1] != "tree" {
		usage()
	}
	asJSON := false
	var roots []string
	for _, a := range os.Args[2:] {
		switch {
		case a == "--json":
			asJSON = true
		case strings.HasPrefix(a, "-") && a != "-":
			fmt.Fprintf(os.Stderr, "cgroup: unknown option %q\n", a)
			usage()
		default:
			roots = append(roots, a)
		}
	}
	if len(roots) != 1 {
		usage()
	}
	mount, err := cgroup2Mount()
	if err != nil {
		fail(err)
	}
	rel, err := resolve(mount, roots[0])
	if err != nil {
		fail(err)
	}
	tree := walk(mount, rel)
	if asJSON {
		out, _ := json.MarshalIndent(tree, "", "  ")
		fmt.Println(string(out))
		return
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	fmt.Fprintln(w, line(tree.Path, tree))
	printChildren(w, tree, "")
}

// resolve turns <root> into a path relative to the mount ("/" for the mount itself), and
// makes sure that cgroup exists.
func resolve(mount, arg string) (string, error) {
	for _, part := range strings.Split(arg, "/") {
		if part == ".." {
			return "", fmt.Errorf("%q: \"..\" is not allowed (the path must stay under %s)", arg, mount)
		}
	}
	rel := filepath.Clean("/" + arg)
	if arg == mount || strings.HasPrefix(arg, mount+"/") {
		rel = filepath.Clean("/" + strings.TrimPrefix(arg, mount))
	}
	if _, err := os.Stat(filepath.Join(mount, rel, "cgroup.procs")); err != nil {
		return "", fmt.Errorf("no cgroup %s under the cgroup2 mount %s", rel, mount)
	}
	return rel, nil
}

// walk reads a cgroup and, depth-first, every cgroup below it (children by name: os.ReadDir
// sorts). Every directory of the cgroup2 file system is a cgroup.
func walk(mount, rel string) *Node {
	dir := filepath.Join(mount, rel)
	n := &Node{Path: rel, SubtreeControl: strings.Fields(read(dir, "cgroup.controllers")), Children: []*Node{}}
	if procs, err := os.ReadFile(filepath.Join(dir, "cgroup.procs")); err == nil {
		count := int64(len(strings.Fields(string(procs))))
		n.Procs = &count
	}
	n.MemoryCurrent = number(read(dir, "memory.current"))
	n.CPUUsageUsec = number(keyed(read(dir, "cpu.stat"))["usage_usec"])
	n.PidsCurrent = number(read(dir, "pids.current"))
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() {
			n.Children = append(n.Children, walk(mount, filepath.Join(rel, e.Name())))
		}
	}
	return n
}

func printChildren(w *bufio.Writer, n *Node, prefix string) {
	for i, c := range n.Children {
		branch, more := "├── ", "│   "
		if i == len(n.Children)-1 {
			branch, more = "└── ", "    "
		}
		fmt.Fprintln(w, prefix+branch+line(filepath.Base(c.Path), c))
		printChildren(w, c, prefix+more)
	}
}

// line is one cgroup of the human tree: name [subtree_control] procs= memory= cpu= pids=.
func line(name string, n *Node) string {
	return fmt.Sprintf("%s [%s] procs=%s memory=%s cpu=%s pids=%s", name, strings.Join(n.SubtreeControl, " "),
		show(n.Procs, strconv.FormatInt), show(n.MemoryCurrent, size), show(n.CPUUsageUsec, seconds), show(n.PidsCurrent, strconv.FormatInt))
}

func show(v *int64, format func(int64, int) string) string {
	if v == nil {
		return "-"
	}
	return format(*v, 10)
}

// size: bytes in 1024-based units with one decimal ("812B", "4.0K", "1.9M", "2.1G").
func size(b int64, _ int) string {
	if b < 1024 {
		return fmt.Sprintf("%dB", b)
	}
	v, units := float64(b)/1024, "KMGT"
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.1f%c", v, units[i])
}

// seconds: microseconds as seconds, to the millisecond ("0.012s").
func seconds(usec int64, _ int) string {
	return fmt.Sprintf("%.3fs", float64(usec)/1e6)
}

// read returns an interface file's content, "" if it is not there.
func read(dir, file string) string {
	data, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(data))
}

// number parses a counter; nil for a missing file (or "max", which no usage file holds).
func number(s string) *int64 {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return nil
	}
	return &v
}

// keyed parses a flat-keyed file ("usage_usec 1234\nuser_usec 1000…").
func keyed(text string) map[string]string {
	out := map[string]string{}
	for _, l := range strings.Split(text, "\n") {
		if k, v, ok := strings.Cut(l, " "); ok {
			out[k] = v
		}
	}
	return out
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

func fail(err error) {
	fmt.Fprintln(os.Stderr, "cgroup:", err)
	os.Exit(1)
}
