package reaper_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rrun-project/rrun/plugins/api/reaper"
)

// startOrphan runs `sh -c SCRIPT & echo $!` through r.Run and returns the
// pid of the background process, which the shell leaves to the subreaper.
// The background process runs SCRIPT only once the shell is gone: a shell
// may reap a background job that ended before it exits, and that status
// would never reach the subreaper.
func startOrphan(t *testing.T, r *reaper.Reaper, script string) int {
	t.Helper()
	gate := filepath.Join(t.TempDir(), "go")
	var out bytes.Buffer
	cmd := exec.Command("sh", "-c", "(while [ ! -e "+gate+" ]; do sleep 0.01; done; "+script+") >/dev/null & echo $!")
	cmd.Stdout = &out
	if err := r.Run(cmd); err != nil {
		t.Fatalf("Run: %v (the reaper must leave a Run's own child alone)", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(out.String()))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return pid
}

func waitStatus(t *testing.T, ch <-chan reaper.Status) reaper.Status {
	t.Helper()
	select {
	case st := <-ch:
		return st
	case <-time.After(time.Minute):
		t.Fatal("the orphan's status never came: it was not reaped")
	}
	return reaper.Status{}
}

func TestOrphansAreReapedWithTheirStatus(t *testing.T) {
	r, err := reaper.Get()
	if err != nil {
		t.Fatal(err)
	}
	r.ReapOrphans()
	mark := r.Mark()
	pid := startOrphan(t, r, "exit 7")
	if st := waitStatus(t, r.Watch(pid, mark)); st.Code != 7 || st.Signal != 0 {
		t.Errorf("orphan that exited 7: %+v", st)
	}
	mark = r.Mark()
	pid = startOrphan(t, r, "sleep 100")
	ch := r.Watch(pid, mark)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if st := waitStatus(t, ch); st.Code != 137 || st.Signal != 9 {
		t.Errorf("orphan killed by SIGKILL: %+v, want 137 / 9", st)
	}
}

// TestChildStopIsNotAnExit: a child that traces itself (PTRACE_TRACEME,
// as a self-tracing container init does) stops at exec; the stop must not
// end its Process, and SIGKILL through it ends it with 137.
func TestChildStopIsNotAnExit(t *testing.T) {
	r, err := reaper.Get()
	if err != nil {
		t.Fatal(err)
	}
	mark := r.Mark()
	cmd := exec.Command("sleep", "100")
	cmd.SysProcAttr = &syscall.SysProcAttr{Ptrace: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := r.Child(cmd.Process.Pid, nil, mark, nil)
	for procState(p.Pid) != "t" { // the exec's SIGTRAP stop
		time.Sleep(time.Millisecond)
	}
	// A sweep after the stop: it saw the stopped child too.
	other := exec.Command("true")
	m := r.Mark()
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, r.Watch(other.Process.Pid, m))
	if p.Ended() {
		st, _, _ := p.Exit()
		t.Fatalf("a stopped child was taken for ended: %+v", st)
	}
	if err := p.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	case <-time.After(time.Minute):
		t.Fatal("SIGKILL did not end the stopped child")
	}
	if st, _, known := p.Exit(); !known || st.Code != 137 || st.Signal != 9 {
		t.Errorf("stopped child killed by SIGKILL: %+v (known %v), want 137 / 9", st, known)
	}
}

// procState is the state letter of /proc/<pid>/stat.
func procState(pid int) string {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	s := string(data)
	return strings.Fields(s[strings.LastIndexByte(s, ')')+1:])[0]
}

func TestStartTimeOfSelf(t *testing.T) {
	st, err := reaper.StartTime(os.Getpid())
	if err != nil || st == 0 {
		t.Fatalf("StartTime(self) = %d, %v", st, err)
	}
	if !reaper.Running(os.Getpid(), st) || reaper.Running(os.Getpid(), st+1) {
		t.Errorf("Running(self) does not follow the start time %d", st)
	}
}

// TestProcessWait: Wait gives a known status, ErrStatusUnknown for a
// process that ended unseen (adopted after it was gone), and ctx's error
// for one that still runs.
func TestProcessWait(t *testing.T) {
	r, err := reaper.Get()
	if err != nil {
		t.Fatal(err)
	}
	if st, err := reaper.Finished(1234, reaper.Status{Code: 3}).Wait(context.Background()); err != nil || st.Code != 3 {
		t.Fatalf("finished: %+v %v", st, err)
	}
	gone := r.Adopt(1<<22+7, 0, nil, nil) // above pid_max: no such process
	if _, err := gone.Wait(context.Background()); !errors.Is(err, reaper.ErrStatusUnknown) {
		t.Fatalf("adopted after it was gone: %v", err)
	}
	self := r.Adopt(os.Getpid(), 0, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := self.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("a running process with a done ctx: %v", err)
	}
}

// Without ReapOrphans (the native backend), the reaper reaps the children
// it watches and leaves the others to the code that started them, also
// when such a child's exit comes first: exec.Cmd.Wait still gets its
// status. The reaper is one per process, so this runs in a child process
// that never calls ReapOrphans.
func TestOtherChildrenAreLeftAlone(t *testing.T) {
	if os.Getenv("REAPER_TEST_OTHERS") != "1" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestOtherChildrenAreLeftAlone$", "-test.count=1")
		cmd.Env = append(os.Environ(), "REAPER_TEST_OTHERS=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return
	}
	r, err := reaper.Get()
	if err != nil {
		t.Fatal(err)
	}
	for round := range 3 {
		other := exec.Command("true") // someone else's child, exited before the watched one
		if err := other.Start(); err != nil {
			t.Fatal(err)
		}
		for procState(other.Process.Pid) != "Z" {
			time.Sleep(time.Millisecond)
		}
		mark := r.Mark()
		watched := exec.Command("sh", "-c", "exit "+strconv.Itoa(3+round))
		if err := watched.Start(); err != nil {
			t.Fatal(err)
		}
		if st := waitStatus(t, r.Watch(watched.Process.Pid, mark)); st.Code != 3+round {
			t.Errorf("watched child: %+v, want code %d", st, 3+round)
		}
		if err := other.Wait(); err != nil {
			t.Fatalf("the reaper took a child it does not watch: Wait: %v", err)
		}
	}
}
