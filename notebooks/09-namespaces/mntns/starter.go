// mntns <command> [args…]
// Runs <command> in a new mount namespace whose mounts are all private.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "mntns: not implemented")
	os.Exit(1)
}
