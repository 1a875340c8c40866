package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/host/pluginmgr"
	"github.com/rrun-project/rrun/host/session"
	"github.com/rrun-project/rrun/host/state"
	"github.com/rrun-project/rrun/plugins/api"
)

func newCpCommand() *cobra.Command {
	var archive bool
	cmd := &cobra.Command{
		Use:   "cp CONTAINER:SRC_PATH DEST_PATH | SRC_PATH CONTAINER:DEST_PATH",
		Short: "Copy files between a container (running or not) and the host, keeping modes (and owners with -a)",
		Args:  cobra.ExactArgs(2),
		RunE: func(_ *cobra.Command, args []string) error {
			srcC, src := splitContainerPath(args[0])
			dstC, dst := splitContainerPath(args[1])
			if (srcC == "") == (dstC == "") {
				return api.Errorf(api.ErrInvalidArgument, "rrun cp CONTAINER:SRC DEST or rrun cp SRC CONTAINER:DEST",
					"copying between containers or between host paths is not supported")
			}
			if srcC == "" {
				src = absOrEmpty(src)
			} else {
				dst = absOrEmpty(dst)
			}
			return withRootfs(firstNonEmpty(srcC, dstC), func(rootfs string) error {
				var err error
				if srcC != "" {
					src, err = securejoin.SecureJoin(rootfs, src)
				} else {
					dst, err = securejoin.SecureJoin(rootfs, dst)
				}
				if err != nil {
					return fmt.Errorf("failed to resolve the path in the container: %w", err)
				}
				return copyTree(src, dst, args, archive)
			})
		},
	}
	cmd.Flags().BoolVarP(&archive, "archive", "a", false, "Archive mode (copy all uid/gid information)")
	return cmd
}

// splitContainerPath splits "NAME:PATH"; a path with no colon, or starting
// with / or ., is a host path (docker's rule).
func splitContainerPath(arg string) (string, string) {
	if strings.HasPrefix(arg, "/") || strings.HasPrefix(arg, ".") {
		return "", arg
	}
	name, p, ok := strings.Cut(arg, ":")
	if !ok {
		return "", arg
	}
	return name, p
}

// withRootfs runs fn, inside the session, with the path of the
// container's root filesystem mounted (the running container's own files:
// the same layer mounted again).
func withRootfs(ref string, fn func(rootfs string) error) error {
	cfg, store, err := loadStore()
	if err != nil {
		return err
	}
	r, err := store.Get(ref)
	if err != nil {
		return err
	}
	cfg = withConfigOf(cfg, r)
	if !session.Inside() {
		if _, _, err := choosePlugins(newManager(cfg), cfg, needs{storage: true}); err != nil {
			return err
		}
		return enterSession(cfg, nil)
	}
	return inSessionWith(cfg, needs{storage: true}, func(ctx context.Context, _ *pluginmgr.Manager, b *container.Backends) error {
		return rootfsOf(ctx, b, r, fn)
	})
}

func rootfsOf(ctx context.Context, b *container.Backends, r state.Record, fn func(string) error) error {
	mounts, err := b.Storage.PrepareRootfs(ctx, r.ID, firstNonEmpty(r.ImageID, r.Image))
	if err != nil {
		return fmt.Errorf("failed to mount the root filesystem of %s: %w", r.Name, err)
	}
	defer b.Storage.ReleaseRootfs(context.WithoutCancel(ctx), r.ID) //nolint:errcheck // the session's mounts go with it
	if len(mounts) != 1 || mounts[0].Type != "bind" {
		return api.Errorf(api.ErrNotImplemented, "use a storage backend that gives a bind mount (overlay, fuse-overlayfs, vfs)",
			"the storage backend of %s gives a root filesystem rrun cannot read directly", r.Name)
	}
	return fn(mounts[0].Source)
}

// copyTree copies src to dst with docker cp's rules: into dst when it is a
// directory (src/. copies the contents), else as dst. tar keeps modes and
// times; the copies belong to root of the session's user namespace (you,
// on the host), or keep their owners with archive, as docker's -a.
func copyTree(src, dst string, args []string, archive bool) error {
	if _, err := os.Lstat(src); err != nil {
		return api.Errorf(api.ErrNotFound, "", "no such file or directory: %s", args[0])
	}
	srcDir, srcBase := filepath.Dir(src), filepath.Base(src)
	if strings.HasSuffix(args[0], "/.") {
		srcDir, srcBase = src, "."
	}
	if st, err := os.Stat(dst); err == nil && st.IsDir() {
		return tarCopy(srcDir, srcBase, dst, archive)
	}
	if _, err := os.Stat(filepath.Dir(dst)); err != nil {
		return api.Errorf(api.ErrNotFound, "", "no such directory: %s", filepath.Dir(args[1]))
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dst), ".rrun-cp-")
	if err != nil {
		return fmt.Errorf("failed to copy to %s: %w", args[1], err)
	}
	defer os.RemoveAll(tmp)
	if err := tarCopy(srcDir, srcBase, tmp, archive); err != nil {
		return err
	}
	if srcBase == "." {
		return os.Rename(tmp, dst) // a directory's contents become dst
	}
	return os.Rename(filepath.Join(tmp, srcBase), dst)
}

func tarCopy(dir, base, dst string, archive bool) error {
	owner := "--no-same-owner"
	if archive {
		owner = "--same-owner"
	}
	c := exec.Command("sh", "-c", `tar -C "$1" -cf - --numeric-owner -- "$2" | tar -C "$3" -xpf - --numeric-owner "$4"`, "cp", dir, base, dst, owner)
	out, err := c.CombinedOutput()
	if err != nil {
		return fmt.Errorf("failed to copy %s: %s", filepath.Join(dir, base), strings.TrimSpace(string(out)))
	}
	return nil
}
