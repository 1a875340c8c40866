package monitor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/host/proc"
	"github.com/rrun-project/rrun/host/trace"
	"github.com/rrun-project/rrun/plugins/api"
)

// waitInit waits for the init through the plugin. If the plugin dies, a
// detached container keeps running: its init (reparented to this process,
// the session's child subreaper) is waited for directly and the plugin is
// started again for later calls. In the foreground the user is told at
// once: the container is killed and rrun fails (125).
func (m *monitor) waitInit(ctx context.Context) (int, error) {
	st, err := m.isolation().Wait(ctx, m.rec.ID, "")
	trace.Mark("container exited")
	if err == nil {
		return st.Code, nil
	}
	if m.attach {
		_ = unix.Kill(m.pid, unix.SIGKILL)
		waitPid(m.pid)
		return 125, fmt.Errorf("container %s was stopped: %w", m.rec.ShortID(), err)
	}
	fmt.Fprintf(os.Stderr, "rrun: warning: %v; container %s keeps running\n", err, m.rec.ShortID())
	if errors.Is(err, api.ErrUnavailable) && m.Relaunch != nil {
		go m.relaunch(ctx)
	}
	return waitPid(m.pid), nil
}

func (m *monitor) relaunch(ctx context.Context) {
	iso, err := m.Relaunch(ctx)
	if err != nil {
		fmt.Fprintf(os.Stderr, "rrun: warning: failed to restart the isolation plugin: %v\n", err)
		return
	}
	m.isoMu.Lock()
	m.iso = iso
	m.isoMu.Unlock()
}

// waitPid reaps pid and returns docker's exit code for it. The plugin's
// connection breaks before the kernel reparents its children, so ECHILD
// while pid still exists means "not ours yet": try again shortly. A stop
// (reported to a tracer even without WUNTRACED) is not an exit.
func waitPid(pid int) int {
	var ws unix.WaitStatus
	for tries := 0; ; tries++ {
		_, err := unix.Wait4(pid, &ws, 0, nil)
		if err == unix.EINTR || (err == nil && ws.Stopped()) {
			continue
		}
		if err == unix.ECHILD && tries < 500 && unix.Kill(pid, 0) == nil {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if err != nil {
			return 137 // reaped by another: it is gone, and how is unknown
		}
		break
	}
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// endInit ends the init of a container that did not start: through the
// plugin (Delete), else with SIGKILL from here when it is still the init
// Create made (its start time), and reaps it when it is this process's
// child (the plugin died and this process is its subreaper).
func (m *monitor) endInit(ctx context.Context) {
	if m.isolation().Delete(context.WithoutCancel(ctx), m.rec.ID) == nil || m.pid <= 0 {
		return
	}
	if proc.Start(m.pid) == m.pidStart && unix.Kill(m.pid, unix.SIGKILL) == nil {
		var ws unix.WaitStatus
		_, _ = unix.Wait4(m.pid, &ws, 0, nil) // ECHILD at once when it is not ours
	}
}

// kill signals the init or an exec. When the plugin cannot (it died, or a
// restarted one does not know the container), the monitor signals the init
// itself: it is in this process's pid namespace.
func (m *monitor) kill(ctx context.Context, execID string, sig int) error {
	err := m.isolation().Kill(ctx, m.rec.ID, execID, sig)
	if err != nil && execID == "" && m.pid > 0 {
		select {
		case <-m.exited:
			return nil
		default:
		}
		return unix.Kill(m.pid, unix.Signal(sig))
	}
	return err
}
