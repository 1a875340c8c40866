package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/monitor"
	"github.com/rrun-project/rrun/host/state"
)

// handOnWait is how long stop, kill, restart and rm -f ask again while a
// container's monitor does not answer but the container still has an
// owner: rrun-monitor execs `rrun __monitor --resume` once the init
// exited, which closes the socket and, under a --restart policy, opens it
// again for the next run (docs/internal.md, "The small monitor of a
// detached container"). A stop adds the container's stop timeout.
const handOnWait = 10 * time.Second

// handingOn reports whether err from a monitor call may mean that the
// container is being handed from one monitor process to the next.
func handingOn(err error) bool {
	return errors.Is(err, monitor.ErrHungUp) || errors.Is(err, monitor.ErrNoMonitor)
}

// askOwner sends req to the monitor that owns container id now. When the
// monitor hangs up or nothing answers while the owner lock is held (the
// hand-on above), it asks again until a monitor answers, the owner lets go
// (ErrNoMonitor: the container is not running) or within has passed.
func askOwner(cfg config.Config, store *state.Store, r state.Record, req monitor.Request, within time.Duration) (monitor.Response, error) {
	deadline := time.Now().Add(within)
	for {
		resp, err := askOnce(cfg, r.ID, req)
		if err == nil || !handingOn(err) {
			return resp, err
		}
		if !store.OwnerAlive(r.ID) {
			if errors.Is(err, monitor.ErrNoMonitor) {
				return resp, err
			}
			return resp, fmt.Errorf("%w (%v)", monitor.ErrNoMonitor, err)
		}
		if time.Now().After(deadline) {
			return resp, fmt.Errorf("the monitor of container %s did not answer for %s: %w", r.ShortID(), within.Round(time.Second), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// askOnce sends one request to container id's monitor.
func askOnce(cfg config.Config, id string, req monitor.Request) (monitor.Response, error) {
	c, err := monitor.Dial(cfg.Dirs.Run, id)
	if err != nil {
		return monitor.Response{}, err
	}
	defer c.Close()
	return c.Call(req)
}

// stopOwned is the stop of stop, restart and rm -f (req: the stop, or
// SIGKILL): it marks the container stopped, so that its --restart policy
// does not run it again, asks its monitor (askOwner) and waits until the
// monitor has let go of it. A restart that began before the mark (the
// request then reached a run the policy may restart) is stopped too: the
// mark is renewed and the owner asked again until it lets go, or within
// has passed.
func stopOwned(cfg config.Config, store *state.Store, id string, req monitor.Request, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		markStopped(store, id)
		r, err := store.Get(id)
		if err != nil || !store.OwnerAlive(id) {
			return nil // removed or exited meanwhile
		}
		if _, err := askOwner(cfg, store, r, req, time.Until(deadline)); err != nil {
			if errors.Is(err, monitor.ErrNoMonitor) {
				return nil
			}
			return err
		}
		awaitRecorded(store, r, true)
		if !store.OwnerAlive(id) || time.Now().After(deadline) {
			return nil
		}
	}
}

// stopWindow is how long a stop with timeout (seconds; < 0: r's own,
// default 10) may take before it gives up on the container's monitor.
func stopWindow(r state.Record, timeout int) time.Duration {
	if timeout < 0 {
		timeout = 10
		if t := r.Options.StopTimeout; t != nil {
			timeout = *t
		}
	}
	return time.Duration(max(timeout, 0))*time.Second + handOnWait
}
