// uts-container <hostname> <command> [args…]
// Runs <command> in a new UTS namespace whose hostname is <hostname>.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "uts-container: not implemented")
	os.Exit(1)
}
