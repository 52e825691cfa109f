// netns create <name>
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "netns: not implemented")
	os.Exit(1)
}
