package state

import (
	"fmt"
	"testing"
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
