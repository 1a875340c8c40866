//go:build linux

package native

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"

	"github.com/rrun-project/rrun/plugins/api"
)

// Start tells the init to exec the command. A successful exec closes the
// control socket (it is close-on-exec in the init), so EOF means success.
func (b *Backend) Start(_ context.Context, id string) error {
	c, err := b.get(id)
	if err != nil {
		return err
	}
	if err := c.setStatus(api.StatusCreated, api.StatusRunning); err != nil {
		return err
	}
	if err := c.enc.Encode(message{Type: msgStart}); err != nil {
		return fmt.Errorf("failed to start container %s: %w", id, err)
	}
	m, err := c.next(b.initLog(id))
	c.conn.Close() // nothing more to say to each other
	if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("failed to start container %s: %w", id, err)
	}
	<-c.done // the init exits with 126 or 127 right after telling us
	switch m.Kind {
	case execNotFound:
		return api.Errorf(api.ErrCommandNotFound, "", "%s", m.Message)
	case execNotExecutable:
		return api.Errorf(api.ErrCommandNotExecutable, "", "%s", m.Message)
	}
	return fmt.Errorf("failed to start container %s: %s", id, m.Message)
}

// Wait blocks until the container has stopped. Any number may wait.
func (b *Backend) Wait(ctx context.Context, id, execID string) (api.ExitStatus, error) {
	c, err := b.get(id)
	if err != nil {
		return api.ExitStatus{}, err
	}
	select {
	case <-c.done:
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.exit, nil
	case <-ctx.Done():
		return api.ExitStatus{}, ctx.Err()
	}
}

// Kill sends signal to the container's init. A stopped container is not
// an error.
func (b *Backend) Kill(_ context.Context, id, execID string, signal int) error {
	c, err := b.get(id)
	if err != nil {
		return err
	}
	if signal <= 0 || signal > 64 {
		return api.Errorf(api.ErrInvalidArgument, "", "invalid signal %d for container %s", signal, id)
	}
	if c.stopped() {
		return nil
	}
	return c.signal(syscall.Signal(signal))
}

// Delete kills the container if it runs and removes its run dir. Deleting
// an unknown container is not an error.
func (b *Backend) Delete(_ context.Context, id string) error {
	c, err := b.get(id)
	if errors.Is(err, api.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := c.destroy(); err != nil {
		return err
	}
	b.forget(c)
	return nil
}

// State reports the container's status, pid and exit code.
func (b *Backend) State(_ context.Context, id string) (api.ContainerState, error) {
	c, err := b.get(id)
	if err != nil {
		return api.ContainerState{}, err
	}
	return c.state(), nil
}
