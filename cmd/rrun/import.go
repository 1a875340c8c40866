package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/build"
	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/host/monitor"
	"github.com/rrun-project/rrun/plugins/api"
)

func newImportCommand() *cobra.Command {
	var changes []string
	var message string
	cmd := &cobra.Command{
		Use:   "import TARBALL|- [REPOSITORY[:TAG]]",
		Short: "Make an image from a root filesystem tarball (plain or compressed; - reads stdin)",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := build.CheckChanges(changes); err != nil {
				return err
			}
			path := ""
			if args[0] != "-" {
				path = absOrEmpty(args[0])
				if _, err := os.Stat(path); err != nil {
					return api.Errorf(api.ErrNotFound, "check the path", "cannot read tarball %s: %v", args[0], err)
				}
			} else if monitor.IsTerminal(0) {
				return api.Errorf(api.ErrInvalidArgument, "pipe a tarball: rrun import - < FILE", "no tarball on stdin")
			}
			ref := ""
			if len(args) == 2 {
				ref = args[1]
			}
			return inSession(needs{storage: true}, func(ctx context.Context, b *container.Backends) error {
				im, err := imagesOf(ctx, b.Storage, api.CapStorageImport, "import")
				if err != nil {
					return err
				}
				if path == "" {
					tmp, err := stdinToFile()
					if err != nil {
						return err
					}
					defer os.Remove(tmp)
					path = tmp
				}
				img, err := importWith(ctx, b.Storage, im, path, ref, changes, message)
				if err != nil {
					return err
				}
				fmt.Println("sha256:" + img.ID)
				return nil
			})
		},
	}
	cmd.Flags().StringArrayVarP(&changes, "change", "c", nil, "Apply Dockerfile instruction to the created image (CMD, ENV, ...)")
	cmd.Flags().StringVarP(&message, "message", "m", "", "Set commit message for imported image")
	return cmd
}

// importWith imports path as ref; with --change or --message the plain
// import is reconfigured into the named image (commit's --change parser)
// and the unnamed intermediate is removed.
func importWith(ctx context.Context, s api.Storage, im api.ImageManager, path, ref string, changes []string, message string) (api.Image, error) {
	if len(changes) == 0 && message == "" {
		return im.Import(ctx, path, ref)
	}
	plain, err := im.Import(ctx, path, "")
	if err != nil {
		return api.Image{}, err
	}
	img, err := build.Reconfigure(ctx, s, plain.ID, changes, message, ref)
	if plain.ID != img.ID {
		_, _ = im.RemoveImage(ctx, plain.ID, false) // dangling either way; prune would take it
	}
	return img, err
}
