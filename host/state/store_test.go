package state

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rrun-project/rrun/plugins/api"
)

func rec(id, name string) Record {
	return Record{ID: id, Name: name, Created: time.Now(), Status: StatusCreated}
}

func TestStoreCreateGetRenameRemove(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("%064d", 1)
	if err := s.Create(rec(id, "web")); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(rec(fmt.Sprintf("%064d", 2), "web")); !errors.Is(err, api.ErrAlreadyExists) {
		t.Fatalf("a taken name: want ErrAlreadyExists, got %v", err)
	}
	for _, ref := range []string{id, "web", id[:12]} {
		if r, err := s.Get(ref); err != nil || r.ID != id || r.Version != RecordVersion {
			t.Fatalf("Get(%q) = %+v, %v", ref, r, err)
		}
	}
	if _, err := s.Get("nope"); !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("unknown: want ErrNotFound, got %v", err)
	}
	if err := s.Update(id, func(r *Record) error { r.Status, r.ExitCode = StatusExited, 3; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.Rename(id, "api"); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.Get("api"); r.Status != StatusExited || r.ExitCode != 3 {
		t.Fatalf("update and rename lost: %+v", r)
	}
	if err := s.Remove(id); err != nil {
		t.Fatal(err)
	}
	if all, _ := s.List(); len(all) != 0 {
		t.Fatalf("removed record still listed: %+v", all)
	}
}

// Concurrent creates with the same name: exactly one wins; updates under
// the lock never lose a write.
func TestStoreIsSafeUnderConcurrency(t *testing.T) {
	s, _ := Open(t.TempDir())
	var wg sync.WaitGroup
	var won sync.Map
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Create(rec(fmt.Sprintf("%064d", i), "same")); err == nil {
				won.Store(i, true)
			}
		}()
	}
	wg.Wait()
	n := 0
	won.Range(func(any, any) bool { n++; return true })
	if n != 1 {
		t.Fatalf("%d creates of one name succeeded", n)
	}
	all, _ := s.List()
	id := all[0].ID
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = s.Update(id, func(r *Record) error { r.ExitCode++; return nil })
		}()
	}
	wg.Wait()
	if r, _ := s.Get(id); r.ExitCode != 50 {
		t.Fatalf("lost updates: %d of 50", r.ExitCode)
	}
}
