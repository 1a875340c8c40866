package storage

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/rrun-project/rrun/plugins/api"
)

// Background removal of --rm root filesystems (api.BackgroundRemover).
// Before it answers, RemoveRootfsInBackground names the container in
// GRAPHROOT/removing/ID (the journal); the removal runs after the answer,
// and the entry goes once the root filesystem is gone. A plugin killed in
// between leaves the entry: the next process that opens the store finishes
// it, and every call that would still see the root filesystem (removing
// or pruning images, usage) finishes pending removals first. The journal
// is in the graph root, not the run root, so a reboot in between (the
// c/storage container outlives it) is cleaned up too.

// removalDelayEnv delays each background removal (a test hook: it lets the
// tests kill a plugin while a removal is pending).
const removalDelayEnv = "_RRUN_TEST_REMOVAL_DELAY"

func (s *Store) journalDir() string { return filepath.Join(s.opts.GraphRoot, "removing") }

// RemoveRootfsInBackground implements api.BackgroundRemover.
func (s *Store) RemoveRootfsInBackground(ctx context.Context, containerID string) error {
	if containerID == "" || containerID != filepath.Base(containerID) {
		return api.Errorf(api.ErrInvalidArgument, "", "invalid container id %q", containerID)
	}
	if _, err := s.open(); err != nil {
		return err
	}
	if err := s.journal(containerID); err != nil {
		// A full disk, typically: remove now, which frees the space first.
		return s.RemoveRootfs(ctx, containerID)
	}
	done := api.KeepAlive() // a warm plugin stays up until the removal is done
	s.removals.Add(1)
	go func() {
		defer s.removals.Done()
		defer done()
		if d, err := time.ParseDuration(os.Getenv(removalDelayEnv)); err == nil {
			time.Sleep(d)
		}
		s.finishRemoval(containerID)
	}()
	return nil
}

// journal names containerID in the journal.
func (s *Store) journal(containerID string) error {
	if err := os.MkdirAll(s.journalDir(), 0o700); err != nil {
		return fmt.Errorf("failed to record the removal of %s: %w", containerID, err)
	}
	if err := os.WriteFile(filepath.Join(s.journalDir(), containerID), nil, 0o600); err != nil {
		return fmt.Errorf("failed to record the removal of %s: %w", containerID, err)
	}
	return nil
}

// finishRemoval removes containerID's root filesystem and then its journal
// entry; a failure keeps the entry for the next try.
func (s *Store) finishRemoval(containerID string) {
	if s.recycle(containerID) {
		_ = os.Remove(filepath.Join(s.journalDir(), containerID))
		return
	}
	if err := s.RemoveRootfs(context.Background(), containerID); err != nil {
		fmt.Fprintf(os.Stderr, "failed to remove the root filesystem of %s: %v\n", containerID, err)
		return
	}
	_ = os.Remove(filepath.Join(s.journalDir(), containerID)) // gone already: another process finished it
}

// settleRemovals waits for this process's background removals, finishes
// those a killed process left in the journal and drops the spare root
// filesystems, so that what follows finds no container that a user did
// not make.
func (s *Store) settleRemovals() {
	s.removals.Wait()
	s.finishJournal()
	if st, err := s.open(); err == nil {
		dropSpares(st)
	}
}

// finishJournal removes every root filesystem named in the journal. Two
// processes may do one at once: c/storage's locks order them and the
// second finds nothing to remove.
func (s *Store) finishJournal() {
	entries, err := os.ReadDir(s.journalDir())
	if err != nil {
		return // no journal: nothing was ever removed in the background
	}
	for _, e := range entries {
		s.finishRemoval(e.Name())
	}
}

// finishJournalLater runs finishJournal after the store is opened, so the
// first call of a new plugin process does not wait for what a killed one
// left.
func (s *Store) finishJournalLater() {
	if _, err := os.Stat(s.journalDir()); err != nil {
		return
	}
	done := api.KeepAlive()
	s.removals.Add(1)
	go func() {
		defer s.removals.Done()
		defer done()
		s.finishJournal()
	}()
}
