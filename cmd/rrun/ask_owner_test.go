package main

import (
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/monitor"
	"github.com/rrun-project/rrun/host/state"
)

// fakeOwner plays a detached container's monitor process: it holds the
// owner lock while the container is handed from one monitor to the next.
type fakeOwner struct {
	t     *testing.T
	cfg   config.Config
	store *state.Store
	rec   state.Record
	owner *state.Owner
}

func newFakeOwner(t *testing.T) *fakeOwner {
	dir := t.TempDir()
	var cfg config.Config
	cfg.Dirs.Run = filepath.Join(dir, "run")
	store, err := state.Open(filepath.Join(dir, "containers"))
	if err != nil {
		t.Fatal(err)
	}
	rec := state.Record{ID: strings.Repeat("ab", 32), Name: "c", Status: state.StatusRunning, StartedAt: time.Now().UTC()}
	owner, err := store.CreateOwned(rec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(owner.Release)
	if err := os.MkdirAll(filepath.Dir(monitor.SocketPath(cfg.Dirs.Run, rec.ID)), 0o700); err != nil {
		t.Fatal(err)
	}
	return &fakeOwner{t: t, cfg: cfg, store: store, rec: rec, owner: owner}
}

func (f *fakeOwner) listen() *net.UnixListener {
	p := monitor.SocketPath(f.cfg.Dirs.Run, f.rec.ID)
	l, err := net.ListenUnix("unixpacket", &net.UnixAddr{Name: p, Net: "unixpacket"})
	if err != nil {
		f.t.Fatal(err)
	}
	return l
}

// hangUp takes one connection and closes it with its request unread, as
// rrun-monitor's exec of `rrun __monitor --resume` does; the socket then
// goes (the resumed monitor closes it) for gap before it is back.
func (f *fakeOwner) hangUp(l *net.UnixListener, gap time.Duration) {
	c, err := l.AcceptUnix()
	if err == nil {
		time.Sleep(20 * time.Millisecond) // the request arrives, unread
		c.Close()
	}
	l.Close()
	time.Sleep(gap)
}

// answer takes one connection, answers its request and returns it.
func (f *fakeOwner) answer(l *net.UnixListener) monitor.Request {
	c, err := l.AcceptUnix()
	if err != nil {
		f.t.Error(err)
		return monitor.Request{}
	}
	defer c.Close()
	buf := make([]byte, 64<<10)
	n, err := c.Read(buf)
	var req monitor.Request
	if err == nil {
		err = json.Unmarshal(buf[:n], &req)
	}
	if err != nil {
		f.t.Error(err)
	}
	data, _ := json.Marshal(monitor.Response{OK: true})
	_, _ = c.Write(data)
	return req
}

// exit records the container's exit and lets go of it.
func (f *fakeOwner) exit() {
	_ = f.store.Update(f.rec.ID, func(r *state.Record) error { r.Status = state.StatusExited; return nil })
	f.owner.Release()
}

// A stop that reaches a container's monitor while it hands the container
// on (it hangs up, then nothing listens, then the next run's monitor does)
// asks again, and returns once the monitor let go of the container. It
// failed with "the container's monitor hung up: ... connection reset by
// peer" (TestCLIRestartPolicies).
func TestStopAsksAgainDuringHandOn(t *testing.T) {
	f := newFakeOwner(t)
	got := make(chan monitor.Request, 1)
	go func() {
		f.hangUp(f.listen(), 100*time.Millisecond)
		l := f.listen()
		defer l.Close()
		got <- f.answer(l)
		f.exit()
	}()
	err := stopOwned(f.cfg, f.store, f.rec.ID, monitor.Request{Op: monitor.OpStop, Timeout: 3}, 20*time.Second)
	if err != nil {
		t.Fatalf("stop during the hand-on: %v", err)
	}
	select {
	case req := <-got:
		if req.Op != monitor.OpStop || req.Timeout != 3 {
			t.Errorf("the next monitor got %+v, want the stop", req)
		}
	default:
		t.Fatal("stop returned before the next monitor got it")
	}
	if f.store.OwnerAlive(f.rec.ID) {
		t.Error("stop returned while the monitor still owned the container")
	}
	if !stoppedSince(f.store, f.rec.ID, f.rec.StartedAt) {
		t.Error("the container is not marked stopped: its --restart policy would run it again")
	}
}

// A kill that meets the hand-on reaches the next run; once the owner let
// go without a next run, the container is not running.
func TestKillAsksAgainDuringHandOn(t *testing.T) {
	f := newFakeOwner(t)
	got := make(chan monitor.Request, 1)
	go func() {
		f.hangUp(f.listen(), 50*time.Millisecond)
		l := f.listen()
		defer l.Close()
		got <- f.answer(l)
	}()
	if _, err := askOwner(f.cfg, f.store, f.rec, monitor.Request{Op: monitor.OpKill, Signal: 15}, 20*time.Second); err != nil {
		t.Fatalf("kill during the hand-on: %v", err)
	}
	if req := <-got; req.Op != monitor.OpKill || req.Signal != 15 {
		t.Errorf("the next monitor got %+v, want the kill", req)
	}

	go func() {
		f.hangUp(f.listen(), 0)
		f.exit()
	}()
	_, err := askOwner(f.cfg, f.store, f.rec, monitor.Request{Op: monitor.OpKill, Signal: 15}, 20*time.Second)
	if !errors.Is(err, monitor.ErrNoMonitor) {
		t.Fatalf("kill of a container that exited during the hand-on: %v, want ErrNoMonitor", err)
	}
}
