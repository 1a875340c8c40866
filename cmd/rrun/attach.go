package main

import (
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/monitor"
	"github.com/rrun-project/rrun/host/state"
	"github.com/rrun-project/rrun/plugins/api"
)

// attachFlags are `rrun attach`'s options, as docker's.
type attachFlags struct {
	noStdin, sigProxy bool
}

func newAttachCommand() *cobra.Command {
	var f attachFlags
	cmd := &cobra.Command{
		Use: "attach [OPTIONS] CONTAINER", Short: "Show a running container's output from now on, forward signals and exit with its status",
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return forEach(args, func(cfg config.Config, store *state.Store, r state.Record) error {
				return attachTo(cfg, store, r, f)
			})
		},
	}
	cmd.Flags().BoolVar(&f.noStdin, "no-stdin", false, "Do not attach STDIN")
	cmd.Flags().BoolVar(&f.sigProxy, "sig-proxy", true, "Proxy all received signals to the process")
	return cmd
}

// attachTo follows r's log from its end until r exits, and returns its
// exit status. A container run with -i also gets what is typed (stdin),
// unless --no-stdin.
func attachTo(cfg config.Config, store *state.Store, r state.Record, f attachFlags) error {
	if st, _ := status(cfg, r); st != state.StatusRunning {
		return api.Errorf(api.ErrFailedPrecondition, "rrun start -a "+r.Name, "you cannot attach to a stopped container, start it first")
	}
	// From now on: entries written after this instant, even those the
	// container writes before the log is opened (an answer to our stdin).
	o := monitor.LogOptions{Follow: true, Tail: -1, Since: time.Now()}
	if r.Options.Interactive && !f.noStdin {
		if r.Options.TTY && monitor.IsTerminal(0) {
			defer monitor.MakeRaw(0)()
		}
		go forwardStdin(cfg, r) // ends with this process
	}
	if f.sigProxy {
		stop := proxySignals(cfg, r)
		defer stop()
	}
	path := filepath.Join(store.Dir(r.ID), monitor.LogName)
	running := func() bool { return monitorAlive(cfg, r.ID) }
	if err := monitor.ReadLog(path, o, os.Stdout, os.Stderr, running); err != nil {
		return err
	}
	if fresh, err := store.Get(r.ID); err == nil && fresh.ExitCode != 0 {
		return exitCode(fresh.ExitCode)
	}
	return nil
}

// forwardStdin sends this process's stdin to r's monitor until EOF (the
// container's stdin stays open, as docker's for a container run -d -i).
func forwardStdin(cfg config.Config, r state.Record) {
	c, err := monitor.Dial(cfg.Dirs.Run, r.ID)
	if err != nil {
		return // the container is gone: the log ends the attach
	}
	defer c.Close()
	buf := make([]byte, monitor.MaxStdinChunk)
	for {
		n, err := os.Stdin.Read(buf)
		if n > 0 {
			if _, cerr := c.Call(monitor.Request{Op: monitor.OpStdin, Data: buf[:n]}); cerr != nil {
				report(cerr)
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// proxySignals sends the signals rrun gets to the container, as docker
// attach's --sig-proxy.
func proxySignals(cfg config.Config, r state.Record) func() {
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2)
	go func() {
		for s := range ch {
			_, _ = askOnce(cfg, r.ID, monitor.Request{Op: monitor.OpKill, Signal: int(s.(syscall.Signal))}) // a container gone meanwhile ends the attach anyway
		}
	}()
	return func() { signal.Stop(ch); close(ch) }
}
