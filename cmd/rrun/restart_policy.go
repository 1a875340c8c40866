package main

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/host/monitor"
	"github.com/rrun-project/rrun/host/state"
)

// stoppedMark is a file in a container's dir whose time says when a user
// last stopped it (stop, restart, rm -f): a --restart policy does not
// start again a container stopped after it started.
const stoppedMark = "stopped"

// markStopped records that the user stops r now.
func markStopped(store *state.Store, id string) {
	p := filepath.Join(store.Dir(id), stoppedMark)
	_ = os.WriteFile(p, nil, 0o600) // no mark: a restart policy may start it again, as after a crash
	now := time.Now()
	_ = os.Chtimes(p, now, now)
}

func stoppedSince(store *state.Store, id string, t time.Time) bool {
	st, err := os.Stat(filepath.Join(store.Dir(id), stoppedMark))
	return err == nil && !st.ModTime().Before(t)
}

// runWithPolicy runs the container under this monitor, and again as its
// --restart policy says (a detached container only), with docker's
// back-off: 100 ms doubling, reset after 10 s of running.
func runWithPolicy(ctx context.Context, d monitor.Deps, rec state.Record, attach bool, ready func(error)) (int, error) {
	return runWithPolicyFrom(ctx, d, rec, attach, ready, nil, 0, 0)
}

// runWithPolicyFrom is runWithPolicy whose first run is first when set
// (the end of a run rrun-monitor owned, after retries restarts and a
// back-off at delay).
func runWithPolicyFrom(ctx context.Context, d monitor.Deps, rec state.Record, attach bool, ready func(error),
	first func() (int, error), retries int, delay time.Duration) (int, error) {
	policy, _ := container.ParseRestart(rec.Options.Restart) // checked when it was created
	if delay == 0 {
		delay = 100 * time.Millisecond
	}
	for ; ; retries++ {
		var code int
		var err error
		started := time.Now()
		if first != nil {
			started = rec.StartedAt
			code, err = first()
			first, ready = nil, func(error) {}
		} else {
			if retries > 0 || rec.RestartCount != 0 {
				setRestartCount(d.Store, rec.ID, retries) // a user's start resets it, as docker's
			}
			policyState.retries, policyState.delay = retries, delay
			code, err = monitor.Run(ctx, d, rec.ID, attach, ready)
		}
		if attach || (err != nil && retries == 0) || !policy.Restarts(code, retries, stoppedSince(d.Store, rec.ID, started)) {
			return code, err
		}
		ready = func(error) {}
		if time.Since(started) > 10*time.Second {
			delay = 100 * time.Millisecond
		}
		backOff(d.Store, rec.ID, started, delay)
		delay = min(2*delay, time.Minute)
		if stoppedSince(d.Store, rec.ID, started) {
			return code, err
		}
		if _, gone := d.Store.Get(rec.ID); gone != nil {
			return code, nil // removed while it waited
		}
	}
}

// backOff sleeps delay, docker's back-off between restarts, or less once
// the user stops the container (stop, restart and rm -f wait until this
// monitor lets go of it; the back-off grows to a minute).
func backOff(store *state.Store, id string, started time.Time, delay time.Duration) {
	for end := time.Now().Add(delay); time.Now().Before(end) && !stoppedSince(store, id, started); {
		time.Sleep(min(50*time.Millisecond, time.Until(end)))
	}
}

// setRestartCount records how many times the policy restarted id
// (docker's RestartCount) as the restart begins: the record says running
// from then on (docker's "restarting"), so a script that polls for the
// final count and exited never takes the moment before the last run for
// its end. This process holds the owner lock, so a kill of it is still
// reconciled as an exit.
func setRestartCount(store *state.Store, id string, n int) {
	_ = store.Update(id, func(r *state.Record) error { // gone: nothing to count
		r.RestartCount, r.Status = n, state.StatusRunning
		return nil
	})
}
