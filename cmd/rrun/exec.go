package main

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/host/monitor"
	"github.com/rrun-project/rrun/host/state"
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
			return forEach(args[:1], func(cfg config.Config, _ *state.Store, r state.Record) error {
				return execIn(cfg, r, e, preserved)
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
func execIn(cfg config.Config, r state.Record, e monitor.Exec, preserved []int) error {
	c, err := monitor.Dial(cfg.Dirs.Run, r.ID)
	if err != nil {
		return notRunning(r, err)
	}
	defer c.Close()
	if e.TTY && monitor.IsTerminal(0) {
		e.Width, e.Height = monitor.WindowSize(0)
		defer monitor.MakeRaw(0)()
		stop := forwardResize(c)
		defer stop()
	}
	if err := c.Send(monitor.Request{Op: monitor.OpExec, Exec: &e}, append(monitor.StdFds(), preserved...)...); err != nil {
		return err
	}
	if _, err := c.Receive(); err != nil {
		return execError(err)
	}
	if e.Detach {
		return nil
	}
	for {
		resp, err := c.Receive()
		if err != nil {
			return err
		}
		if resp.Exited {
			if resp.ExitCode != 0 {
				return exitCode(resp.ExitCode)
			}
			return nil
		}
	}
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
