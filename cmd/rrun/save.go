package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/plugins/api"
)

func newSaveCommand() *cobra.Command {
	var output, format string
	cmd := &cobra.Command{
		Use:   "save -o FILE [--format docker-archive|oci-archive] IMAGE...",
		Short: "Write images to an archive that docker load, podman load and rrun load read",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output == "" {
				return api.Errorf(api.ErrInvalidArgument, "rrun save -o FILE IMAGE...", "no output file given (rrun does not write archives to a terminal)")
			}
			if !oneOf(format, "docker-archive", "oci-archive") {
				return api.Errorf(api.ErrInvalidArgument, "use docker-archive or oci-archive", "unknown format %q", format)
			}
			path := absOrEmpty(output)
			return inSession(needs{storage: true}, func(ctx context.Context, b *container.Backends) error {
				im, err := imagesOf(ctx, b.Storage, api.CapStorageSave, "save")
				if err != nil {
					return err
				}
				return im.Save(ctx, path, format, args)
			})
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "write the archive to FILE (replaced atomically)")
	cmd.Flags().StringVar(&format, "format", "docker-archive", "docker-archive (several images) or oci-archive (one)")
	return cmd
}
