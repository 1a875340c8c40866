package state

import "time"

// Reconcile finds the records whose owner was killed (kill -9 of the
// `run`, `start` or monitor that held the owner lock): a record that says
// starting or running while nobody holds its lock. Each becomes exited
// with 137 (the container died with its session's pid namespace) and is
// marked Cleanup. It returns every record marked Cleanup, for the caller
// to remove their root filesystems and isolation state with the plugins
// (then Finish them).
//
// With settle, it first waits for the --rm containers that their owners
// are removing (Record.Removing): a command that shows or uses containers
// sees them gone, as after docker's `run --rm`. A command that only adds a
// container (run, create) passes false and leaves them be.
//
// It costs one lock test per starting or running record: cheap enough for
// every command.
func (s *Store) Reconcile(settle bool) ([]Record, error) {
	all, err := s.list() // without the lock: most calls find nothing to do
	if err != nil {
		return nil, err
	}
	var stale []Record
	for _, r := range all {
		if r.Removing() {
			dir := s.Dir(r.ID)
			if (settle && !awaitOwner(dir, removalWait)) || (!settle && ownerHeld(dir)) {
				continue // still being removed by its owner
			}
		}
		if r.Cleanup || (r.Owned() && !ownerAlive(s.Dir(r.ID))) {
			stale = append(stale, r)
		}
	}
	if len(stale) == 0 {
		return nil, nil
	}
	return s.markStale(stale)
}

// markStale re-checks each candidate under the lock and marks it.
func (s *Store) markStale(cands []Record) ([]Record, error) {
	unlock, err := s.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	var out []Record
	for _, c := range cands {
		r, err := s.read(c.ID)
		if err != nil {
			continue // removed meanwhile
		}
		if !r.Cleanup && !(r.Owned() && !ownerAlive(s.Dir(r.ID))) {
			continue // its owner finished or took it meanwhile
		}
		if !r.Cleanup {
			r.Status, r.ExitCode, r.FinishedAt = StatusExited, 137, time.Now().UTC()
			r.Starting, r.Cleanup = false, true
			if err := s.write(r); err != nil {
				return out, err
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// Finish ends the reconciliation of a record whose plugin state is gone:
// a --rm or never started container is removed, any other stays exited.
func (s *Store) Finish(id string) error {
	r, err := s.Get(id)
	if err != nil {
		return nil
	}
	if r.Discard() {
		return s.Remove(id)
	}
	return s.Update(id, func(r *Record) error { r.Cleanup = false; return nil })
}

// SettleRemovals waits for the --rm containers that their owners are
// removing (see Reconcile), for a command that uses what they held (an
// image, a volume) without reading the records.
func (s *Store) SettleRemovals() error {
	all, err := s.list()
	if err != nil {
		return err
	}
	for _, r := range all {
		if r.Removing() {
			awaitOwner(s.Dir(r.ID), removalWait)
		}
	}
	return nil
}

// AwaitRemovalOf waits for the container named name when its owner is
// removing it, and reports whether it did: a run that reuses the name of
// a `run --rm` just ended tries again then.
func (s *Store) AwaitRemovalOf(name string) bool {
	all, err := s.list()
	if err != nil {
		return false
	}
	for _, r := range all {
		if r.Name == name && r.Removing() {
			return awaitOwner(s.Dir(r.ID), removalWait)
		}
	}
	return false
}

// LiveShortIDs lists the short ids of records whose owner is alive, to tell
// live monitor sockets from those a killed one left.
func (s *Store) LiveShortIDs() (map[string]bool, error) {
	all, err := s.list()
	if err != nil {
		return nil, err
	}
	live := map[string]bool{}
	for _, r := range all {
		if r.Removing() {
			if ownerHeld(s.Dir(r.ID)) { // its owner removes it: no wait for that here
				live[r.ShortID()] = true
			}
			continue
		}
		if s.Alive(r) {
			live[r.ShortID()] = true
		}
	}
	return live, nil
}
