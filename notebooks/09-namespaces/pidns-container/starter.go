// pidns-container <rootfs> <command> [args…]
// Runs <command> as PID 1 of a new PID namespace, with <rootfs> as its root and its own /proc.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "pidns-container: not implemented")
	os.Exit(1)
}
