package nsinit

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// makePrivate stops mounts made from here on from reaching the session.
func makePrivate() error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("failed to make / rprivate: %w", err)
	}
	return nil
}

// mountRootfs performs the storage plugin's mount descriptors under root.
func mountRootfs(root string, ms []Mount) error {
	for _, m := range ms {
		target, err := securejoin.SecureJoin(root, m.Target)
		if err != nil {
			return fmt.Errorf("failed to resolve rootfs target %s: %w", m.Target, err)
		}
		if err := os.MkdirAll(target, 0o755); err != nil {
			return fmt.Errorf("failed to create rootfs target %s: %w", target, err)
		}
		opts := m.Options
		if m.Type == "bind" || m.Type == "rbind" {
			// Recursive, so that mounts under the merged dir come along.
			opts = append(slices.Clone(opts), "rbind")
		}
		if err := mountOne(m.Source, target, m.Type, opts); err != nil {
			return fmt.Errorf("failed to mount rootfs: %w", err)
		}
	}
	return nil
}

// mountSpecMounts performs spec.Mounts in order, with the fallbacks a user
// namespace needs.
func mountSpecMounts(ch *initChannel, root string, ms []specs.Mount) error {
	for _, m := range ms {
		target, err := securejoin.SecureJoin(root, m.Destination)
		if err != nil {
			return fmt.Errorf("failed to resolve mount destination %s: %w", m.Destination, err)
		}
		if err := makeMountpoint(m, target); err != nil {
			return err
		}
		if err := mountSpecMount(ch, m, target); err != nil {
			return err
		}
		if m.Type == "devpts" {
			if err := replaceWithSymlink("pts/ptmx", filepath.Join(target, "..", "ptmx")); err != nil {
				return err
			}
		}
	}
	return nil
}

func mountSpecMount(ch *initChannel, m specs.Mount, target string) error {
	typ := m.Type
	if typ == "" && slices.ContainsFunc(m.Options, func(o string) bool { return o == "bind" || o == "rbind" }) {
		typ = "bind"
	}
	err := mountOne(m.Source, target, typ, m.Options)
	if err == nil {
		return nil
	}
	switch typ {
	case "sysfs":
		// sysfs needs a network namespace of our own: show the session's.
		ch.debugf("sysfs on %s: %v; binding /sys read-only instead", m.Destination, err)
		return mountOne("/sys", target, "bind", []string{"rbind", "ro", "nosuid", "nodev", "noexec"})
	case "mqueue", "cgroup", "cgroup2":
		ch.debugf("skipping %s on %s: %v", typ, m.Destination, err)
		return nil
	case "devpts":
		// gid=5 (tty) does not exist with a single-id map.
		if opts := withoutGID(m.Options); len(opts) < len(m.Options) {
			return mountOne(m.Source, target, typ, opts)
		}
	}
	return err
}

func withoutGID(opts []string) []string {
	return slices.DeleteFunc(slices.Clone(opts), func(o string) bool { return strings.HasPrefix(o, "gid=") })
}

// makeMountpoint creates the destination: a file for a bind of a file, a
// directory otherwise.
func makeMountpoint(m specs.Mount, target string) error {
	isFile := false
	if m.Type == "bind" || slices.Contains(m.Options, "bind") || slices.Contains(m.Options, "rbind") {
		st, err := os.Stat(m.Source)
		if err != nil {
			return fmt.Errorf("failed to mount %s on %s: %w", m.Source, m.Destination, err)
		}
		isFile = !st.IsDir()
	}
	if !isFile {
		if err := os.MkdirAll(target, 0o755); err != nil {
			return fmt.Errorf("failed to create mountpoint %s: %w", m.Destination, err)
		}
		return nil
	}
	return makeFile(target)
}

// makeFile creates an empty file (and its parents) to bind a file onto.
func makeFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("failed to create directory for %s: %w", path, err)
	}
	if _, err := os.Lstat(path); err == nil {
		return nil // already there (opening it could open a device)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDONLY, 0o644)
	if err != nil {
		return fmt.Errorf("failed to create mountpoint %s: %w", path, err)
	}
	return f.Close()
}

func replaceWithSymlink(oldname, newname string) error {
	if err := os.Remove(newname); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("failed to replace %s: %w", newname, err)
	}
	if err := os.Symlink(oldname, newname); err != nil {
		return fmt.Errorf("failed to create symlink %s: %w", newname, err)
	}
	return nil
}
