// cgroup tree [--json] <root>
// Prints the cgroup hierarchy under <root> (a path relative to the cgroup2 mount, or an
// absolute one under it): each cgroup with its cgroup.subtree_control, its number of
// processes and its usage (memory.current, cpu.stat usage_usec, pids.current).
package main

import (
	"fmt"
	"os"
)

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
		if a == "--json" {
			asJSON = true
		} else {
			roots = append(roots, a)
		}
	}
	if len(roots) != 1 {
		usage()
	}

	// TODO: find the cgroup2 mount in /proc/self/mountinfo; resolve the root; walk the
	// directories below it; print each cgroup as a tree, or as JSON with --json.
	fmt.Fprintf(os.Stderr, "cgroup: not implemented (root %s, json %v)\n", roots[0], asJSON)
	os.Exit(1)
}
