// portfwd <host-port> <container-ip:port>
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "portfwd: not implemented")
	os.Exit(1)
}
