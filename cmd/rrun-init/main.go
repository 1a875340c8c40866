// Command rrun-init is the init `rrun run --init` puts at pid 1 of a
// container: it starts the command, forwards every signal it gets to it,
// reaps every zombie, and exits with the command's status (128+N when the
// command was killed by signal N). It is built static (CGO_ENABLED=0) so it
// runs in any image, and is bind-mounted read-only at /.rrun/init.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "rrun-init: no command given")
		os.Exit(125)
	}
	os.Exit(run(args))
}

func run(args []string) int {
	sigs := make(chan os.Signal, 32)
	signal.Notify(sigs)
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "rrun-init: %v\n", err)
		if os.IsNotExist(err) || err == exec.ErrNotFound {
			return 127
		}
		return 126
	}
	child := cmd.Process.Pid
	for s := range sigs {
		if s == syscall.SIGCHLD {
			if code, done := reap(child); done {
				return code
			}
			continue
		}
		_ = syscall.Kill(child, s.(syscall.Signal))
	}
	return 0
}

// reap collects every exited child; done is true once the command itself
// has exited, with its exit code.
func reap(child int) (code int, done bool) {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err != nil || pid <= 0 {
			return code, done
		}
		if pid != child {
			continue
		}
		done = true
		code = ws.ExitStatus()
		if ws.Signaled() {
			code = 128 + int(ws.Signal())
		}
	}
}
