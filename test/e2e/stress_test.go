package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// 20 concurrent and 50 sequential `run --rm` leave no container record, no
// container in the store, no socket or FIFO in the run dir and no process.
func TestManyRunsLeaveNothingBehind(t *testing.T) {
	e := withBusybox(t)
	var wg sync.WaitGroup
	errs := make(chan string, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := e.run("", "run", "--rm", "busybox", "echo", "hi"); r.code != 0 || r.stdout != "hi\n" {
				errs <- r.String()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("a concurrent run failed: %s", err)
	}
	for i := 0; i < 50; i++ {
		if r := e.run("", "run", "--rm", "busybox", "true"); r.code != 0 {
			t.Fatalf("sequential run %d: %s", i, r)
		}
	}
	if ps := e.ok("ps", "-a", "-q").stdout; ps != "" {
		t.Fatalf("records left: %q", ps)
	}
	if n := e.dfContainers(); n != "0" || e.storageContainers() != 0 {
		t.Fatalf("containers left in the store: system df counts %s, the store has %d", n, e.storageContainers())
	}
	// The session holder and the warm plugins stay up for their idle
	// timeout by design; once they are stopped nothing may be left.
	e.ok("system", "migrate")
	time.Sleep(200 * time.Millisecond)
	leftovers := 0
	_ = filepath.Walk(filepath.Join(e.home, "run"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode()&(os.ModeSocket|os.ModeNamedPipe) != 0 {
			t.Errorf("left in the run dir: %s", p)
			leftovers++
		}
		return nil
	})
	// Every process these runs started has this test's home in its
	// environment (XDG_DATA_HOME): none may be left.
	for _, pid := range pids() {
		if ownerOf(pid) == os.Getuid() && !isZombie(pid) && strings.Contains(environ(pid), e.home) {
			t.Errorf("process left: %d %s", pid, cmdline(pid))
		}
	}
}
