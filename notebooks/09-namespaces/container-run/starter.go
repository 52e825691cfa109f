// container run <rootfs> <command> [args…]
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "container: not implemented")
	os.Exit(1)
}
