// bridge <name> <subnet>
// Creates a bridge with the subnet's first host address, up, and turns on IPv4 forwarding.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "bridge: not implemented")
	os.Exit(1)
}
