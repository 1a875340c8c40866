package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/monitor"
	"github.com/rrun-project/rrun/host/state"
	"github.com/rrun-project/rrun/plugins/api"
)

// forEach resolves each reference to a record and runs fn, reporting
// failures like docker: every container is tried, the first error is
// returned after the others.
func forEach(refs []string, fn func(cfg config.Config, store *state.Store, r state.Record) error) error {
	cfg, store, err := loadStore()
	if err != nil {
		return err
	}
	var first error
	for _, ref := range refs {
		r, err := store.Get(ref)
		if err == nil {
			err = fn(cfg, store, r)
		}
		if err != nil {
			if first != nil {
				report(first)
			}
			first = err
		}
	}
	return first
}

func newStartCommand() *cobra.Command {
	var attach bool
	cmd := &cobra.Command{
		Use: "start [-a] CONTAINER...", Short: "Start one or more created or stopped containers", Args: cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if attach && len(args) > 1 {
				return api.Errorf(api.ErrInvalidArgument, "start one container with -a", "you cannot attach to more than one container")
			}
			if _, store, err := loadStore(); err == nil {
				warmStart(store, args)
			}
			return forEach(args, func(cfg config.Config, store *state.Store, r state.Record) error {
				if st, _ := status(cfg, r); st == state.StatusRunning {
					fmt.Println(r.Name)
					return nil
				}
				if attach {
					return startContainer(cfg, store, r, true)
				}
				if err := startContainer(cfg, store, r, false); err != nil {
					return err
				}
				fmt.Println(r.Name)
				return nil
			})
		},
	}
	cmd.Flags().BoolVarP(&attach, "attach", "a", false, "attach stdout/stderr and exit with the container's status")
	return cmd
}

func newStopCommand() *cobra.Command {
	var timeout int
	cmd := &cobra.Command{
		Use: "stop [-t SECONDS] CONTAINER...", Short: "Stop containers: the stop signal, then SIGKILL after the timeout", Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if !c.Flags().Changed("time") {
				timeout = -1
			}
			return forEach(args, func(cfg config.Config, store *state.Store, r state.Record) error {
				if err := stopOwned(cfg, store, r.ID, monitor.Request{Op: monitor.OpStop, Timeout: timeout}, stopWindow(r, timeout)); err != nil {
					return err
				}
				fmt.Println(args0(r))
				return nil
			})
		},
	}
	// default 0, not 10: help shows only the sentence's default, once
	cmd.Flags().IntVarP(&timeout, "time", "t", 0, "seconds to wait before killing (default: the container's --stop-timeout, else 10)")
	return cmd
}

func newKillCommand() *cobra.Command {
	var sig string
	cmd := &cobra.Command{
		Use: "kill [-s SIGNAL] CONTAINER...", Short: "Send a signal (default SIGKILL) to running containers", Args: cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			s, err := monitor.ParseSignal(sig, 9)
			if err != nil {
				return err
			}
			return forEach(args, func(cfg config.Config, store *state.Store, r state.Record) error {
				if _, err := askOwner(cfg, store, r, monitor.Request{Op: monitor.OpKill, Signal: int(s)}, handOnWait); err != nil {
					return notRunning(r, err)
				}
				fmt.Println(args0(r))
				return nil
			})
		},
	}
	cmd.Flags().StringVarP(&sig, "signal", "s", "KILL", "signal to send")
	return cmd
}

func newWaitCommand() *cobra.Command {
	return &cobra.Command{
		Use: "wait CONTAINER...", Short: "Wait for containers to stop and print their exit codes", Args: cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return forEach(args, func(cfg config.Config, store *state.Store, r state.Record) error {
				c, err := monitor.Dial(cfg.Dirs.Run, r.ID)
				if err == nil {
					defer c.Close()
					if resp, err := c.Call(monitor.Request{Op: monitor.OpWait}); err == nil {
						awaitRecorded(store, r, false)
						fmt.Println(resp.ExitCode)
						return nil
					}
				}
				if r, err = store.Get(r.ID); err != nil {
					return err
				}
				_, code := status(cfg, r)
				fmt.Println(code)
				return nil
			})
		},
	}
}

func notRunning(r state.Record, err error) error {
	if errors.Is(err, monitor.ErrNoMonitor) {
		return api.Errorf(api.ErrFailedPrecondition, "rrun start "+r.Name, "container %s is not running", r.Name)
	}
	return err
}

// args0 is how docker echoes a container back: as it was named.
func args0(r state.Record) string { return r.Name }

func newRenameCommand() *cobra.Command {
	return &cobra.Command{
		Use: "rename CONTAINER NEW_NAME", Short: "Rename a container", Args: cobra.ExactArgs(2),
		RunE: func(_ *cobra.Command, args []string) error {
			return forEach(args[:1], func(_ config.Config, store *state.Store, r state.Record) error {
				return store.Rename(r.ID, args[1])
			})
		},
	}
}

// awaitRecorded returns once the exit of r's run that its monitor reported
// is in the record (or the container was restarted), so a `ps` or `inspect`
// after `stop` or `wait` shows it exited, as docker's do: rrun-monitor
// answers when the init exited and then hands back to rrun to record the
// exit. With released (stop, which ruled out a restart) it also waits for
// the monitor to let go of the container, so a `start` right after it does
// not find it still owned. It gives up after 10 s.
func awaitRecorded(store *state.Store, r state.Record, released bool) {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		now, err := store.Get(r.ID)
		if err != nil || !now.StartedAt.Equal(r.StartedAt) || !store.OwnerAlive(r.ID) {
			return
		}
		if now.Status != state.StatusRunning && !released {
			return
		}
	}
}
