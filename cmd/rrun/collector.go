package main

import (
	"os"
	"runtime/debug"
	"time"
)

// The collector's first second. Most rrun processes are short: a command,
// a monitor's set-up or its --resume, a plugin of one command, a Slurm
// step's prepare. They allocate a few MB and exit, and each collection
// they ran cost ~1 ms of CPU (measured: a warm `run --rm`'s serving
// process used 3.5-5 ms less CPU without them; docs/internal.md). So every
// process starts with the collector off, under a 256 MiB cap (reaching it
// still collects), and turns it on one second in; a pre-started process
// one second after it is served, as it allocates nothing while it waits.
// A GOGC or GOMEMLIMIT of the user's is left as it is.

const heldHeapCap = 256 << 20

var (
	collectorHeld bool
	savedPercent  int
	savedLimit    int64
)

// holdCollector turns the collector off under heldHeapCap.
func holdCollector() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	collectorHeld = true
	savedPercent = debug.SetGCPercent(-1)
	savedLimit = debug.SetMemoryLimit(heldHeapCap)
}

// collectLater turns the collector back on one second from now.
func collectLater() {
	if !collectorHeld {
		return
	}
	collectorHeld = false
	time.AfterFunc(time.Second, func() {
		debug.SetGCPercent(savedPercent)
		debug.SetMemoryLimit(savedLimit)
	})
}
