package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/plugins/api"
)

func newTagCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "tag SOURCE_IMAGE TARGET_IMAGE[:TAG]",
		Short: "Give an image another name",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return inSession(needs{storage: true}, func(ctx context.Context, b *container.Backends) error {
				im, err := imagesOf(ctx, b.Storage, api.CapStorageTag, "tag")
				if err != nil {
					return err
				}
				return im.Tag(ctx, args[0], args[1])
			})
		},
	}
}
