package testsuite

import (
	"errors"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rrun-project/rrun/plugins/api"
)

// devicesScript fails, saying where, unless /dev looks like docker's.
const devicesScript = `set -e
echo x > /dev/null
test "$(head -c 3 /dev/zero | wc -c)" = 3
test "$(head -c 8 /dev/urandom | wc -c)" = 8
test -c /dev/full -a -c /dev/random -a -c /dev/tty
test -d /dev/pts -a -e /dev/ptmx
test -L /dev/fd -a -L /dev/stdin -a -L /dev/stdout -a -L /dev/stderr
test -d /dev/shm
test -d /sys/class
echo ok`

func (s *isolationSuite) testDevices(t *testing.T) {
	if out := s.runOK(t, IsolationSpec("sh", "-xc", devicesScript)); out != "ok\n" {
		t.Errorf("devices check printed %q", out)
	}
}

func (s *isolationSuite) testNetNS(t *testing.T) {
	requireCap(t, s.newBackend(t), api.CapIsolationNetNS)
	// operstate of a loopback that is up is "unknown".
	spec := IsolationSpec("sh", "-c", "ls /sys/class/net; cat /sys/class/net/lo/operstate")
	spec.Linux.Namespaces = append(spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.NetworkNamespace})
	if out := s.runOK(t, spec); out != "lo\nunknown\n" {
		t.Errorf("interfaces in a new network namespace: %q, want lo only, up", out)
	}
}

func (s *isolationSuite) testStates(t *testing.T) {
	c := s.mustCreate(t, s.newBackend(t), IsolationSpec("sleep", "1000"))
	if st := c.state(); st.ID != c.id || st.Status != api.StatusCreated || st.Pid <= 0 || !st.Started.IsZero() {
		t.Errorf("State after Create = %+v, want created with a pid, not started", st)
	}
	before := time.Now()
	if err := c.b.Start(c.ctx, c.id); err != nil {
		t.Fatal(err)
	}
	if st := c.state(); st.Status != api.StatusRunning || st.Pid <= 0 || st.Started.Before(before.Add(-time.Second)) || !st.Finished.IsZero() {
		t.Errorf("State after Start = %+v, want running, started, not finished", st)
	}
	if err := c.b.Kill(c.ctx, c.id, "", int(syscall.SIGKILL)); err != nil {
		t.Fatal(err)
	}
	c.wait()
	if st := c.state(); st.Status != api.StatusStopped || st.ExitCode != 137 || st.Finished.Before(st.Started) {
		t.Errorf("State after Kill = %+v, want stopped with 137, finished after started", st)
	}
}

func (s *isolationSuite) testDelete(t *testing.T) {
	b := s.newBackend(t)
	created := s.mustCreate(t, b, IsolationSpec("true"))
	running := s.mustCreate(t, b, IsolationSpec("sleep", "1000"))
	if err := b.Start(running.ctx, running.id); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*isoContainer{created, running, created} {
		if err := b.Delete(c.ctx, c.id); err != nil {
			t.Errorf("Delete(%s): %v", c.id, err)
		}
		if _, err := b.State(c.ctx, c.id); !errors.Is(err, api.ErrNotFound) {
			t.Errorf("State after Delete(%s) = %v, want ErrNotFound", c.id, err)
		}
	}
}

func (s *isolationSuite) testUnknownID(t *testing.T) {
	b, ctx, id := s.newBackend(t), isoCtx(t), "no-such-container"
	checks := map[string]error{"Start": b.Start(ctx, id), "Kill": b.Kill(ctx, id, "", int(syscall.SIGKILL))}
	_, checks["State"] = b.State(ctx, id)
	_, checks["Wait"] = b.Wait(ctx, id, "")
	for call, err := range checks {
		if !errors.Is(err, api.ErrNotFound) || !strings.Contains(err.Error(), id) {
			t.Errorf("%s(%s) = %v, want ErrNotFound naming the id", call, id, err)
		}
	}
	if err := b.Delete(ctx, id); err != nil {
		t.Errorf("Delete(%s) = %v, want nil (idempotent)", id, err)
	}
}

func (s *isolationSuite) testDuplicateID(t *testing.T) {
	b := s.newBackend(t)
	c := s.mustCreate(t, b, IsolationSpec("true"))
	spec := jsonOf(t, IsolationSpec("true"))
	_, err := b.Create(c.ctx, api.CreateRequest{ID: c.id, SpecJSON: spec, Rootfs: s.rootfs(t)})
	if !errors.Is(err, api.ErrAlreadyExists) || !strings.Contains(err.Error(), c.id) {
		t.Errorf("second Create(%s) = %v, want ErrAlreadyExists naming the id", c.id, err)
	}
	if st := c.state(); st.Status != api.StatusCreated {
		t.Errorf("the first container is %s after a duplicate Create, want created", st.Status)
	}
}

func (s *isolationSuite) testInvalidSpec(t *testing.T) {
	b, ctx := s.newBackend(t), isoCtx(t)
	noArgs := jsonOf(t, IsolationSpec())
	for name, spec := range map[string][]byte{"garbage": []byte("{not json"), "no args": noArgs} {
		_, err := b.Create(ctx, api.CreateRequest{ID: "invalid", SpecJSON: spec, Rootfs: s.rootfs(t)})
		if !errors.Is(err, api.ErrInvalidArgument) {
			t.Errorf("Create with a %s spec = %v, want ErrInvalidArgument", name, err)
		}
	}
	if _, err := b.State(ctx, "invalid"); !errors.Is(err, api.ErrNotFound) {
		t.Errorf("a refused Create left a container behind: State = %v", err)
	}
}

func (s *isolationSuite) testConcurrentWaiters(t *testing.T) {
	c := s.mustCreate(t, s.newBackend(t), IsolationSpec("sleep", "1000"))
	if err := c.b.Start(c.ctx, c.id); err != nil {
		t.Fatal(err)
	}
	const waiters = 5
	got := make([]api.ExitStatus, waiters)
	var wg sync.WaitGroup
	for i := range waiters {
		wg.Go(func() {
			st, err := c.b.Wait(c.ctx, c.id, "")
			if err != nil {
				t.Errorf("waiter %d: %v", i, err)
			}
			got[i] = st
		})
	}
	if err := c.b.Kill(c.ctx, c.id, "", int(syscall.SIGKILL)); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	got = append(got, c.wait()) // after the end, Wait returns at once
	for i, st := range got {
		if st.Code != 137 {
			t.Errorf("waiter %d got %+v, want 137", i, st)
		}
	}
}
