package pluginmgr

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/rrun-project/rrun/plugins/api"
)

func writeExe(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func TestDiscoverOrderAndShadowing(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	writeExe(t, filepath.Join(a, "rrun-storage-x"), 0o755)
	writeExe(t, filepath.Join(b, "rrun-storage-x"), 0o755)   // shadowed by a
	writeExe(t, filepath.Join(b, "rrun-storage-vfs"), 0o755) // shadowed by the built-in
	writeExe(t, filepath.Join(b, "rrun-isolation-y"), 0o755) // found
	writeExe(t, filepath.Join(b, "rrun-network-z"), 0o755)   // not a plugin kind
	writeExe(t, filepath.Join(b, "rrun-storage-"), 0o755)    // no name
	m := &Manager{Self: "/rrun", Builtins: map[string][]string{api.KindStorage: {"vfs"}}, SearchPath: []string{a, b}}
	got := map[string]string{}
	for _, c := range m.Discover() {
		got[c.Kind+"/"+c.Name] = c.Path
	}
	want := map[string]string{
		"storage/vfs": "/rrun", "storage/x": filepath.Join(a, "rrun-storage-x"),
		"isolation/y": filepath.Join(b, "rrun-isolation-y"),
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("%s: got %q, want %q", k, got[k], v)
		}
	}
	if _, err := m.Find(api.KindStorage, "nope"); !errors.Is(err, api.ErrNotFound) || api.HintOf(err) == "" {
		t.Fatalf("unknown plugin: want ErrNotFound with a hint, got %v", err)
	}
}

func TestSearchPathOrder(t *testing.T) {
	t.Setenv("RRUN_PLUGIN_PATH", "/one::/two")
	got := SearchPath("/home/u/.local/share/rrun/plugins")
	want := []string{"/one", "/two", "/home/u/.local/share/rrun/plugins", "/usr/local/libexec/rrun", "/usr/libexec/rrun"}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

func TestCheckPermissions(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		mode os.FileMode
		ok   bool
	}{{0o755, true}, {0o700, true}, {0o775, false}, {0o757, false}, {0o644, false}}
	for _, c := range cases {
		p := filepath.Join(dir, "rrun-storage-p")
		writeExe(t, p, c.mode)
		err := CheckPermissions(p)
		if (err == nil) != c.ok {
			t.Fatalf("mode %v: got %v", c.mode, err)
		}
		if err != nil && (!errors.Is(err, api.ErrPermissionDenied) || api.HintOf(err) == "") {
			t.Fatalf("mode %v: want ErrPermissionDenied with a hint, got %v", c.mode, err)
		}
		os.Remove(p)
	}
}
