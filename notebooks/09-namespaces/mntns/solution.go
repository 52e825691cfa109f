// mntns <command> [args…]
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "mntns: not implemented")
	os.Exit(1)
}
