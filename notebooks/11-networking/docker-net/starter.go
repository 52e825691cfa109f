// docker-net [--state-dir DIR] create <name> <subnet> | connect <name> <netns> | disconnect <name> <netns> | rm <name>
// A Docker-like network: a bridge with NAT, and addresses handed out to namespaces, remembered in DIR/<name>.json.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "docker-net: not implemented")
	os.Exit(1)
}
