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
// It costs one lock test per starting or running record: cheap enough for
// every command.
func (s *Store) Reconcile() ([]Record, error) {
	all, err := s.list() // without the lock: most calls find nothing to do
	if err != nil {
		return nil, err
	}
	var stale []Record
	for _, r := range all {
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

// LiveShortIDs lists the short ids of records whose owner is alive, to tell
// live monitor sockets from those a killed one left.
func (s *Store) LiveShortIDs() (map[string]bool, error) {
	all, err := s.list()
	if err != nil {
		return nil, err
	}
	live := map[string]bool{}
	for _, r := range all {
		if s.Alive(r) {
			live[r.ShortID()] = true
		}
	}
	return live, nil
}
