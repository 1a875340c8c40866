// Package trace prints where the time of one rrun command goes, across its
// processes, when RRUN_TRACE=1: each line is the time since the CLI
// started. It exists to keep `rrun run`'s start-up budget honest.
package trace

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

const envStart = "_RRUN_TRACE_T0"

var (
	enabled   = os.Getenv("RRUN_TRACE") == "1"
	inherited = os.Getenv(envStart) != ""
	t0        = start()
)

func start() time.Time {
	if v, err := strconv.ParseInt(os.Getenv(envStart), 10, 64); err == nil {
		return time.Unix(0, v)
	}
	now := time.Now()
	if enabled {
		os.Setenv(envStart, strconv.FormatInt(now.UnixNano(), 10))
	}
	return now
}

// Reload reads RRUN_TRACE and the inherited start time again: a
// pre-started process (cmd/rrun/prefork.go) receives its command's
// environment after its package variables were set.
func Reload() {
	enabled = os.Getenv("RRUN_TRACE") == "1"
	inherited = os.Getenv(envStart) != ""
	t0 = start()
}

// Mark prints one phase, when tracing is on.
func Mark(phase string) {
	if enabled {
		fmt.Fprintf(os.Stderr, "rrun trace: %7.2f ms  [pid %d] %s\n", float64(time.Since(t0).Microseconds())/1000, os.Getpid(), phase)
	}
}

// Rebase makes t the start of this command's trace, unless a parent
// process set it: the session holder's C constructor runs before Go does.
func Rebase(t time.Time) {
	if enabled && !inherited && t.Before(t0) {
		t0 = t
		os.Setenv(envStart, strconv.FormatInt(t.UnixNano(), 10))
	}
}

// MarkAt prints one phase that ended at t (measured before Go started,
// e.g. by the session holder's C constructor), when tracing is on.
func MarkAt(phase string, t time.Time) {
	if enabled {
		fmt.Fprintf(os.Stderr, "rrun trace: %7.2f ms  [pid %d] %s\n", float64(t.Sub(t0).Microseconds())/1000, os.Getpid(), phase)
	}
}

// MarkCPU prints one phase with the CPU time this process has used so
// far (user and system), when tracing is on.
func MarkCPU(phase string) {
	if !enabled {
		return
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		Mark(phase)
		return
	}
	ms := func(t syscall.Timeval) float64 { return float64(t.Sec)*1000 + float64(t.Usec)/1000 }
	Mark(fmt.Sprintf("%s (CPU so far: %.2f ms user, %.2f ms system)", phase, ms(ru.Utime), ms(ru.Stime)))
}
