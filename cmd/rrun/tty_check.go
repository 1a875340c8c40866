package main

import (
	"fmt"
	"os"

	"github.com/rrun-project/rrun/host/monitor"
)

// checkInputTTY refuses -it when stdin is not a terminal, with docker's
// words and exit status 1 (docker's CLI check, before anything starts).
func checkInputTTY(tty, interactive bool) error {
	if tty && interactive && !monitor.IsTerminal(0) {
		fmt.Fprintln(os.Stderr, "rrun: the input device is not a TTY")
		return exitCode(1)
	}
	return nil
}

// withTerm adds docker's TERM=xterm to an exec with a terminal, unless the
// user set TERM.
func withTerm(env []string, tty bool) []string {
	if !tty {
		return env
	}
	for _, kv := range env {
		if len(kv) >= 5 && kv[:5] == "TERM=" {
			return env
		}
	}
	return append([]string{"TERM=xterm"}, env...)
}
