package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/host/monitor"
	"github.com/rrun-project/rrun/plugins/api"
)

func newSaveCommand() *cobra.Command {
	var output, format string
	cmd := &cobra.Command{
		Use:   "save [-o FILE] [--format docker-archive|oci-archive] IMAGE...",
		Short: "Write images to an archive that docker load, podman load and rrun load read",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output == "" && monitor.IsTerminal(1) {
				return api.Errorf(api.ErrInvalidArgument, "use rrun save -o FILE IMAGE..., or redirect: rrun save IMAGE > FILE",
					"cowardly refusing to save to a terminal")
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
				if path == "" {
					return saveToStdout(ctx, im, format, args)
				}
				return im.Save(ctx, path, format, args)
			})
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "write the archive to FILE (replaced atomically; default: stdout when it is not a terminal)")
	cmd.Flags().StringVar(&format, "format", "docker-archive", "docker-archive (several images) or oci-archive (one)")
	return cmd
}

// saveToStdout saves into a private file of the run dir, then copies it to
// stdout: c/image writes archives to paths, not streams.
func saveToStdout(ctx context.Context, im api.ImageManager, format string, refs []string) error {
	dirs, err := config.ResolveDirs()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(dirs.Run, "save-")
	if err != nil {
		return fmt.Errorf("failed to create a file for the archive in %s: %w", dirs.Run, err)
	}
	defer os.RemoveAll(tmp)
	path := filepath.Join(tmp, "archive.tar")
	if err := im.Save(ctx, path, format, refs); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("failed to read the saved archive: %w", err)
	}
	defer f.Close()
	if _, err := io.Copy(os.Stdout, f); err != nil {
		return fmt.Errorf("failed to write the archive to stdout: %w", err)
	}
	return nil
}
