package api

import (
	"fmt"
	"os"
	"time"
)

// tracing is RRUN_TRACE=1 in the plugin's environment (a warm plugin has
// the environment of the command that started it).
var tracing = os.Getenv("RRUN_TRACE") == "1"

// traceOut is the process's stderr as it was before go-plugin's Serve
// replaced os.Stderr with its stdio pipe.
var traceOut = os.Stderr

// TraceSince prints, when RRUN_TRACE=1, how long step took since start, on
// the plugin's stderr (a warm plugin's stderr.log), so that a backend can
// say where the time of one call goes, as rrun's own trace does.
func TraceSince(step string, start time.Time) {
	if tracing {
		fmt.Fprintf(traceOut, "rrun trace: %7.2f ms  [pid %d] %s\n", float64(time.Since(start).Microseconds())/1000, os.Getpid(), step)
	}
}

// Tracing reports whether RRUN_TRACE=1 is in the plugin's environment.
func Tracing() bool { return tracing }
