package monitor

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/host/monitor/handoff"
	"github.com/rrun-project/rrun/host/proc"
	"github.com/rrun-project/rrun/plugins/api"
)

// Handing a running detached container to rrun-monitor (docs/internal.md,
// "The small monitor of a detached container").

// execDefaultsName is the file, in the container's state dir, with what an
// exec delegate needs of the prepared container.
const execDefaultsName = "handoff.json"

// execDefaults is the init's process and the rootfs mounts (for --user
// names), written at hand-off for `rrun __monitor --exec`.
type execDefaults struct {
	Version int            `json:"version"`
	Process *specs.Process `json:"process"`
	Mounts  []api.Mount    `json:"mounts"`
}

// Handoff execs the small monitor with st and does not return on success.
type Handoff func(st handoff.State) error

// handoffPlanned reports whether the container goes to rrun-monitor once
// it runs. Until then this process serves no client: an exec served with
// the isolation plugin the hand-off kills would fail, and a connection
// accepted here would not reach rrun-monitor (the backlog does).
func (m *monitor) handoffPlanned() bool {
	return m.Handoff != nil && !m.attach && (m.net == nil || !m.net.Relays) && m.IsolationPID != nil
}

// tryHandoff gives the running container to rrun-monitor when Deps asks
// for it. It returns (with the big monitor going on as before) when the
// init already exited or the plugin could not be stopped.
func (m *monitor) tryHandoff(io *stdio) {
	if !m.handoffPlanned() {
		return
	}
	plugin := m.IsolationPID()
	if plugin <= 0 || !m.orphanInit(plugin) {
		return
	}
	if err := m.writeExecDefaults(); err != nil {
		fmt.Fprintf(os.Stderr, "rrun: warning: %v; the monitor of %s stays\n", err, m.rec.ShortID())
		return
	}
	st, err := m.handoffState(io)
	if err == nil {
		// A plugin of this command (no warm ones: idle timeout 0) would
		// otherwise live on, unused, as rrun-monitor's child.
		m.Backends.Close()
		err = m.Handoff(st)
	}
	fmt.Fprintf(os.Stderr, "rrun: warning: failed to hand container %s to rrun-monitor: %v\n", m.rec.ShortID(), err)
}

// orphanInit makes this process (the child subreaper) the init's parent:
// the isolation plugin is stopped, so it cannot reap the init between the
// check and its death; killing it hands the init (alive or a zombie) to
// us. False (the plugin resumed) when the init is already gone.
func (m *monitor) orphanInit(plugin int) bool {
	if unix.Kill(plugin, unix.SIGSTOP) != nil {
		return false
	}
	if unix.Kill(m.pid, 0) != nil {
		_ = unix.Kill(plugin, unix.SIGCONT)
		return false
	}
	_ = unix.Kill(plugin, unix.SIGKILL)
	for i := 0; i < 2000 && parentOf(m.pid) != os.Getpid(); i++ {
		time.Sleep(time.Millisecond) // the kernel reparents as the plugin exits
	}
	return parentOf(m.pid) == os.Getpid()
}

// parentOf is pid's parent, 0 when unknown.
func parentOf(pid int) int {
	s, _ := proc.Read(pid)
	return s.PPid
}

func (m *monitor) writeExecDefaults() error {
	data, err := json.Marshal(execDefaults{Version: 1, Process: m.prep.Spec.Process, Mounts: m.prep.Mounts})
	if err != nil {
		return err
	}
	path := filepath.Join(m.Store.Dir(m.rec.ID), execDefaultsName)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}

// handoffState names the fds rrun-monitor inherits; each loses FD_CLOEXEC.
func (m *monitor) handoffState(io *stdio) (handoff.State, error) {
	sig, err := ParseSignal(m.rec.Options.StopSignal, unix.SIGTERM)
	if err != nil {
		return handoff.State{}, err
	}
	timeout := 10
	if t := m.rec.Options.StopTimeout; t != nil {
		timeout = *t
	}
	lf, err := m.listener.File() // a dup; the original closes with this process's exec
	if err != nil {
		return handoff.State{}, err
	}
	st := handoff.State{Version: handoff.Version, ID: m.rec.ID, Pid: m.pid, Interactive: m.rec.Options.Interactive,
		StopSignal: int(sig), StopTimeout: timeout,
		Listener: keepFd(lf), Log: keepFd(io.log.f), Stdout: -1, Stderr: -1, Master: -1, Stdin: -1, Owner: -1, NetLock: -1}
	if m.net != nil {
		// rrun-monitor ends the helper when the init exits; kill -9 of it
		// ends the helper through Pdeathsig (see Run).
		st.NetHelper, st.NetDir = m.net.Helper, m.net.Dir
		if m.net.Lock != nil {
			st.NetLock = keepFd(m.net.Lock)
		}
	}
	for _, p := range io.pending {
		if p.stream == "stdout" {
			st.Stdout = keepFd(p.r)
		} else {
			st.Stderr = keepFd(p.r)
		}
	}
	if master := io.terminal(); master != nil {
		st.Master = keepFd(master)
	}
	if io.stdinW != nil {
		st.Stdin = keepFd(io.stdinW)
	}
	return st, nil
}

// keepFd clears FD_CLOEXEC of f (kept open by the caller until the exec).
func keepFd(f *os.File) int {
	fd := int(f.Fd())
	_, _ = unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0) // Fd() of an open file: cannot fail
	return fd
}

// Resume is the end of a container rrun-monitor owned: it records code,
// deletes the container, releases or removes its rootfs and closes the
// monitor socket (inherited, fd listenerFD) last, as Run does.
func Resume(ctx context.Context, d Deps, id string, code, listenerFD int) error {
	rec, err := d.Store.Get(id)
	if err != nil {
		return err
	}
	m := &monitor{Deps: d, rec: rec, iso: d.Backends.Isolation, exited: make(chan struct{}), prep: &container.Prepared{ID: id}}
	if listenerFD >= 0 {
		// FileListener makes its own copy; the File is closed through
		// itself, so no finalizer closes listenerFD again once reused.
		f := os.NewFile(uintptr(listenerFD), "monitor.sock")
		if l, err := net.FileListener(f); err == nil {
			m.listener, _ = l.(*net.UnixListener)
		}
		f.Close()
	}
	if m.listener != nil {
		m.listener.SetUnlinkOnClose(true)
	}
	m.finish(ctx, code, nil)
	return nil
}

// ServeExec answers the exec request rrun-monitor received (req) on conn,
// with fds (the client's stdio and preserved fds), then the further
// requests of that connection (resize), through d's isolation plugin.
func ServeExec(ctx context.Context, d Deps, id string, conn *net.UnixConn, req []byte, fds []int) error {
	rec, err := d.Store.Get(id)
	if err != nil {
		closeFds(fds)
		return err
	}
	data, err := os.ReadFile(filepath.Join(d.Store.Dir(id), execDefaultsName))
	var defs execDefaults
	if err == nil {
		err = json.Unmarshal(data, &defs)
	}
	if err != nil || defs.Process == nil {
		closeFds(fds)
		reply(conn, failure(fmt.Errorf("failed to read how container %s runs: %v", rec.ShortID(), err)))
		return err
	}
	m := &monitor{Deps: d, rec: rec, iso: d.Backends.Isolation, exited: make(chan struct{}),
		prep: &container.Prepared{ID: id, Spec: &specs.Spec{Process: defs.Process}, Mounts: defs.Mounts}}
	var r Request
	if err := json.Unmarshal(req, &r); err != nil {
		closeFds(fds)
		return err
	}
	cs := &connState{conn: conn}
	m.exec(ctx, cs, r, fds)
	go m.serveExecResizes(ctx, cs)
	cs.wg.Wait() // the exec's last answer is sent
	return nil
}

// serveExecResizes answers the resize requests of an exec's connection
// until the client hangs up.
func (m *monitor) serveExecResizes(ctx context.Context, cs *connState) {
	for {
		r, fds, err := readRequest(cs.conn)
		if err != nil {
			return
		}
		closeFds(fds)
		if r.Op == OpResize {
			reply(cs.conn, result(m.isolation().ResizePty(ctx, m.rec.ID, cs.execID, r.Width, r.Height)))
		} else {
			reply(cs.conn, failure(api.Errorf(api.ErrInvalidArgument, "", "operation %q on an exec connection", r.Op)))
		}
	}
}
