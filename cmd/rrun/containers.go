package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"path/filepath"
	"time"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/host/monitor"
	"github.com/rrun-project/rrun/host/session"
	"github.com/rrun-project/rrun/host/session/join"
	"github.com/rrun-project/rrun/host/state"
	"github.com/rrun-project/rrun/plugins/api"
)

func containerStore(cfg config.Config) (*state.Store, error) {
	return state.Open(filepath.Join(cfg.Dirs.Data, "containers"))
}

// loadStore is the configuration and the container records of a verb,
// after the run dir is checked (before anything is written to it) and what
// killed rrun processes left is cleaned up (see reconcile).
func loadStore() (config.Config, *state.Store, error) {
	return loadStoreSettled(nil, true)
}

// loadStoreThen is loadStore for a verb that adds a container (run,
// create): it calls checked (when not nil) with the configuration once the
// run dir is checked, before the reconcile, for work that may go on
// meanwhile; and it does not wait for the --rm containers being removed
// (state.Record.Removing), which such a verb neither shows nor uses.
func loadStoreThen(checked func(config.Config)) (config.Config, *state.Store, error) {
	return loadStoreSettled(checked, false)
}

// loadStoreSettled is loadStoreThen that, with settle, waits for the --rm
// containers being removed.
func loadStoreSettled(checked func(config.Config), settle bool) (config.Config, *state.Store, error) {
	cfg, store, err := openStore()
	if err != nil {
		return cfg, nil, err
	}
	if !session.Inside() || join.Joined() {
		if err := cfg.Dirs.Ensure(); err != nil {
			return cfg, nil, err
		}
		if checked != nil {
			checked(cfg)
		}
		reconcile(cfg, store, settle)
	}
	return cfg, store, nil
}

// settleRemovals waits for the --rm containers being removed, for a verb
// that uses what they held (an image, a volume) without the records:
// after `run --rm`, its image can be removed at once, as with docker.
func settleRemovals(cfg config.Config) {
	if session.Inside() && !join.Joined() {
		return // its CLI did
	}
	if store, err := containerStore(cfg); err == nil {
		_ = store.SettleRemovals() // unreadable records: the verb says so where it matters
	}
}

// openStore is loadStore without the checks, for the monitor and the
// verbs that run inside a session (their CLI did them).
func openStore() (config.Config, *state.Store, error) {
	cfg, err := loadConfig()
	if err != nil {
		return cfg, nil, err
	}
	store, err := containerStore(cfg)
	return cfg, store, err
}

// createRecord stores a new container made of o, named o.Name or a random
// docker-style name, with the backends cfg chose. A run's record (owned)
// is marked unstarted and comes with its owner lock.
func createRecord(cfg config.Config, store *state.Store, o container.RunOptions, owned bool) (state.Record, *state.Owner, error) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	rec := state.Record{
		ID: hex.EncodeToString(b), Name: o.Name, Image: o.Image, Created: time.Now().UTC(),
		Options: o, Storage: cfg.Storage, Isolation: cfg.Isolation, Status: state.StatusCreated, Unstarted: owned,
	}
	create := func() (*state.Owner, error) {
		if owned {
			return store.CreateOwned(rec)
		}
		return nil, store.Create(rec)
	}
	if o.Name != "" {
		owner, err := create()
		if errors.Is(err, api.ErrAlreadyExists) && store.AwaitRemovalOf(o.Name) {
			owner, err = create() // the name of a `run --rm` that just ended
		}
		return rec, owner, err
	}
	for i := 0; ; i++ {
		rec.Name = state.RandomName()
		owner, err := create()
		if err == nil || !errors.Is(err, api.ErrAlreadyExists) || i == 20 {
			return rec, owner, err
		}
	}
}

// status is what a record says, corrected by whether its monitor answers:
// a running container whose monitor was killed has exited (its pid
// namespace went with the monitor, so it was killed: 137).
func status(cfg config.Config, r state.Record) (string, int) {
	if r.Status == state.StatusRunning && !monitorAlive(cfg, r.ID) {
		return state.StatusExited, 137
	}
	return r.Status, r.ExitCode
}

// monitorAlive reports whether container id's monitor lives: it holds the
// owner lock from the start to the record of the exit. Its socket is not
// the test: rrun-monitor stops answering once the container exited, while
// it hands back to rrun to record the exit (and apply --restart).
func monitorAlive(cfg config.Config, id string) bool {
	store, err := containerStore(cfg)
	if err != nil {
		return monitor.Alive(cfg.Dirs.Run, id)
	}
	return store.OwnerAlive(id)
}

// withConfigOf makes cfg use the backends a container was created with.
func withConfigOf(cfg config.Config, r state.Record) config.Config {
	if r.Storage != "" {
		cfg.Storage = r.Storage
	}
	if r.Isolation != "" {
		cfg.Isolation = r.Isolation
	}
	return cfg
}
