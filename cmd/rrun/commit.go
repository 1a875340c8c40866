package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/build"
	"github.com/rrun-project/rrun/host/container"
)

func newCommitCommand() *cobra.Command {
	var o build.CommitOptions
	cmd := &cobra.Command{
		Use:   "commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
		Short: "Make an image of a container's changes",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, store, err := loadStore()
			if err != nil {
				return err
			}
			rec, err := store.Get(args[0])
			if err != nil {
				return err
			}
			o.ContainerID, o.Image, o.CreatedBy = rec.ID, firstNonEmpty(rec.ImageID, rec.Image), strings.Join(rec.Args, " ")
			if len(args) == 2 {
				o.Name = args[1]
			}
			return inSession(needs{storage: true}, func(ctx context.Context, b *container.Backends) error {
				img, err := build.Commit(ctx, b.Storage, o)
				if err != nil {
					return err
				}
				fmt.Println("sha256:" + img.ID)
				return nil
			})
		},
	}
	cmd.Flags().StringArrayVarP(&o.Changes, "change", "c", nil, "apply a Dockerfile instruction to the image config (CMD, ENV, ...)")
	cmd.Flags().StringVarP(&o.Message, "message", "m", "", "commit message")
	cmd.Flags().StringVarP(&o.Author, "author", "a", "", `author (e.g. "Jane Doe <jane@example.com>")`)
	cmd.Flags().BoolP("pause", "p", true, "accepted for docker compatibility; the container keeps running")
	return cmd
}
