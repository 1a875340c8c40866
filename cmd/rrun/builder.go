package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	units "github.com/docker/go-units"
	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/plugins/api"
)

// newBuilderCommand is `rrun builder prune`: the build cache is layers in
// the storage plugin (reclaimed by its Prune, with the unnamed images) and
// the RUN --mount=type=cache directories.
func newBuilderCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "builder", Short: "Manage the build cache"}
	prune := &cobra.Command{
		Use: "prune [-a] [-f]", Short: "Remove the build cache no image uses, and unnamed images", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			cfg, err := loadConfig()
			if err != nil {
				return err
			}
			return inSession(needs{storage: true}, func(ctx context.Context, b *container.Backends) error {
				im, err := imagesOf(ctx, b.Storage, api.CapStorageUsage, "prune")
				if err != nil {
					return err
				}
				rep, err := im.Prune(ctx, false)
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
