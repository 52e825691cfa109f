// docker-net create|connect|disconnect|rm …
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "docker-net: not implemented")
	os.Exit(1)
}
