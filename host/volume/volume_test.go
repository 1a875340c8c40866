package volume

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/rrun-project/rrun/plugins/api"
)

func TestCreatePathListRemove(t *testing.T) {
	s := New(filepath.Join(t.TempDir(), "volumes"))
	if names, err := s.List(); err != nil || names != nil {
		t.Fatalf("empty store: got %v %v", names, err)
	}
	p, err := s.Create("data")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if again, err := s.Create("data"); err != nil || again != p {
		t.Fatalf("create is not idempotent: %q %v", again, err)
	}
	if _, err := os.Stat(filepath.Join(p, "f")); err != nil {
		t.Fatalf("second create lost content: %v", err)
	}
	if got, err := s.Path("data"); err != nil || got != p || filepath.Base(got) != "_data" {
		t.Fatalf("path: %q %v", got, err)
	}
	if _, err := s.CreateAnonymous("0abc"); err != nil {
		t.Fatal(err)
	}
	if names, _ := s.List(); !reflect.DeepEqual(names, []string{"0abc", "data"}) {
		t.Fatalf("list: %v", names)
	}
	if !s.IsAnonymous("0abc") || s.IsAnonymous("data") || s.IsAnonymous("nope") {
		t.Fatal("anonymous marker wrong")
	}
	if err := s.Remove("data"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Path("data"); !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("removed volume: want ErrNotFound, got %v", err)
	}
	if err := s.Remove("data"); !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("remove twice: want ErrNotFound, got %v", err)
	}
}

func TestNamesValidated(t *testing.T) {
	s := New(t.TempDir())
	for _, bad := range []string{"", ".hidden", "-x", "a/b", "../up", "a b", "_x"} {
		if _, err := s.Create(bad); !errors.Is(err, api.ErrInvalidArgument) {
			t.Errorf("%q: want ErrInvalidArgument, got %v", bad, err)
		}
	}
	for _, good := range []string{"a", "A.b_c-1", "0"} {
		if err := ValidateName(good); err != nil {
			t.Errorf("%q: %v", good, err)
		}
	}
}
