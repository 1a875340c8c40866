package atomicfile

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// Readers that never lock see every version whole while one writer
// replaces the file as fast as it can, and the file keeps two inodes
// however many writes there are.
func TestReplaceReadersSeeWholeVersions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	type rec struct {
		N   int    `json:"n"`
		Pad string `json:"pad"`
	}
	write := func(n int) {
		b, _ := json.Marshal(rec{N: n, Pad: string(make([]byte, n%3000))})
		if err := Replace(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(0)
	write(1)
	inodes := map[uint64]bool{}
	var stop atomic.Bool
	var wg sync.WaitGroup
	var bad atomic.Int64
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				var r rec
				if err := Read(path, func(b []byte) error { r = rec{}; return json.Unmarshal(b, &r) }); err != nil {
					bad.Add(1)
				}
			}
		}()
	}
	for n := 2; n < 2000; n++ {
		write(n)
		var st unix.Stat_t
		if err := unix.Stat(path, &st); err != nil {
			t.Fatal(err)
		}
		inodes[st.Ino] = true
	}
	stop.Store(true)
	wg.Wait()
	if bad.Load() != 0 {
		t.Errorf("%d reads failed to decode", bad.Load())
	}
	if len(inodes) != 2 {
		t.Errorf("the file had %d inodes over 2000 writes, want 2 (the file and its .tmp, exchanged)", len(inodes))
	}
	b, err := os.ReadFile(path)
	var r rec
	if err != nil || json.Unmarshal(b, &r) != nil || r.N != 1999 {
		t.Errorf("last version: %s, %v", b, err)
	}
}
