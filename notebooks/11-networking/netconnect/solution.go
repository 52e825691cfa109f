// netconnect <netns> <bridge> <ip/prefix>
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "netconnect: not implemented")
	os.Exit(1)
}
