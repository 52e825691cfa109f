// bridge <name> <subnet>
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "bridge: not implemented")
	os.Exit(1)
}
