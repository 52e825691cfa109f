// netns create <name>
// netns exec <name> <command> [args…]
// Runs <command> inside the network namespace bind-mounted at /run/netns/<name>.
// (Start from your 5.1 program: keep `create`, add `exec`.)
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "netns: not implemented")
	os.Exit(1)
}
