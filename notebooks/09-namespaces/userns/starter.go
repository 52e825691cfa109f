// userns --uid-map <inside>:<outside>:<count> [--gid-map …] <command> [args…]
// Runs <command> in a new user namespace with the given id maps.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "userns: not implemented")
	os.Exit(1)
}
