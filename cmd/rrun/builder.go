package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	units "github.com/docker/go-units"
	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/plugins/api"
)

// newBuilderCommand is `rrun builder prune`: the build cache is layers in
// the storage plugin (reclaimed by its PruneBuildCache; unnamed images stay,
// as with docker) and the RUN --mount=type=cache directories.
func newBuilderCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "builder", Short: "Manage the build cache"}
	prune := &cobra.Command{
		Use: "prune [-a] [-f]", Short: "Remove the build cache no image uses", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			cfg, err := loadConfig()
			if err != nil {
				return err
			}
			return inSession(needs{storage: true}, func(ctx context.Context, b *container.Backends) error {
				p, err := cachePrunerOf(ctx, b.Storage)
				if err != nil {
					return err
				}
				rep, err := p.PruneBuildCache(ctx)
				if err != nil {
					return err
				}
				if err := os.RemoveAll(filepath.Join(cfg.Dirs.Data, "build", "cache-mounts")); err != nil {
					return fmt.Errorf("failed to remove the cache mounts: %w", err)
				}
				fmt.Printf("Total reclaimed space: %s\n", units.HumanSizeWithPrecision(float64(rep.Reclaimed), 3))
				return nil
			})
		},
	}
	prune.Flags().BoolP("all", "a", false, "accepted for docker compatibility")
	prune.Flags().BoolP("force", "f", false, "do not ask (rrun never asks)")
	cmd.AddCommand(prune)
	return cmd
}

// cachePrunerOf checks that the storage plugin can prune the build cache
// alone.
func cachePrunerOf(ctx context.Context, s api.Storage) (api.CachePruner, error) {
	info, err := s.Info(ctx)
	if err != nil {
		return nil, err
	}
	p, ok := s.(api.CachePruner)
	if !ok || !slices.Contains(info.Capabilities, api.CapStorageBuildCache) {
		return nil, api.Errorf(api.ErrNotImplemented, "use --storage overlay, fuse-overlayfs or vfs",
			"storage plugin %s cannot prune the build cache: it lacks the capability %s", info.Name, api.CapStorageBuildCache)
	}
	return p, nil
}
