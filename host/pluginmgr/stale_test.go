package pluginmgr

import (
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rrun-project/rrun/test/testproc"
)

// A killed plugin's socket directory goes; a live plugin's stays.
func TestRemoveStaleSocketsKeepsLivePlugins(t *testing.T) {
	run := t.TempDir()
	live := filepath.Join(run, "plugins", "plugin-dir1")
	dead := filepath.Join(run, "plugins", "plugin-dir2")
	for _, d := range []string{live, dead} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	l, err := net.Listen("unix", filepath.Join(live, "plugin1"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	gone, err := net.Listen("unix", filepath.Join(dead, "plugin2"))
	if err != nil {
		t.Fatal(err)
	}
	gone.(*net.UnixListener).SetUnlinkOnClose(false) // as after SIGKILL: the socket file stays
	gone.Close()
	// A socket that refuses a moment after it was bound may be a plugin
	// between bind and listen: it is kept until it is older.
	if n := RemoveStaleSockets(run); n != 0 {
		t.Errorf("RemoveStaleSockets removed %d dirs of young sockets, want 0", n)
	}
	old := time.Now().Add(-time.Minute)
	if err := os.Chtimes(filepath.Join(dead, "plugin2"), old, old); err != nil {
		t.Fatal(err)
	}
	if n := RemoveStaleSockets(run); n != 1 {
		t.Errorf("RemoveStaleSockets removed %d dirs, want 1", n)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("the live plugin's socket dir is gone: %v", err)
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("the dead plugin's socket dir is still there (%v)", err)
	}
}

// A plugin's socket dir is never stale while its rrun starts the plugin,
// whatever a concurrent sweep sees: its owner lock appears held, and a
// sweep's test of it cannot make the launching rrun's lock fail (both
// removed the dir of a plugin starting up, before it could listen).
func TestSocketDirOfStartingPluginIsNeverStale(t *testing.T) {
	run := t.TempDir()
	parent := filepath.Join(run, "plugins")
	if err := os.MkdirAll(parent, 0o700); err != nil {
		t.Fatal(err)
	}
	defer testproc.Repeat(func() { RemoveStaleSockets(run) })()
	for i := 0; i < 1000; i++ {
		dir, err := os.MkdirTemp(parent, "plugin-dir") // as go-plugin makes it
		if err != nil {
			t.Fatal(err)
		}
		owner := lockSocketDir(dir)
		_, statErr := os.Stat(dir)
		stale := socketDirStale(dir)
		os.RemoveAll(dir) // as Instance.removeSocketDir: before the lock goes
		if owner != nil {
			owner.Close()
		}
		if owner == nil || statErr != nil || stale {
			t.Fatalf("start %d: lock taken %v, dir there: %v, judged stale %v", i, owner != nil, statErr, stale)
		}
	}
}
