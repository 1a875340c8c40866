package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/host/monitor"
	"github.com/rrun-project/rrun/plugins/api"
)

func newLoadCommand() *cobra.Command {
	var input string
	var quiet bool
	cmd := &cobra.Command{
		Use:   "load [-i FILE]",
		Short: "Load images from a docker-archive (docker save) or oci-archive tarball, from FILE or stdin",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := ""
			if input != "" {
				var err error
				if path, err = filepath.Abs(input); err != nil {
					return err
				}
				if _, err := os.Stat(path); err != nil {
					return api.Errorf(api.ErrNotFound, "check the path", "cannot read archive %s: %v", input, err)
				}
			} else if monitor.IsTerminal(int(os.Stdin.Fd())) {
				return api.Errorf(api.ErrInvalidArgument, "rrun load -i FILE, or pipe an archive: rrun load < FILE", "no archive given")
			}
			return inSession(needs{storage: true}, func(ctx context.Context, b *container.Backends) error {
				name := input
				if path == "" {
					tmp, err := stdinToFile()
					if err != nil {
						return err
					}
					defer os.Remove(tmp)
					path, name = tmp, "stdin"
				}
				return load(ctx, b, path, name, quiet)
			})
		},
	}
	cmd.Flags().StringVarP(&input, "input", "i", "", "read the archive from FILE (default: stdin)")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print no progress")
	return cmd
}

func load(ctx context.Context, b *container.Backends, path, name string, quiet bool) error {
	progress := func(line string) {
		if !quiet {
			fmt.Fprintln(os.Stderr, line)
		}
	}
	images, err := b.Storage.Load(ctx, path, "", progress)
	if err != nil {
		return loadError(err, path, name)
	}
	names, known := archiveNames(path)
	known = known && len(names) > 0 // an archive of unnamed images: the store named them
	for _, im := range images {
		if known {
			im.Names = slices.DeleteFunc(im.Names, func(n string) bool { return !inArchive(n, names) })
		}
		printLoaded(im)
	}
	return nil
}

// loadError says "failed to load NAME" once, naming what the user gave
// (the file, or stdin), never the private copy of stdin.
func loadError(err error, path, name string) error {
	msg := strings.ReplaceAll(err.Error(), path, name)
	msg = strings.TrimPrefix(msg, "failed to load "+name+": ")
	return api.Errorf(api.KindOf(err), api.HintOf(err), "failed to load %s: %s", name, msg)
}

// stdinToFile copies stdin to a private file in the run dir: archives are
// read more than once (formats are detected, then images copied).
func stdinToFile() (string, error) {
	dirs, err := config.ResolveDirs()
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dirs.Run, "load-*.tar")
	if err != nil {
		return "", fmt.Errorf("failed to create a file for stdin in %s: %w", dirs.Run, err)
	}
	_, err = io.Copy(f, os.Stdin)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", api.Errorf(api.ErrUnavailable, "check the disk space of "+dirs.Run, "failed to read the archive from stdin: %v", err)
	}
	return f.Name(), nil
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
