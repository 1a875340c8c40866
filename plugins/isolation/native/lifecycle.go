//go:build linux

package native

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"
	"time"

	"github.com/rrun-project/rrun/plugins/api"
	"github.com/rrun-project/rrun/plugins/api/reaper"
	"github.com/rrun-project/rrun/plugins/isolation/native/nsinit"
)

// Start tells the init to exec the command. A successful exec closes the
// control socket (it is close-on-exec in the init), so EOF means success.
func (b *Backend) Start(_ context.Context, id string) error {
	c, err := b.get(id)
	if err != nil {
		return err
	}
	if c.conn == nil {
		return api.Errorf(api.ErrFailedPrecondition, "delete the container and create it again",
			"container %s was created by an earlier plugin process and cannot be started", id)
	}
	if err := c.setStatus(api.StatusCreated, api.StatusRunning); err != nil {
		return err
	}
	t0 := time.Now()
	if err := c.enc.Encode(nsinit.Message{Type: nsinit.MsgStart}); err != nil {
		return fmt.Errorf("failed to start container %s: %w", id, err)
	}
	m, err := next(c.dec, b.initLog(id))
	api.TraceSince("native: start: the init's socket closed", t0)
	c.conn.Close() // nothing more to say to each other
	if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) {
		b.saveLogged(c)
		api.TraceSince("native: start: state saved", t0)
		return nil
	}
	if err != nil {
		return fmt.Errorf("failed to start container %s: %w", id, err)
	}
	<-c.init.Done() // the init exits with 126 or 127 right after telling us
	return execFailure(id, m)
}

// execFailure turns the container side's report of a failed exec into the
// contract's error.
func execFailure(id string, m nsinit.Message) error {
	switch {
	case m.Type == nsinit.MsgExecError && m.Kind == nsinit.ExecNotFound:
		return api.Errorf(api.ErrCommandNotFound, "", "%s", m.Message)
	case m.Type == nsinit.MsgExecError && m.Kind == nsinit.ExecNotExecutable:
		return api.Errorf(api.ErrCommandNotExecutable, "", "%s", m.Message)
	}
	return fmt.Errorf("failed to start a process in container %s: %s", id, m.Message)
}

// Wait blocks until the init or an exec process has stopped. Any number
// may wait. For a process adopted from an earlier plugin process, whose
// status only its reaper saw, it returns ErrUnavailable once it is gone.
func (b *Backend) Wait(ctx context.Context, id, execID string) (api.ExitStatus, error) {
	c, err := b.get(id)
	if err != nil {
		return api.ExitStatus{}, err
	}
	p, err := c.process(execID)
	if err != nil {
		return api.ExitStatus{}, err
	}
	st, err := p.Wait(ctx)
	if errors.Is(err, reaper.ErrStatusUnknown) {
		return api.ExitStatus{}, api.Errorf(api.ErrUnavailable, "ask the process that reaped it (rrun's monitor)",
			"exit status of %s is known only to its reaper", p.describe(id, execID))
	}
	return api.ExitStatus{Code: st.Code, Signal: st.Signal}, err
}

// Kill sends signal to the init or an exec process. A stopped process is
// not an error.
func (b *Backend) Kill(_ context.Context, id, execID string, signal int) error {
	c, err := b.get(id)
	if err != nil {
		return err
	}
	if signal <= 0 || signal > 64 {
		return api.Errorf(api.ErrInvalidArgument, "", "invalid signal %d for container %s", signal, id)
	}
	p, err := c.process(execID)
	if err != nil {
		return err
	}
	if err := p.signal(syscall.Signal(signal)); err != nil {
		return fmt.Errorf("failed to signal %s: %w", p.describe(id, execID), err)
	}
	return nil
}

// Delete kills the container if it runs and removes its run dir. Deleting
// an unknown container is not an error.
func (b *Backend) Delete(_ context.Context, id string) error {
	c, err := b.get(id)
	if errors.Is(err, api.ErrNotFound) {
		return b.removeUnknown(id)
	}
	if err != nil {
		return err
	}
	if err := c.destroy(); err != nil {
		return err
	}
	removeCgroup(c.cgroup)
	b.forget(c)
	return nil
}

// State reports the container's status, pid, exit code (-1 when the
// container was adopted and its status is known only to its reaper) and
// times.
func (b *Backend) State(_ context.Context, id string) (api.ContainerState, error) {
	c, err := b.get(id)
	if err != nil {
		return api.ContainerState{}, err
	}
	return c.state(), nil
}
