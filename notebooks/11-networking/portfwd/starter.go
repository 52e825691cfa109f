// portfwd <host-port> <container-ip:port>
// Publishes a container's TCP port on the host: connections to <host-port> on the host,
// from other machines or from the host itself, reach <container-ip:port>.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "portfwd: not implemented")
	os.Exit(1)
}
