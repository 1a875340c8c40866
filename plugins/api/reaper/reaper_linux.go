package reaper

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Status is how a reaped process ended: its exit code, or the signal that
// killed it (Code is then 128+Signal, docker's rule).
type Status struct {
	Code   int
	Signal int
}

// maxOrphans bounds the statuses kept for pids reaped before anyone
// watched them.
const maxOrphans = 4096

// Reaper reaps the children of the process. There is one per process.
type Reaper struct {
	mu       sync.Mutex
	seq      uint64                // counts reaps
	busy     map[int]bool          // pids a Run is waiting for
	watched  map[int][]chan Status // pids someone waits for
	orphans  map[int]orphanStatus  // reaped before watched
	order    []int                 // orphans, oldest first
	reapAll  bool                  // ReapOrphans was called
	sweepReq chan struct{}
}

type orphanStatus struct {
	st  Status
	seq uint64
}

var (
	once   sync.Once
	std    *Reaper
	stdErr error
)

// Get returns the process's reaper, making the process a child subreaper
// on first use.
func Get() (*Reaper, error) {
	once.Do(func() {
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			stdErr = fmt.Errorf("failed to become a child subreaper: %w", err)
			return
		}
		std = &Reaper{busy: map[int]bool{}, watched: map[int][]chan Status{},
			orphans: map[int]orphanStatus{}, sweepReq: make(chan struct{}, 1)}
		go std.loop()
	})
	return std, stdErr
}

// ReapOrphans makes the reaper reap every child that exits, not only the
// watched ones. Call it from a plugin's main, where every other child is
// started through Run; never in a process where other code waits for its
// own children (exec.Cmd.Wait would fail with ECHILD).
func (r *Reaper) ReapOrphans() {
	r.mu.Lock()
	r.reapAll = true
	r.mu.Unlock()
	r.kick()
}

// Mark returns a token to pass to Watch: statuses of pids reaped before
// the mark are not taken for the watched pid (the pid may have been
// reused since).
func (r *Reaper) Mark() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seq
}

// Watch returns a channel that receives the status of pid once it has
// exited and was reaped. pid must be, or become, a child of this process
// (a subreaper inherits orphans). A status reaped after mark, before the
// call, is delivered at once.
func (r *Reaper) Watch(pid int, mark uint64) <-chan Status {
	ch := make(chan Status, 1)
	r.mu.Lock()
	if o, ok := r.orphans[pid]; ok && o.seq > mark {
		delete(r.orphans, pid)
		ch <- o.st
	} else {
		r.watched[pid] = append(r.watched[pid], ch)
	}
	r.mu.Unlock()
	r.kick()
	return ch
}

// Run starts cmd and waits for it, keeping the reaper off its pid.
func (r *Reaper) Run(cmd *exec.Cmd) error {
	r.mu.Lock()
	err := cmd.Start()
	if err == nil {
		r.busy[cmd.Process.Pid] = true
	}
	r.mu.Unlock()
	if err != nil {
		return err
	}
	err = cmd.Wait()
	r.mu.Lock()
	delete(r.busy, cmd.Process.Pid)
	r.mu.Unlock()
	r.kick() // its orphans may have been skipped meanwhile
	return err
}

func (r *Reaper) kick() {
	select {
	case r.sweepReq <- struct{}{}:
	default:
	}
}

// backstop is how often the reaper sweeps while someone waits for a pid,
// SIGCHLD or not: the kernel's children files may skip a child while
// others fork or exit at the same time (proc(5)), and a skipped exit sends
// no second signal.
const backstop = 200 * time.Millisecond

// loop sweeps on every SIGCHLD and every kick, and every backstop while
// a pid is watched.
func (r *Reaper) loop() {
	sig := make(chan os.Signal, 16)
	signal.Notify(sig, unix.SIGCHLD)
	for {
		var tick <-chan time.Time // no wake-ups while nobody waits
		if r.waiting() {
			tick = time.After(backstop)
		}
		select {
		case <-sig:
		case <-r.sweepReq:
		case <-tick:
		}
		r.sweep()
	}
}

// waiting reports whether someone waits for a pid.
func (r *Reaper) waiting() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.watched) > 0
}

// sweep reaps the exited children that are watched, or all but the busy
// ones after ReapOrphans. It waits for each pid by itself (never wait(-1)),
// so that children of other code in the process are left alone.
func (r *Reaper) sweep() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sweepExited() {
		return
	}
	for _, pid := range children() {
		if r.busy[pid] || !r.ours(pid) {
			continue
		}
		var ws unix.WaitStatus
		got, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
		if err != nil || got != pid || ws.Stopped() || ws.Continued() {
			// A stop is not an exit: wait4 reports the stops of a child
			// this process traces (one that called PTRACE_TRACEME) even
			// without WUNTRACED; the child lives on.
			continue
		}
		r.seq++
		r.deliver(pid, statusOf(ws))
	}
}

// sweepExited reaps each child the kernel reports exited that is the
// reaper's (ours), without listing the children: waitid with WNOWAIT
// names one and leaves it, wait4 then reaps that one. (Reading every
// thread's children file was most of a warm isolation plugin's sweeps,
// ~1-2 ms of CPU per container.) It returns false when the child it met
// is busy or not the reaper's (other code of the process waits for it),
// which hides the others from waitid: the full scan then steps over it.
func (r *Reaper) sweepExited() bool {
	for {
		var info unix.Siginfo
		if err := unix.Waitid(unix.P_ALL, 0, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil); err != nil {
			return true // ECHILD: no child at all
		}
		pid := siginfoPid(&info)
		if pid <= 0 {
			return true // none has exited
		}
		if r.busy[pid] || !exited(info.Code) || !r.ours(pid) {
			// A traced child's stop is reported too, and never an
			// exit: it would be named again, as a busy one would.
			return false
		}
		var ws unix.WaitStatus
		if got, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil); err != nil || got != pid || ws.Stopped() || ws.Continued() {
			return false
		}
		r.seq++
		r.deliver(pid, statusOf(ws))
	}
}

// ours reports whether the reaper reaps pid: every child after
// ReapOrphans; else a watched one, or a container's process (a pid
// namespace below ours).
func (r *Reaper) ours(pid int) bool {
	return r.reapAll || r.watched[pid] != nil || inNestedPIDNS(pid)
}

// The si_code values of a SIGCHLD that say the child ended (siginfo.h).
const (
	cldExited = 1
	cldKilled = 2
	cldDumped = 3
)

// exited reports whether a SIGCHLD's si_code says the child ended.
func exited(code int32) bool {
	return code == cldExited || code == cldKilled || code == cldDumped
}

// siginfoPid is si_pid of a SIGCHLD siginfo_t: the first field after the
// three ints and the padding that align the union to 8 bytes.
func siginfoPid(info *unix.Siginfo) int {
	b := (*[unsafe.Sizeof(*info)]byte)(unsafe.Pointer(info))
	return int(int32(binary.NativeEndian.Uint32(b[16:20])))
}

func (r *Reaper) deliver(pid int, st Status) {
	if chans, ok := r.watched[pid]; ok {
		delete(r.watched, pid)
		for _, ch := range chans {
			ch <- st
		}
		return
	}
	if len(r.order) >= maxOrphans {
		delete(r.orphans, r.order[0])
		r.order = r.order[1:]
	}
	r.orphans[pid] = orphanStatus{st: st, seq: r.seq}
	r.order = append(r.order, pid)
}

func statusOf(ws unix.WaitStatus) Status {
	if ws.Signaled() {
		return Status{Code: 128 + int(ws.Signal()), Signal: int(ws.Signal())}
	}
	return Status{Code: ws.ExitStatus()}
}

// inNestedPIDNS reports whether pid lives in a pid namespace below ours:
// a container's process (its init, an exec) that an OCI runtime forked and
// left to us. Code of this process that waits for its own children does
// not start them in a new pid namespace (a backend that does, as the
// native one, tracks them through the reaper too: Child). It works on
// zombies, whose NSpid line stays until they are reaped.
func inNestedPIDNS(pid int) bool {
	return nsDepth("/proc/"+strconv.Itoa(pid)+"/status") > nsDepth("/proc/self/status")
}

// nsDepth counts the pids of the NSpid line of a status file.
func nsDepth(status string) int {
	data, err := os.ReadFile(status)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "NSpid:"); ok {
			return len(strings.Fields(rest))
		}
	}
	return 0
}

// children lists the process's children, from every thread's children
// file (a child belongs to the thread that forked it or adopted it).
func children() []int {
	files, _ := filepath.Glob("/proc/self/task/*/children")
	var pids []int
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue // the thread exited
		}
		for _, field := range strings.Fields(string(data)) {
			if pid, err := strconv.Atoi(field); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}
