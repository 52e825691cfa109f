// expect-fail: exit-code
// Wrong: the namespace and hostname are right, but the command's exit code is swallowed.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

func main() {
	if len(os.Args) >= 2 && os.Args[1] == "__child" {
		syscall.Sethostname([]byte(os.Args[2]))
		path, _ := exec.LookPath(os.Args[3])
		syscall.Exec(path, os.Args[3:], os.Environ())
		return
	}
	cmd := exec.Command("/proc/self/exe", append([]string{"__child"}, os.Args[1:]...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUTS}
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "command failed:", err)
	}
}
