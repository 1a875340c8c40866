package main

import "sync"

// Work a command leaves for after its exit code went out: a served
// command's client has exited by then, and a command's own process runs it
// just before it exits (see monitor.Deps.Later).
var (
	laterMu   sync.Mutex
	laterWork []func()
)

// runLater queues f for finishLater.
func runLater(f func()) {
	laterMu.Lock()
	laterWork = append(laterWork, f)
	laterMu.Unlock()
}

// finishLater runs the queued work, in order.
func finishLater() {
	laterMu.Lock()
	work := laterWork
	laterWork = nil
	laterMu.Unlock()
	for _, f := range work {
		f()
	}
}
