// netns-inspect <name> [--json]
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "netns-inspect: not implemented")
	os.Exit(1)
}
