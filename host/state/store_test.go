package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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

// A removed container's dir is recycled for the next record: the next
// container sees nothing of the removed one's (record, /etc files, log,
// owner lock), `ps` never lists a recycled dir, and a dir holding more
// than a container's usual files is deleted, not recycled.
func TestRemovedDirIsRecycledEmpty(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	old, next, other := fmt.Sprintf("%064d", 1), fmt.Sprintf("%064d", 2), fmt.Sprintf("%064d", 3)
	owner, err := s.CreateOwned(rec(old, "old"))
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"hosts": "10.0.0.1 old\n", "container.log": "secret output\n", "network.json": `{"mode":"pasta"}`} {
		if err := os.WriteFile(filepath.Join(s.Dir(old), name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Update(old, func(r *Record) error { r.Status = StatusRunning; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(old); err != nil {
		t.Fatal(err)
	}
	owner.Release()
	if _, err := os.Stat(s.Dir(old)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the removed container's dir is still there: %v", err)
	}
	if all, err := s.List(); err != nil || len(all) != 0 {
		t.Fatalf("after rm, List = %v, %v; want nothing (a recycled dir is not a container)", all, err)
	}
	if _, err := os.Stat(filepath.Join(s.dir, spareDirs, old)); err != nil {
		t.Fatalf("the removed container's dir was not recycled: %v", err)
	}
	if _, err := s.CreateOwned(rec(next, "next")); err != nil {
		t.Fatal(err)
	}
	if spares, _ := os.ReadDir(filepath.Join(s.dir, spareDirs)); len(spares) != 0 {
		t.Fatalf("the next container did not take the recycled dir: %d left", len(spares))
	}
	entries, _ := os.ReadDir(s.Dir(next))
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(s.Dir(next), e.Name()))
		switch {
		case e.Name() == "container.log":
			t.Errorf("the removed container's log is still there: %q", b)
		case e.Name() != recordName && len(b) != 0:
			t.Errorf("%s keeps the removed container's content: %q", e.Name(), b)
		}
	}
	if r, err := s.Get("next"); err != nil || r.ID != next || r.Status != StatusCreated {
		t.Fatalf("the next record = %+v, %v", r, err)
	}
	if _, err := s.Get("old"); !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("the removed record is found: %v", err)
	}
	// A dir with a file of its own is deleted whole.
	if err := s.Create(rec(other, "other")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Dir(other), "stopped-by-user"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(other); err != nil {
		t.Fatal(err)
	}
	spares, _ := os.ReadDir(filepath.Join(s.dir, spareDirs))
	for _, e := range spares {
		if e.Name() == other {
			t.Error("a dir holding a file no container dir has was recycled")
		}
	}
}
