// container run <rootfs> <command> [args…]
// Runs <command> in new PID, mount, network, UTS and IPC namespaces, with <rootfs> as root.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "container: not implemented")
	os.Exit(1)
}
