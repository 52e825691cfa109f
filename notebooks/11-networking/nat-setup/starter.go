// nat-setup <internal-subnet> <external-if>
// Lets the containers of <internal-subnet> reach the outside world through <external-if>:
// forwarding on, the FORWARD chain accepting their traffic, MASQUERADE on the way out.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "nat-setup: not implemented")
	os.Exit(1)
}
