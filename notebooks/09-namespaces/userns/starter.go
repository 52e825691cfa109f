// userns --uid-map <inside>:<outside>:<count> [--gid-map …] <command> [args…]
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "userns: not implemented")
	os.Exit(1)
}
