// Package testproc holds small helpers that tests of several packages
// share: reading a process's memory, and racing a function against the
// code under test.
package testproc

import (
	"os"
	"strconv"
	"strings"
)

// RSSKB is the resident memory of pid (VmRSS of /proc/PID/status) in kB,
// 0 when it cannot be read.
func RSSKB(pid int) int {
	data, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.Atoi(f[1])
			return kb
		}
	}
	return 0
}

// Repeat runs f again and again in a goroutine until stop is called;
// stop returns once the last call has returned.
func Repeat(f func()) (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-done:
				return
			default:
				f()
			}
		}
	}()
	return func() { close(done); <-finished }
}
