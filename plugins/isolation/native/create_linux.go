package native

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/plugins/api"
)

// Create spawns the container's init, which sets up the namespaces and the
// root filesystem and then waits for Start.
func (b *Backend) Create(ctx context.Context, req api.CreateRequest) (int, error) {
	spec, err := parseSpec(req.ID, req.SpecJSON)
	if err != nil {
		return 0, err
	}
	rootfs, err := rootfsMounts(req.ID, req.Rootfs, spec)
	if err != nil {
		return 0, err
	}
	runDir, err := b.reserve(req.ID)
	if err != nil {
		return 0, err
	}
	c, err := b.spawn(req, spec, filepath.Join(runDir, req.ID))
	if err == nil {
		err = b.awaitReady(ctx, c, rootfs, spec)
	}
	if err != nil {
		if c != nil {
			c.destroy()
		}
		b.publish(req.ID, nil)
		return 0, err
	}
	b.publish(req.ID, c)
	return c.cmd.Process.Pid, nil
}

// rootfsMounts returns the rootfs descriptors, or a bind of spec.Root.Path
// when there are none.
func rootfsMounts(id string, ms []api.Mount, spec *specs.Spec) ([]api.Mount, error) {
	if len(ms) > 0 {
		return ms, nil
	}
	if spec.Root != nil && filepath.IsAbs(spec.Root.Path) {
		return []api.Mount{{Type: "bind", Source: spec.Root.Path, Target: "/", Options: []string{"rbind"}}}, nil
	}
	return nil, api.Errorf(api.ErrInvalidArgument, "", "container %s has no root filesystem mounts", id)
}

// spawn starts `<initPath> __init` in new namespaces with the container's
// stdio and the control socket as fd 3.
func (b *Backend) spawn(req api.CreateRequest, spec *specs.Spec, dir string) (*container, error) {
	if err := os.MkdirAll(filepath.Join(dir, "rootfs"), 0o700); err != nil {
		return nil, fmt.Errorf("failed to create run dir of container %s: %w", req.ID, err)
	}
	stdio, err := openStdio(req.Stdio)
	if err != nil {
		os.RemoveAll(dir)
		return nil, api.Errorf(api.ErrInvalidArgument, "", "container %s: %v", req.ID, err)
	}
	defer closeAll(stdio)
	conn, child, err := socketPair()
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("failed to create control socket for container %s: %w", req.ID, err)
	}
	defer child.Close()
	flags, _ := cloneFlags(spec) // checked by parseSpec
	cmd := &exec.Cmd{
		Path:  b.initPath,
		Args:  []string{"rrun", "__init"},
		Env:   []string{}, // nothing of the plugin's environment leaks in
		Stdin: stdio[0], Stdout: stdio[1], Stderr: stdio[2],
		ExtraFiles:  []*os.File{child},
		SysProcAttr: &syscall.SysProcAttr{Cloneflags: flags, Setsid: true},
	}
	if err := cmd.Start(); err != nil {
		conn.Close()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("failed to start init of container %s: %w", req.ID, err)
	}
	c := &container{id: req.ID, dir: dir, cmd: cmd, conn: conn, status: api.StatusCreated,
		enc: json.NewEncoder(conn), dec: json.NewDecoder(conn), done: make(chan struct{})}
	go c.reap()
	return c, nil
}

// awaitReady sends the init its configuration and waits until it is set up.
func (b *Backend) awaitReady(ctx context.Context, c *container, rootfs []api.Mount, spec *specs.Spec) error {
	stop := context.AfterFunc(ctx, func() { c.conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	cfg := initConfig{Version: protocolVersion, Spec: spec, Rootfs: rootfs, RootfsDir: filepath.Join(c.dir, "rootfs")}
	if err := c.enc.Encode(cfg); err != nil {
		return c.initFailure(ctx, err)
	}
	m, err := c.next(b.initLog(c.id))
	switch {
	case err != nil:
		return c.initFailure(ctx, err)
	case m.Type == msgReady:
		return nil
	case m.Type == msgError:
		return api.Errorf(api.ErrFailedPrecondition, "", "failed to create container %s: %s", c.id, m.Message)
	}
	return fmt.Errorf("failed to create container %s: unexpected message %q from init", c.id, m.Type)
}

// initFailure explains a broken control socket during Create.
func (c *container) initFailure(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("failed to create container %s: %w", c.id, ctx.Err())
	}
	if errors.Is(err, io.EOF) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) {
		<-c.done
		return fmt.Errorf("failed to create container %s: init exited (%s) before it was ready", c.id, c.cmd.ProcessState)
	}
	return fmt.Errorf("failed to create container %s: %w", c.id, err)
}

func (b *Backend) initLog(id string) func(string) {
	return func(line string) { b.log.Debug(line, "container", id) }
}

// destroy kills the init, reaps it and removes its run dir.
func (c *container) destroy() error {
	c.conn.Close()
	if err := c.signal(unix.SIGKILL); err != nil {
		return err
	}
	<-c.done
	if err := os.RemoveAll(c.dir); err != nil {
		return fmt.Errorf("failed to remove run dir of container %s: %w", c.id, err)
	}
	return nil
}

// socketPair returns the plugin's end as a conn (for deadlines) and the
// init's end as a file to inherit.
func socketPair() (*net.UnixConn, *os.File, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	parent := os.NewFile(uintptr(fds[0]), "init-control")
	defer parent.Close()
	fc, err := net.FileConn(parent)
	if err != nil {
		unix.Close(fds[1])
		return nil, nil, err
	}
	return fc.(*net.UnixConn), os.NewFile(uintptr(fds[1]), "init-control"), nil
}
