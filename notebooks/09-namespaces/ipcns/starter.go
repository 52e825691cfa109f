// ipcns <command> [args…]
// Runs <command> in a new IPC namespace.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "ipcns: not implemented")
	os.Exit(1)
}
