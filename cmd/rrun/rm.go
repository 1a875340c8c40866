package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/host/monitor"
	"github.com/rrun-project/rrun/host/pluginmgr"
	"github.com/rrun-project/rrun/host/session"
	"github.com/rrun-project/rrun/host/state"
	"github.com/rrun-project/rrun/host/volume"
	"github.com/rrun-project/rrun/plugins/api"
)

var errNotRunning = errors.New("not running")

func newRmCommand() *cobra.Command {
	var force, vols bool
	cmd := &cobra.Command{
		Use: "rm [-f] [-v] CONTAINER...", Short: "Remove containers (-f: also running ones)", Args: cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error { return removeContainers(args, force, vols, true) },
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "kill and remove running containers")
	cmd.Flags().BoolVarP(&vols, "volumes", "v", false, "remove the container's anonymous volumes too")
	return cmd
}

func newContainerCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "container", Short: "Manage containers"}
	var force bool
	prune := &cobra.Command{
		Use: "prune [-f]", Short: "Remove all stopped containers", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return pruneContainers(force) },
	}
	prune.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	cmd.AddCommand(prune, newPsCommand(), newRmCommand(), newContainerInspectCommand())
	return cmd
}

// removeContainers stops (with force) and removes containers. Their root
// filesystems are removed through the storage plugin, inside one session.
func removeContainers(refs []string, force, vols, print bool) error {
	var ids []string
	var cfgOf config.Config
	err := forEach(refs, func(cfg config.Config, store *state.Store, r state.Record) error {
		st, _ := status(cfg, r)
		if st == state.StatusRunning && !force && commandExited(r) {
			// Its monitor is still recording the exit: docker's rm finds
			// such a container exited, and so does this one, once recorded.
			awaitRecorded(store, r, true)
			now, err := store.Get(r.ID)
			if err != nil {
				return err // an --rm container, removed by its monitor: no such container
			}
			r = now
			st, _ = status(cfg, r)
		}
		if st == state.StatusRunning {
			if !force {
				return api.Errorf(api.ErrFailedPrecondition, "stop it first, or use rrun rm -f",
					"cannot remove container %s: it is running", r.Name)
			}
			if err := killAndWait(cfg, r); err != nil {
				return err
			}
		}
		if force {
			if err := killPidNamespace(r); err != nil {
				return err
			}
		}
		ids, cfgOf = append(ids, r.ID), withConfigOf(cfg, r)
		return nil
	})
	if len(ids) == 0 {
		return err
	}
	rmErr := removeRecorded(cfgOf, ids, vols, print)
	if err == nil {
		err = rmErr
	}
	return err
}

// killAndWait kills a running container for rm -f and waits until its
// monitor let go of it (see stopOwned).
func killAndWait(cfg config.Config, r state.Record) error {
	store, err := containerStore(cfg)
	if err != nil {
		return err
	}
	return stopOwned(cfg, store, r.ID, monitor.Request{Op: monitor.OpKill, Signal: 9}, handOnWait)
}

// removeRecorded enters a session and removes the containers' root
// filesystems and records. A container whose rootfs is already gone (e.g.
// removed with --rm) is still forgotten.
func removeRecorded(cfg config.Config, ids []string, vols, print bool) error {
	store, err := containerStore(cfg)
	if err != nil {
		return err
	}
	if !session.Inside() {
		args := append(globalArgs(), rmArg, "--volumes="+strconv.FormatBool(vols), "--print="+strconv.FormatBool(print))
		return enterSession(cfg, append(args, ids...))
	}
	return inSessionWith(cfg, needs{storage: true}, func(ctx context.Context, _ *pluginmgr.Manager, b *container.Backends) error {
		var first error
		for _, id := range ids {
			r, err := store.Get(id)
			if err != nil {
				continue
			}
			if err := b.Storage.RemoveRootfs(ctx, id); err != nil && first == nil {
				first = fmt.Errorf("failed to remove the root filesystem of %s: %w", r.Name, err)
				continue
			}
			if vols {
				removeAnonVolumes(cfg, r.AnonVolumes)
			}
			if err := store.Remove(id); err != nil && first == nil {
				first = err
			}
			if print {
				fmt.Println(r.Name)
			}
		}
		return first
	})
}

func removeAnonVolumes(cfg config.Config, names []string) {
	removeVolumes(cfg)(names)
}

func removeVolumes(cfg config.Config) func([]string) {
	return func(names []string) {
		vs := volume.New(filepath.Join(cfg.Dirs.Data, "volumes"))
		for _, n := range names {
			_ = vs.Remove(n)
		}
	}
}

// rmArg is the hidden verb that removes containers inside a session.
const rmArg = "__rm"

func newRmInSessionCommand() *cobra.Command {
	var vols, print bool
	cmd := &cobra.Command{
		Use: rmArg + " ID...", Hidden: true, Args: cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, ids []string) error {
			cfg, err := loadConfig()
			if err != nil {
				return err
			}
			return removeRecorded(cfg, ids, vols, print)
		},
	}
	cmd.Flags().BoolVar(&vols, "volumes", false, "")
	cmd.Flags().BoolVar(&print, "print", false, "")
	return cmd
}

// commandExited reports whether a container recorded as running has no
// process left in its pid namespace: its command exited and its monitor
// has not recorded that yet.
func commandExited(r state.Record) bool {
	return r.PidNS != 0 && hostPid(r) == 0
}
