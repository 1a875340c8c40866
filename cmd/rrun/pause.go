package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/cgroups"
	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/host/monitor"
	"github.com/rrun-project/rrun/host/state"
	"github.com/rrun-project/rrun/plugins/api"
)

func newPauseCommand(pause bool) *cobra.Command {
	verb, short := "pause", "Pause all processes within one or more containers (cgroup v2 freezer)"
	if !pause {
		verb, short = "unpause", "Unpause all processes within one or more containers"
	}
	return &cobra.Command{
		Use: verb + " CONTAINER...", Short: short, Args: cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return forEach(args, func(cfg config.Config, _ *state.Store, r state.Record) error {
				if st, _ := status(cfg, r); st != state.StatusRunning {
					return api.Errorf(api.ErrFailedPrecondition, "start it first", "container %s is not running", r.Name)
				}
				h, d, err := containerCgroups(verb)
				if err != nil {
					return err
				}
				if err := h.Freeze(d, r.ID, pause); err != nil {
					return api.Errorf(api.ErrFailedPrecondition, "", "cannot %s %s: %v", verb, r.Name, err)
				}
				fmt.Println(args0(r))
				return nil
			})
		},
	}
}

// containerCgroups is the delegated cgroup v2 where containers' cgroups
// are, or the reason (and fix) there is none, for verb.
func containerCgroups(verb string) (cgroups.Host, cgroups.Delegation, error) {
	h := cgroups.RealHost()
	l := h.Detect()
	if l.Version != cgroups.VersionV2 {
		return h, cgroups.Delegation{}, api.Errorf(api.ErrFailedPrecondition, "fix: "+cgroups.FixUnified,
			"%s needs cgroup v2 with controllers delegated to you; this host has cgroup %s", verb, l.Version)
	}
	d, err := h.Delegated(l, nil)
	if err != nil {
		return h, d, api.Errorf(api.ErrFailedPrecondition, "fix: "+cgroups.FixDelegate, "%s needs a cgroup v2 delegated to you: %v", verb, err)
	}
	return h, d, nil
}

func newUpdateCommand() *cobra.Command {
	var o container.RunOptions
	cmd := &cobra.Command{
		Use: "update [OPTIONS] CONTAINER...", Short: "Update the resource limits of containers (cgroup v2)", Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			res, err := o.Resources()
			if err != nil {
				return err
			}
			return forEach(args, func(cfg config.Config, store *state.Store, r state.Record) error {
				if st, _ := status(cfg, r); st == state.StatusRunning {
					h, d, err := containerCgroups("update")
					if err != nil {
						return err
					}
					if _, err := h.Create(d, r.ID, res); err != nil {
						return err
					}
				}
				if err := store.Update(r.ID, func(rec *state.Record) error { mergeLimits(&rec.Options, o, c); return nil }); err != nil {
					return err
				}
				fmt.Println(args0(r))
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Memory, "memory", "m", "", "Memory limit")
	f.StringVar(&o.MemorySwap, "memory-swap", "", "Swap limit equal to memory plus swap: -1 to enable unlimited swap")
	f.StringVar(&o.CPUs, "cpus", "", "Number of CPUs")
	f.Int64VarP(&o.CPUShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	f.Int64Var(&o.PidsLimit, "pids-limit", 0, "Tune container pids limit (set -1 for unlimited)")
	return cmd
}

// mergeLimits keeps in the record the limits update changed, so that the
// next start applies them too.
func mergeLimits(dst *container.RunOptions, src container.RunOptions, c *cobra.Command) {
	changed := c.Flags().Changed
	if changed("memory") {
		dst.Memory = src.Memory
	}
	if changed("memory-swap") {
		dst.MemorySwap = src.MemorySwap
	}
	if changed("cpus") {
		dst.CPUs = src.CPUs
	}
	if changed("cpu-shares") {
		dst.CPUShares = src.CPUShares
	}
	if changed("pids-limit") {
		dst.PidsLimit = src.PidsLimit
	}
}

func newRestartCommand() *cobra.Command {
	var timeout int
	cmd := &cobra.Command{
		Use: "restart [OPTIONS] CONTAINER...", Short: "Restart one or more containers (stop, then start detached)", Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if !c.Flags().Changed("time") {
				timeout = -1
			}
			if _, store, err := loadStore(); err == nil {
				warmStart(store, args)
			}
			return forEach(args, func(cfg config.Config, store *state.Store, r state.Record) error {
				markStopped(store, r.ID)
				err := call(cfg, r, monitor.Request{Op: monitor.OpStop, Timeout: timeout})
				if err != nil && !errors.Is(err, monitor.ErrNoMonitor) && !errors.Is(err, monitor.ErrHungUp) {
					return err // a monitor that hung up is recording the exit, as stop's
				}
				fresh, err := store.Get(r.ID)
				if err != nil {
					return err
				}
				if err := restartDetached(withConfigOf(cfg, fresh), store, fresh); err != nil {
					return err
				}
				fmt.Println(args0(r))
				return nil
			})
		},
	}
	cmd.Flags().IntVarP(&timeout, "time", "t", 0, "seconds to wait before killing (default: the container's --stop-timeout, else 10)")
	return cmd
}

// restartDetached starts a stopped container again, detached. The monitor
// that ran it releases the container's owner lock only as it exits, just
// after it answered the stop: a start refused for that is tried again for
// a few seconds.
func restartDetached(cfg config.Config, store *state.Store, rec state.Record) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := startContainer(cfg, store, rec, false)
		if !errors.Is(err, api.ErrFailedPrecondition) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}
