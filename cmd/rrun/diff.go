package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/host/pluginmgr"
	"github.com/rrun-project/rrun/host/state"
	"github.com/rrun-project/rrun/plugins/api"
)

func newDiffCommand() *cobra.Command {
	return &cobra.Command{
		Use: "diff CONTAINER", Short: "Inspect changes to files or directories on a container's filesystem", Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return forEach(args, func(cfg config.Config, _ *state.Store, r state.Record) error {
				return printDiff(withConfigOf(cfg, r), r)
			})
		},
	}
}

// printDiff prints docker diff's lines for r, running or stopped: "A
// /path" added, "C /path" changed, "D /path" deleted, sorted by path.
func printDiff(cfg config.Config, r state.Record) error {
	return inSessionWith(cfg, needs{storage: true}, func(ctx context.Context, _ *pluginmgr.Manager, b *container.Backends) error {
		ri, err := rootfsInspectorOf(ctx, b.Storage, "list a container's changes")
		if err != nil {
			return err
		}
		changes, err := ri.RootfsChanges(ctx, r.ID)
		if err != nil {
			return err
		}
		for _, c := range changes {
			if c.Kind == api.ChangeAdded && rrunMountpoints[c.Path] {
				continue
			}
			fmt.Printf("%s %s\n", c.Kind, c.Path)
		}
		return nil
	})
}

// rrunMountpoints are the files rrun creates in a root filesystem that
// lacks them, to bind its own over them; docker makes them in a hidden
// init layer, so its diff never shows them.
var rrunMountpoints = map[string]bool{"/etc/hostname": true, "/etc/hosts": true, "/etc/resolv.conf": true}
