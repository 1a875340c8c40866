package monitor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"sync"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/host/network"
	"github.com/rrun-project/rrun/host/proc"
	"github.com/rrun-project/rrun/host/state"
	"github.com/rrun-project/rrun/host/trace"
	"github.com/rrun-project/rrun/plugins/api"
)

// Deps are what a monitor works with.
type Deps struct {
	Backends *container.Backends
	Store    *state.Store
	RunDir   string
	// Relaunch starts a new isolation plugin after the old one died.
	Relaunch func(ctx context.Context) (api.Isolation, error)
	// Spec is what building the runtime spec needs from the session.
	Spec container.SpecEnv
	// RemoveVolumes removes anonymous volumes of a removed container.
	RemoveVolumes func(names []string)
	// AttachNetwork, when set, connects the network namespace of the
	// created init (pid) before it starts, and returns the link, stopped
	// once the container has exited (the warm path's private networks;
	// see Spec.OwnNetNS). It is called on the thread that runs Run, which
	// is the thread that execs rrun-monitor (see Run).
	AttachNetwork func(pid int) (*network.Link, error)
	// StartNetwork, when set, begins to connect the container's private
	// network before the container exists, in a network namespace the
	// isolation backend joins (when it can: api.CapIsolationNetNSPath);
	// nil Pending: AttachNetwork connects it after Create. Called on the
	// same thread as AttachNetwork.
	StartNetwork func() (*network.Pending, error)
	// Handoff, when set (a detached container on the warm path), gives the
	// running container to the small rrun-monitor; IsolationPID is then
	// the pid of the isolation plugin this process started (see
	// tryHandoff).
	Handoff      Handoff
	IsolationPID func() int
	// Settle, when set, runs once the end of a container that started is
	// recorded, before what it held is released: the monitor of a Slurm
	// step's container waits there for the step to end on the node
	// (cmd/rrun, settleStep). A container that failed to start is released
	// at once (a step's prepare goes on to pull its image and try again).
	Settle func()
	// Later, when set, runs work after the command's exit code went out
	// and before its process exits (a foreground run's): see stopNetwork
	// and finish.
	Later func(func())
}

// monitor is one container's owner.
type monitor struct {
	Deps
	rec    state.Record
	prep   *container.Prepared
	attach bool
	pid    int
	// pidNS and pidStart name the init (its pid namespace's inode, its
	// start time), read at Create, while it waits for Start: a command
	// that exits at once may be reaped before the record is written.
	pidNS    uint64
	pidStart uint64
	net      *network.Link // AttachNetwork's

	isoMu sync.Mutex
	iso   api.Isolation

	listener *net.UnixListener
	exited   chan struct{} // closed when the init has exited
	exitCode int
	master   *os.File // the init's pty master, with -t
	stdinW   *os.File // detached -i: the init's stdin pipe (for attach)
}

// Run owns container id until it exits and returns its exit code. attach
// runs it in the foreground on this process's stdio; otherwise its output
// goes to its log. ready is called once: with nil when the container is
// running, or with the error that stopped it from starting.
func Run(ctx context.Context, d Deps, id string, attach bool, ready func(error)) (int, error) {
	rec, err := d.Store.Get(id)
	if err != nil {
		ready(err)
		return 0, err
	}
	m := &monitor{Deps: d, rec: rec, attach: attach, iso: d.Backends.Isolation, exited: make(chan struct{})}
	if d.Handoff != nil && d.AttachNetwork != nil {
		// The network helper gets SIGKILL (Pdeathsig) when the thread
		// that started it ends, and the execve of rrun-monitor ends every
		// thread but the one that calls it: both must be this one.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	io, err := m.start(ctx)
	if err != nil {
		m.finish(ctx, exitCodeOf(err), err)
		ready(err)
		return 0, err
	}
	ready(nil)
	m.tryHandoff(io) // returns only when the container stays with this process
	if m.handoffPlanned() {
		go m.serve(ctx) // the container stays: clients waited in the listener's backlog
	}
	io.pumpPending()
	code, err := m.wait(ctx, io)
	m.finish(ctx, code, err)
	return code, err
}

func exitCodeOf(err error) int {
	var ee *container.ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return 125
}

// start prepares, creates and starts the container and begins serving.
func (m *monitor) start(ctx context.Context) (*stdio, error) {
	o := m.rec.Options
	say := func(line string) { fmt.Fprintln(os.Stderr, line) }
	env := m.Spec
	pending, err := m.startNetwork()
	if err != nil {
		return nil, err
	}
	if pending != nil {
		env.NetNSPath = pending.Path
		defer func() {
			if pending != nil { // not connected
				pending.Abort()
			}
		}()
	}
	prep, err := container.Prepare(ctx, m.Backends, o, m.rec.ID, env, say)
	if err != nil {
		return nil, err
	}
	m.prep = prep
	io, err := m.openStdio()
	if err != nil {
		return nil, err
	}
	if err := m.preserveFds(ctx, io); err != nil {
		io.abort()
		return nil, err
	}
	if m.pid, err = container.Create(ctx, m.Backends, prep, io.spec); err != nil {
		io.abort()
		return nil, err
	}
	m.pidNS, m.pidStart = proc.PidNS(m.pid), proc.Start(m.pid)
	if err := io.created(); err != nil {
		return nil, err
	}
	if pending != nil || m.AttachNetwork != nil {
		if pending != nil {
			connect := pending.Connect
			pending = nil
			m.net, err = connect(m.pid)
		} else {
			m.net, err = m.AttachNetwork(m.pid)
		}
		trace.Mark("network connected")
		if err != nil {
			// The init holds its stdio open until it is gone.
			_ = m.isolation().Delete(context.WithoutCancel(ctx), m.rec.ID)
			io.abort()
			return nil, err
		}
	}
	if err := m.listen(); err != nil {
		return nil, err
	}
	if m.attach {
		// Before Start: a signal the user sends once the command runs must
		// reach it, not end this process; and the command must find its
		// terminal at the user's size from its first instruction.
		io.closers = append(io.closers, m.forwardSignals(ctx))
		if m.rec.Options.TTY && IsTerminal(0) {
			m.resizeFromTerminal(ctx, 0)
		}
	}
	if err := container.Start(ctx, m.Backends, m.rec.ID); err != nil {
		// The command may be running (a plugin that died during Start
		// may have started it), and it holds its output open: without
		// it, abort would wait for the end of that output.
		m.endInit(ctx)
		io.abort()
		return nil, err
	}
	m.master, m.stdinW = io.master, io.stdinW
	m.setRunning(prep.Spec.Process)
	if !m.handoffPlanned() {
		go m.serve(ctx)
	}
	return io, nil
}

// startNetwork starts connecting the container's private network ahead
// of its creation (Deps.StartNetwork) when the isolation backend joins a
// network namespace by path; nil: not ahead.
func (m *monitor) startNetwork() (*network.Pending, error) {
	if m.StartNetwork == nil || !m.Backends.JoinsNetNS() || container.MayOwnUserNS(m.rec.Options) {
		return nil, nil
	}
	p, err := m.StartNetwork()
	if p != nil {
		trace.Mark("network started ahead")
	}
	return p, err
}

func (m *monitor) setRunning(p *specs.Process) {
	_ = m.Store.Update(m.rec.ID, func(r *state.Record) error {
		r.Status, r.Pid, r.StartedAt, r.Args, r.Error = state.StatusRunning, m.pid, time.Now().UTC(), p.Args, ""
		r.Starting, r.Unstarted = false, false
		r.ImageID, r.PidNS, r.PidStart = m.prep.Image.ID, m.pidNS, m.pidStart
		r.ConfigEnv = container.ConfigEnv(m.prep.Image.Config.Config.Env, m.rec.Options.Env)
		return nil
	})
}

// wait blocks until the init exits, relaying its terminal meanwhile.
func (m *monitor) wait(ctx context.Context, io *stdio) (int, error) {
	stop := m.relay(ctx, io)
	code, err := m.waitInit(ctx)
	m.exitCode = code
	close(m.exited)
	stop()
	io.close()
	return code, err
}

// stopNetwork ends the container's network helper (pasta, slirp4netns)
// once the container has exited. The helper's exit waits for the kernel's
// RCU grace periods as it releases its tap device and its namespaces
// (~30 ms here) although nothing of it is used any more: a helper that
// publishes no port is therefore killed here, and reaped, its state dir
// removed and its lock dropped after the exit code went out (Later). It
// is on its way out (PF_EXITING) before this returns. One that publishes
// ports is waited for: its listening sockets close late in its exit, and a
// command run next may want the same host port.
func (m *monitor) stopNetwork() {
	link := m.net
	m.net = nil
	restarts := m.rec.Options.Restart != "" && m.rec.Options.Restart != "no" // each run's helper would wait
	if m.Later == nil || restarts || link.Helper <= 0 || link.Relays || (m.Spec.Network != nil && len(m.Spec.Network.Ports) > 0) {
		link.Stop()
		return
	}
	// The helper is this process's child, not reaped before Stop: its pid
	// names it.
	if err := unix.Kill(link.Helper, unix.SIGKILL); err != nil {
		link.Stop()
		return
	}
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Microsecond) {
		if s, ok := proc.Read(link.Helper); !ok || !s.Live() || s.Exiting() {
			break
		}
	}
	m.Later(link.Stop)
}

// recordDelayEnv delays the record of an exit (a test hook: commands that
// meet a container between its exit and that record).
const recordDelayEnv = "_RRUN_TEST_RECORD_DELAY"

// removalDelayEnv delays the removal a foreground --rm run leaves for
// after its exit code (a test hook: commands that come meanwhile).
const removalDelayEnv = "_RRUN_TEST_LATER_REMOVAL_DELAY"

// finish records how the container ended and releases or removes it. The
// record is written before the socket closes: whoever finds the monitor
// gone must find the exit code recorded.
//
// A run refused before its command ran (rrun's own failure, 125; not 126
// or 127, which docker keeps as a container) leaves nothing, as --rm.
func (m *monitor) finish(ctx context.Context, code int, startErr error) {
	if d, err := time.ParseDuration(os.Getenv(recordDelayEnv)); err == nil {
		time.Sleep(d)
	}
	remove := m.rec.Options.Remove || (startErr != nil && m.rec.Unstarted && code == 125)
	_ = m.Store.Update(m.rec.ID, func(r *state.Record) error {
		r.Status, r.ExitCode, r.FinishedAt = state.StatusExited, code, time.Now().UTC()
		r.Starting, r.Unstarted = false, r.Unstarted && remove // a killed removal is finished by Reconcile
		if startErr != nil {
			r.Error = startErr.Error()
		}
		return nil
	})
	if m.listener != nil {
		m.listener.Close()
	}
	if m.Settle != nil && startErr == nil {
		m.Settle()
	}
	if m.net != nil {
		m.stopNetwork()
	}
	if remove && startErr == nil && m.Later != nil && m.attach {
		// A foreground --rm run's exit code goes out first: the record
		// says exited (state.Record.Removing), and a command that shows or
		// uses containers waits for this process's owner lock to go, which
		// it holds until this removal is done.
		// Its root filesystem is removed before the lock goes, not in
		// the storage plugin's background: nobody waits for this any
		// more, and the next command finds the space back.
		m.Later(func() {
			if d, err := time.ParseDuration(os.Getenv(removalDelayEnv)); err == nil {
				time.Sleep(d)
			}
			m.release(ctx, remove, startErr, true)
		})
		return
	}
	m.release(ctx, remove, startErr, startErr != nil)
}

// release deletes the container's isolation state and releases, or with
// remove removes, its root filesystem and record; with now, the removal
// is done when it returns (not left to a warm storage plugin's
// background).
func (m *monitor) release(ctx context.Context, remove bool, startErr error, now bool) {
	if m.prep != nil {
		// With a pid namespace of its own, every process of the container
		// died with its init: nothing uses the rootfs any more, and the
		// isolation plugin's Delete and the storage plugin's release can
		// run at once.
		deleted := make(chan struct{})
		go func() {
			defer close(deleted)
			_ = m.isolation().Delete(context.WithoutCancel(ctx), m.rec.ID)
			trace.Mark("isolation state deleted")
		}()
		if !ownPIDNamespace(m.prep.Spec) {
			<-deleted
		}
		release := container.ReleaseRootfs
		if now {
			release = container.ReleaseRootfsNow // a failed run leaves nothing once its command returns; after the exit code, nobody waits
		}
		if err := release(m.Backends, m.rec.ID, remove); err != nil {
			fmt.Fprintf(os.Stderr, "rrun: warning: failed to release the root filesystem of %s: %v\n", m.rec.ShortID(), err)
		}
		<-deleted
	} else if remove {
		// Prepare failed after it made the rootfs (e.g. limits refused by
		// the host): it released it, removing is up to us, before the
		// failed command returns.
		if err := container.ReleaseRootfsNow(m.Backends, m.rec.ID, true); err != nil {
			fmt.Fprintf(os.Stderr, "rrun: warning: failed to remove the root filesystem of %s: %v\n", m.rec.ShortID(), err)
		}
	}
	if remove {
		_ = m.Store.Remove(m.rec.ID)
		if m.RemoveVolumes != nil {
			m.RemoveVolumes(m.rec.AnonVolumes)
		}
		trace.Mark("record removed")
	}
}

func (m *monitor) isolation() api.Isolation {
	m.isoMu.Lock()
	defer m.isoMu.Unlock()
	return m.iso
}

// ownPIDNamespace reports whether spec gives the container a pid
// namespace of its own (false when unknown: a resumed monitor has no spec).
func ownPIDNamespace(spec *specs.Spec) bool {
	if spec == nil || spec.Linux == nil {
		return false
	}
	for _, ns := range spec.Linux.Namespaces {
		if ns.Type == specs.PIDNamespace && ns.Path == "" {
			return true
		}
	}
	return false
}
