// pidns-container <rootfs> <command> [args…]
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "pidns-container: not implemented")
	os.Exit(1)
}
