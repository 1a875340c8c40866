package main

import (
	"os"
	"runtime"
)

// Latency-bound roles run their Go code on one P: the native and oci
// isolation plugins, and a Slurm step's prepare, which goes on as its
// container's monitor. Their work is a chain of short steps, each waiting
// for another process (a plugin's answer, an init's exec, a pipe); with a
// P per CPU, every goroutine woken also woke an idle P's thread to look
// for work, which on a node whose CPUs the step itself keeps busy is CPU
// taken from the step (docs/slurm.md, Cost per step). A GOMAXPROCS of the
// user's is left as it is; children (a pull) start with the default.

// startProcs is this process's GOMAXPROCS before oneProc.
var startProcs int

// oneProc puts this process's Go code on one P.
func oneProc() {
	if os.Getenv("GOMAXPROCS") != "" || startProcs != 0 {
		return
	}
	startProcs = runtime.GOMAXPROCS(1)
}

// defaultProcs undoes oneProc: a pre-started process that served a
// prepare serves its next command as it started.
func defaultProcs() {
	if startProcs != 0 {
		runtime.GOMAXPROCS(startProcs)
		startProcs = 0
	}
}
