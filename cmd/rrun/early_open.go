package main

import (
	"context"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/host/session/join"
	"github.com/rrun-project/rrun/host/trace"
)

// A foreground run joined to the holder attaches its warm plugins while it
// reconciles, writes the record and plans the network (the plugins' own
// processes do most of that work, on the other CPU); the monitor part of
// the same process then takes the backends instead of opening them.

// earlyOpen is container.Open started ahead of the monitor.
type earlyOpen struct {
	done chan struct{}
	b    *container.Backends
	err  error
}

// early is the open a foreground joined run started (nil: none).
var early *earlyOpen

// openEarly starts opening the plugins of cfg when this is a foreground
// run joined to the holder; errors are left to the monitor's own open.
func openEarly(cfg config.Config, foreground bool) {
	if !foreground || !join.Joined() {
		return
	}
	mgr := newManager(cfg)
	storage, isolation, err := choosePlugins(mgr, cfg, needs{storage: true, isolation: true})
	if err != nil {
		return // the monitor's open reports it
	}
	e := &earlyOpen{done: make(chan struct{})}
	trace.Mark("plugins attaching early")
	go func() {
		defer close(e.done)
		e.b, e.err = container.Open(context.Background(), mgr, cfg, storage, isolation)
	}()
	early = e
}

// takeEarly waits for the early open and returns its result (once); ok
// is false when there was none.
func takeEarly() (b *container.Backends, ok bool, err error) {
	e := early
	if e == nil {
		return nil, false, nil
	}
	early = nil
	<-e.done
	return e.b, true, e.err
}
