package nsinit

import (
	"errors"
	"fmt"
	"os"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// pivotRoot makes root the container's /. pivot_root(".", ".") stacks the
// old root under the new one, and a lazy unmount of "." then drops it,
// with no directory for it needed in the image.
func pivotRoot(root string) error {
	if err := unix.Chdir(root); err != nil {
		return fmt.Errorf("failed to enter rootfs %s: %w", root, err)
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("failed to pivot_root into %s: %w", root, err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("failed to detach the old root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("failed to enter the new root: %w", err)
	}
	return nil
}

func setHostname(spec *specs.Spec) error {
	if spec.Hostname != "" {
		if err := unix.Sethostname([]byte(spec.Hostname)); err != nil {
			return fmt.Errorf("failed to set hostname %q: %w", spec.Hostname, err)
		}
	}
	if spec.Domainname != "" {
		if err := unix.Setdomainname([]byte(spec.Domainname)); err != nil {
			return fmt.Errorf("failed to set domain name %q: %w", spec.Domainname, err)
		}
	}
	return nil
}

// loopbackUp brings lo up in a network namespace of the container's own,
// as docker's --network none does. Best effort.
func loopbackUp(ch *initChannel, spec *specs.Spec) error {
	if spec.Linux == nil || !slices.ContainsFunc(spec.Linux.Namespaces, func(ns specs.LinuxNamespace) bool {
		return ns.Type == specs.NetworkNamespace
	}) {
		return nil
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		ch.debugf("lo stays down: %v", err)
		return nil
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err == nil {
		ifr.SetUint16(unix.IFF_UP | unix.IFF_LOOPBACK | unix.IFF_RUNNING)
		err = unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
	}
	if err != nil {
		ch.debugf("lo stays down: %v", err)
	}
	return nil
}

// maskPaths applies spec.Linux.MaskedPaths and ReadonlyPaths, best effort:
// a path the kernel does not have is no reason to fail.
func maskPaths(ch *initChannel, spec *specs.Spec) error {
	if spec.Linux == nil {
		return nil
	}
	for _, p := range spec.Linux.MaskedPaths {
		if err := maskPath(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			ch.debugf("failed to mask %s: %v", p, err)
		}
	}
	for _, p := range spec.Linux.ReadonlyPaths {
		err := mountOne(p, p, "bind", []string{"rbind", "ro", "nosuid", "nodev", "noexec"})
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			ch.debugf("failed to make %s read-only: %v", p, err)
		}
	}
	return nil
}

// maskPath hides p as podman and crun do: a directory under an empty
// read-only tmpfs, a file under a read-only bind of /dev/null.
func maskPath(p string) error {
	st, err := os.Stat(p)
	if err != nil {
		return err
	}
	if st.IsDir() {
		return unix.Mount("tmpfs", p, "tmpfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=0")
	}
	return mountOne("/dev/null", p, "bind", []string{"bind", "ro"})
}

func readonlyRoot(spec *specs.Spec) error {
	if spec.Root == nil || !spec.Root.Readonly {
		return nil
	}
	return setMountAttr("/", unix.MS_RDONLY, false)
}

// enterCwd changes to the working directory, creating it as docker does.
func enterCwd(cwd string) error {
	if cwd == "" {
		cwd = "/"
	}
	if err := os.MkdirAll(cwd, 0o755); err != nil {
		return fmt.Errorf("failed to create working directory %s: %w", cwd, err)
	}
	if err := unix.Chdir(cwd); err != nil {
		return fmt.Errorf("failed to enter working directory %s: %w", cwd, err)
	}
	return nil
}
