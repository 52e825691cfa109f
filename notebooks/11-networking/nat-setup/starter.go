// nat-setup <internal-subnet> <external-if>
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "nat-setup: not implemented")
	os.Exit(1)
}
