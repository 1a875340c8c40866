package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/plugins/api"
)

func newLoadCommand() *cobra.Command {
	var input string
	var quiet bool
	cmd := &cobra.Command{
		Use:   "load -i FILE",
		Short: "Load images from a docker-archive (docker save) or oci-archive tarball",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if input == "" {
				return api.Errorf(api.ErrInvalidArgument, "rrun load -i FILE", "no archive given")
			}
			path, err := filepath.Abs(input)
			if err != nil {
				return err
			}
			if _, err := os.Stat(path); err != nil {
				return api.Errorf(api.ErrNotFound, "check the path", "cannot read archive %s: %v", input, err)
			}
			return inSession(needs{storage: true}, func(ctx context.Context, b *container.Backends) error {
				progress := func(line string) {
					if !quiet {
						fmt.Fprintln(os.Stderr, line)
					}
				}
				images, err := b.Storage.Load(ctx, path, "", progress)
				if err != nil {
					return fmt.Errorf("failed to load %s: %w", input, err)
				}
				for _, im := range images {
					printLoaded(im)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVarP(&input, "input", "i", "", "read the archive from FILE")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print no progress")
	return cmd
}

func printLoaded(im api.Image) {
	if len(im.Names) == 0 {
		fmt.Printf("Loaded image ID: sha256:%s\n", im.ID)
		return
	}
	for _, n := range im.Names {
		fmt.Printf("Loaded image: %s\n", n)
	}
}
