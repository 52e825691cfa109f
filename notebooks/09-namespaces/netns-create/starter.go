// netns create <name>
// Creates a network namespace that outlives this program, bind-mounted at /run/netns/<name>.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "netns: not implemented")
	os.Exit(1)
}
