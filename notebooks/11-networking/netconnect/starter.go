// netconnect <netns> <bridge> <ip/prefix>
// Plugs a namespace into a bridge: a veth pair, eth0 in the namespace with the address and a
// default route via the bridge's address, the other end a port of the bridge.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "netconnect: not implemented")
	os.Exit(1)
}
