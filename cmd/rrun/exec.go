package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/host/monitor"
	"github.com/rrun-project/rrun/host/pluginmgr"
	"github.com/rrun-project/rrun/host/session"
	"github.com/rrun-project/rrun/host/state"
	"github.com/rrun-project/rrun/host/trace"
	"github.com/rrun-project/rrun/plugins/api"
)

func newExecCommand() *cobra.Command {
	var e monitor.Exec
	var envs []string
	var preserved []int
	cmd := &cobra.Command{
		Use: "exec [OPTIONS] CONTAINER COMMAND [ARG...]", Short: "Run a command in a running container", Args: execArgs,
		RunE: func(_ *cobra.Command, args []string) error {
			if err := checkInputTTY(e.TTY, e.Interactive); err != nil {
				return err
			}
			e.Args = args[1:]
			env, err := container.ResolveEnv(envs)
			if err != nil {
				return err
			}
			e.Env = withTerm(env, e.TTY)
			if preserved, err = preservedFds(e.PreserveFds); err != nil {
				return err
			}
			return forEach(args[:1], func(cfg config.Config, store *state.Store, r state.Record) error {
				return execIn(cfg, store, r, e, preserved)
			})
		},
	}
	f := cmd.Flags()
	f.SetInterspersed(false)
	f.BoolVarP(&e.Interactive, "interactive", "i", false, "keep stdin attached")
	f.BoolVarP(&e.TTY, "tty", "t", false, "allocate a terminal")
	f.BoolVarP(&e.Detach, "detach", "d", false, "run the command in the background")
	f.StringArrayVarP(&envs, "env", "e", nil, "set an environment variable")
	f.StringVarP(&e.Workdir, "workdir", "w", "", "working directory inside the container")
	f.StringVarP(&e.User, "user", "u", "", "user[:group] to run as")
	f.IntVar(&e.PreserveFds, "preserve-fds", 0, "pass N additional file descriptors (3 to 3+N-1) to the command")
	return cmd
}

// execIn asks the container's monitor to run e with this process's stdio
// (passed as fds) and returns the command's exit status.
func execIn(cfg config.Config, store *state.Store, r state.Record, e monitor.Exec, preserved []int) error {
	tty := e.TTY && monitor.IsTerminal(0)
	if tty {
		e.Width, e.Height = monitor.WindowSize(0)
		defer monitor.MakeRaw(0)()
	}
	c, served, err := execConn(cfg, store, r, e, preserved)
	if err != nil {
		return err
	}
	defer c.Close()
	if tty {
		stop := forwardResize(c)
		defer stop()
	}
	if _, err := c.Receive(); err != nil {
		return execError(servedError(served, err))
	}
	if e.Detach {
		return nil
	}
	for {
		resp, err := c.Receive()
		if err != nil {
			return servedError(served, err)
		}
		if resp.Exited {
			if resp.ExitCode != 0 {
				return exitCode(resp.ExitCode)
			}
			return nil
		}
	}
}

// execConn sends the exec request to the container's monitor; or, when
// that monitor would start `rrun __monitor ID --exec` in this process's
// namespaces to serve it (rrun-monitor), serves it in this process
// instead, saving the start of a process (served then reports the end of
// serving).
func execConn(cfg config.Config, store *state.Store, r state.Record, e monitor.Exec, preserved []int) (*monitor.Client, <-chan error, error) {
	c, err := monitor.Dial(cfg.Dirs.Run, r.ID)
	if err != nil {
		return nil, nil, notRunning(r, err)
	}
	req, fds := monitor.Request{Op: monitor.OpExec, Exec: &e}, append(monitor.StdFds(), preserved...)
	if session.Joined() && c.DelegatesExec() {
		c.Close()
		return serveExecHere(withConfigOf(cfg, r), store, r, req, fds)
	}
	if err := c.Send(req, fds...); err != nil {
		c.Close()
		return nil, nil, err
	}
	return c, nil, nil
}

// serveExecHere runs what `rrun __monitor ID --exec` would (ServeExec
// through the warm isolation plugin) in a goroutine, on one end of a
// socket pair; the client gets the other.
func serveExecHere(cfg config.Config, store *state.Store, r state.Record, req monitor.Request, fds []int) (*monitor.Client, <-chan error, error) {
	c, srv, data, err := monitor.ExecPair(req)
	if err != nil {
		return nil, nil, err
	}
	dups := make([]int, 0, len(fds)) // ServeExec closes the fds it is given
	for _, fd := range fds {
		d, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 3)
		if err != nil {
			c.Close()
			srv.Close()
			return nil, nil, fmt.Errorf("failed to pass fd %d to the exec: %w", fd, err)
		}
		dups = append(dups, d)
	}
	trace.Mark("exec served here")
	done := make(chan error, 1)
	go func() {
		defer srv.Close()
		done <- inSessionWith(cfg, needs{isolation: true}, func(ctx context.Context, mgr *pluginmgr.Manager, b *container.Backends) error {
			return monitor.ServeExec(ctx, detachedDeps(cfg, store, mgr, b), r.ID, srv, data, dups)
		})
	}()
	return c, done, nil
}

// servedError is why an exec served in this process ended without an
// answer (its plugin could not be reached, say), else err.
func servedError(served <-chan error, err error) error {
	select {
	case serr := <-served: // a nil channel never answers
		if serr != nil {
			return serr
		}
	default:
	}
	return err
}

// execArgs says in words what is missing, as docker's "requires at least 2 arguments".
func execArgs(cmd *cobra.Command, args []string) error {
	switch len(args) {
	case 0:
		return api.Errorf(api.ErrInvalidArgument, "usage: rrun exec [OPTIONS] CONTAINER COMMAND [ARG...]", "exec needs a container and a command to run in it")
	case 1:
		return api.Errorf(api.ErrInvalidArgument, "usage: rrun exec [OPTIONS] CONTAINER COMMAND [ARG...]", "exec needs a command to run in container %s", args[0])
	}
	return nil
}

func execError(err error) error {
	switch api.KindOf(err) {
	case api.ErrCommandNotFound:
		return &container.ExitError{Code: 127, Err: err}
	case api.ErrCommandNotExecutable:
		return &container.ExitError{Code: 126, Err: err}
	}
	return err
}

// forwardResize sends the terminal's new size on SIGWINCH.
func forwardResize(c *monitor.Client) func() {
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, syscall.SIGWINCH)
	go func() {
		for range ch {
			w, h := monitor.WindowSize(0)
			_ = c.Send(monitor.Request{Op: monitor.OpResize, Width: w, Height: h})
		}
	}()
	return func() { signal.Stop(ch); close(ch) }
}
