package state

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// A record whose owner lock is released (its process killed) is marked
// exited 137 for cleanup; Finish removes a discarded one and keeps others.
func TestReconcileFindsRecordsOfKilledOwners(t *testing.T) {
	s, _ := Open(t.TempDir())
	keep, gone := rec(fmt.Sprintf("%064d", 1), "keep"), rec(fmt.Sprintf("%064d", 2), "gone")
	gone.Unstarted = true
	ok, err := s.CreateOwned(keep)
	if err != nil {
		t.Fatal(err)
	}
	og, err := s.CreateOwned(gone)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Own(keep.ID); err == nil {
		t.Fatal("a second owner of a live container")
	}
	if stale, _ := s.Reconcile(true); len(stale) != 0 {
		t.Fatalf("live owners reconciled: %+v", stale)
	}
	ok.Release()
	og.Release()
	stale, err := s.Reconcile(true)
	if err != nil || len(stale) != 2 {
		t.Fatalf("want 2 stale records, got %d (%v)", len(stale), err)
	}
	for _, r := range stale {
		if r.Status != StatusExited || r.ExitCode != 137 || !r.Cleanup {
			t.Fatalf("stale record not marked: %+v", r)
		}
		if err := s.Finish(r.ID); err != nil {
			t.Fatal(err)
		}
	}
	all, _ := s.List()
	if len(all) != 1 || all[0].Name != "keep" || all[0].Cleanup {
		t.Fatalf("after Finish: %+v", all)
	}
}

// An owner that answers to a client (a pre-started rrun serving a
// foreground run) is alive while the client is; once the client is gone,
// a reader waits for the owner to end rather than call the container
// running, and a later owner of the same container answers to no one.
func TestOwnerOfAGoneClientIsWaitedFor(t *testing.T) {
	s, _ := Open(t.TempDir())
	r := rec(fmt.Sprintf("%064d", 3), "fg")
	owner, err := s.CreateOwned(r)
	if err != nil {
		t.Fatal(err)
	}
	client := exec.Command("sleep", "60")
	if err := client.Start(); err != nil {
		t.Fatal(err)
	}
	if err := owner.AnswerTo(client.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if !s.OwnerAlive(r.ID) {
		t.Fatal("the owner of a live client is not alive")
	}
	_ = client.Process.Kill()
	_ = client.Wait()
	released := make(chan time.Time, 1)
	go func() {
		time.Sleep(100 * time.Millisecond) // the owner's own end, a moment after its client's
		released <- time.Now()
		owner.Release()
	}()
	if s.OwnerAlive(r.ID) {
		t.Fatal("the owner of a gone client was called alive once it ended")
	}
	if at := <-released; time.Now().Before(at) {
		t.Fatal("the owner was called dead before it released its lock")
	}
	next, err := s.Own(r.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer next.Release()
	f, err := os.Open(filepath.Join(s.Dir(r.ID), ownerLockName))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if clientGone(f) || !s.OwnerAlive(r.ID) {
		t.Fatal("a later owner inherited the gone client of the earlier one")
	}
}

// A --rm container whose owner removes it after the exit code went out
// (Record.Removing) is waited for by a command that shows containers, so it
// never sees it, and left alone by one that only adds a container; its name
// is free once AwaitRemovalOf returns.
func TestRemovingRecordIsWaitedFor(t *testing.T) {
	s, _ := Open(t.TempDir())
	r := rec(fmt.Sprintf("%064d", 4), "gone-soon")
	r.Options.Remove = true
	owner, err := s.CreateOwned(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(r.ID, func(r *Record) error { r.Status, r.ExitCode = StatusExited, 3; return nil }); err != nil {
		t.Fatal(err)
	}
	if stale, err := s.Reconcile(false); err != nil || len(stale) != 0 {
		t.Fatalf("a removal under way was reconciled: %v %+v", err, stale)
	}
	if all, _ := s.List(); len(all) != 1 {
		t.Fatalf("Reconcile(false) waited for the removal: %d records", len(all))
	}
	removed := make(chan time.Time, 1)
	go func() {
		time.Sleep(100 * time.Millisecond)
		_ = s.Remove(r.ID)
		removed <- time.Now()
		owner.Release()
	}()
	if stale, err := s.Reconcile(true); err != nil || len(stale) != 0 {
		t.Fatalf("a finished removal was reconciled: %v %+v", err, stale)
	}
	if at := <-removed; time.Now().Before(at) {
		t.Fatal("Reconcile(true) returned before the owner removed the record")
	}
	if all, _ := s.List(); len(all) != 0 {
		t.Fatalf("after the wait: %+v", all)
	}

	// The same removal, met by a new container of the same name.
	r.ID = fmt.Sprintf("%064d", 5)
	owner, err = s.CreateOwned(r)
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Update(r.ID, func(r *Record) error { r.Status = StatusExited; return nil })
	go func() {
		time.Sleep(50 * time.Millisecond)
		_ = s.Remove(r.ID)
		owner.Release()
	}()
	next := rec(fmt.Sprintf("%064d", 6), "gone-soon")
	if err := s.Create(next); err == nil {
		t.Fatal("a name in use was taken")
	}
	if !s.AwaitRemovalOf("gone-soon") {
		t.Fatal("AwaitRemovalOf did not wait for the removal")
	}
	if err := s.Create(next); err != nil {
		t.Fatalf("the name is still taken after the removal: %v", err)
	}
	if s.AwaitRemovalOf("gone-soon") {
		t.Fatal("a container that is not being removed was waited for")
	}

	// An owner killed during the removal: the record is cleaned up.
	r.ID, r.Name = fmt.Sprintf("%064d", 7), "killed"
	owner, _ = s.CreateOwned(r)
	_ = s.Update(r.ID, func(r *Record) error { r.Status = StatusExited; return nil })
	owner.Release()
	if stale, _ := s.Reconcile(false); len(stale) != 1 || stale[0].ID != r.ID {
		t.Fatalf("a removal whose owner died is not reconciled: %+v", stale)
	}
}
