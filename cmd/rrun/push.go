package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/plugins/api"
)

func newPushCommand() *cobra.Command {
	var tf transferFlags
	cmd := &cobra.Command{
		Use:   "push [OPTIONS] IMAGE [DESTINATION]",
		Short: "Upload an image to a registry (to DESTINATION, default its own name)",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			dest := ""
			if len(args) == 2 {
				dest = args[1]
			}
			return inSession(needs{storage: true}, func(ctx context.Context, b *container.Backends) error {
				im, err := imagesOf(ctx, b.Storage, api.CapStoragePush, "push")
				if err != nil {
					return err
				}
				bars := newProgress(tf.quiet, "Pushed")
				digest, err := im.Push(ctx, args[0], dest, tf.options(""), bars.update)
				bars.finish()
				if err != nil {
					return err
				}
				if tf.quiet {
					fmt.Println(digest)
					return nil
				}
				fmt.Fprintf(os.Stdout, "digest: %s\n", digest)
				return nil
			})
		},
	}
	tf.add(cmd)
	return cmd
}
