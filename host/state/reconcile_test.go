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
	if stale, _ := s.Reconcile(); len(stale) != 0 {
		t.Fatalf("live owners reconciled: %+v", stale)
	}
	ok.Release()
	og.Release()
	stale, err := s.Reconcile()
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
