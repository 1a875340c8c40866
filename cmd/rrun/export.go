package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/monitor"
	"github.com/rrun-project/rrun/plugins/api"
)

func newExportCommand() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use: "export [-o FILE] CONTAINER", Short: "Export a container's filesystem as a tar archive (running or not)", Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if output == "" && monitor.IsTerminal(1) {
				return api.Errorf(api.ErrInvalidArgument, "use -o FILE, or redirect: rrun export CONTAINER > FILE", "cowardly refusing to write an archive to a terminal")
			}
			path := absOrEmpty(output)
			return withRootfs(args[0], func(rootfs string) error { return exportTar(rootfs, path) })
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "Write to a file, instead of STDOUT")
	return cmd
}

// exportTar writes the tree at rootfs as a tar (numeric owners, modes kept)
// to path, replaced atomically, or to stdout when path is "".
func exportTar(rootfs, path string) error {
	c := exec.Command("tar", "-C", rootfs, "--numeric-owner", "--xattrs", "-cf", "-", ".")
	c.Stdout, c.Stderr = os.Stdout, os.Stderr
	var tmp *os.File
	if path != "" {
		f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".rrun-*")
		if err != nil {
			return fmt.Errorf("failed to create %s: %w", path, err)
		}
		defer os.Remove(f.Name())
		defer f.Close()
		tmp, c.Stdout = f, f
	}
	if err := c.Run(); err != nil {
		return fmt.Errorf("failed to export the container's files: %w", err)
	}
	if tmp == nil {
		return nil
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	return os.Rename(tmp.Name(), path)
}
