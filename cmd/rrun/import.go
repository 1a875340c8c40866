package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/host/monitor"
	"github.com/rrun-project/rrun/plugins/api"
)

func newImportCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "import TARBALL|- [REPOSITORY[:TAG]]",
		Short: "Make an image from a root filesystem tarball (plain or compressed; - reads stdin)",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
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
				img, err := im.Import(ctx, path, ref)
				if err != nil {
					return err
				}
				fmt.Println("sha256:" + img.ID)
				return nil
			})
		},
	}
}
