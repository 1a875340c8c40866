package main

import (
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

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
	cmd.Flags().BoolVar(&f.noStdin, "no-stdin", false, "Do not attach STDIN (rrun never attaches it yet)")
	cmd.Flags().BoolVar(&f.sigProxy, "sig-proxy", true, "Proxy all received signals to the process")
	return cmd
}

// attachTo follows r's log from its end until r exits, and returns its
// exit status. stdin is not attached (a detached container's stdin is
// /dev/null unless the monitor kept it, which it does not yet).
func attachTo(cfg config.Config, store *state.Store, r state.Record, f attachFlags) error {
	if st, _ := status(cfg, r); st != state.StatusRunning {
		return api.Errorf(api.ErrFailedPrecondition, "rrun start -a "+r.Name, "you cannot attach to a stopped container, start it first")
	}
	if f.sigProxy {
		stop := proxySignals(cfg, r)
		defer stop()
	}
	path := filepath.Join(store.Dir(r.ID), monitor.LogName)
	running := func() bool { return monitor.Alive(cfg.Dirs.Run, r.ID) }
	o := monitor.LogOptions{Follow: true, Tail: 0}
	if err := monitor.ReadLog(path, o, os.Stdout, os.Stderr, running); err != nil {
		return err
	}
	if fresh, err := store.Get(r.ID); err == nil && fresh.ExitCode != 0 {
		return exitCode(fresh.ExitCode)
	}
	return nil
}

// proxySignals sends the signals rrun gets to the container, as docker
// attach's --sig-proxy.
func proxySignals(cfg config.Config, r state.Record) func() {
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2)
	go func() {
		for s := range ch {
			_ = call(cfg, r, monitor.Request{Op: monitor.OpKill, Signal: int(s.(syscall.Signal))}) // a container gone meanwhile ends the attach anyway
		}
	}()
	return func() { signal.Stop(ch); close(ch) }
}
