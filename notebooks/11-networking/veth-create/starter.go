// veth create <name1> <name2> [--netns1 NS] [--netns2 NS] [--addr1 CIDR] [--addr2 CIDR]
// Creates a veth pair, each end in its namespace when one is given, addressed and up.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "veth: not implemented")
	os.Exit(1)
}
