package nsinit

import (
	"fmt"
	"os"
	"path/filepath"

	securejoin "github.com/cyphar/filepath-securejoin"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// defaultDevices are the nodes every container gets, as with runc.
var defaultDevices = []string{"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"}

// bindDevices gives the container its device nodes: the defaults and the
// spec's, each once. mknod is not allowed in a user namespace, so the
// host's node is bound onto an empty file, nosuid and noexec, as rootless
// podman does. A default device the host lacks is skipped; a device the
// spec asks for is required.
func bindDevices(ch *initChannel, root string, spec *specs.Spec) error {
	done := map[string]bool{}
	if spec.Linux != nil {
		for _, d := range spec.Linux.Devices {
			if done[d.Path] {
				continue
			}
			if err := bindDevice(root, d.Path); err != nil {
				return err
			}
			done[d.Path] = true
		}
	}
	for _, dev := range defaultDevices {
		if done[dev] {
			continue
		}
		if _, err := os.Stat(dev); err != nil {
			ch.debugf("skipping device %s: %v", dev, err)
			continue
		}
		if err := bindDevice(root, dev); err != nil {
			return err
		}
	}
	return nil
}

func bindDevice(root, dev string) error {
	st, err := os.Stat(dev)
	if err != nil || st.Mode()&os.ModeDevice == 0 {
		return fmt.Errorf("failed to add device %s: the session has no such device node", dev)
	}
	target, err := securejoin.SecureJoin(root, dev)
	if err != nil {
		return fmt.Errorf("failed to resolve device path %s: %w", dev, err)
	}
	if err := makeFile(target); err != nil {
		return err
	}
	if err := mountOne(dev, target, "bind", []string{"bind", "nosuid", "noexec"}); err != nil {
		return fmt.Errorf("failed to add device %s: %w", dev, err)
	}
	return nil
}

// devSymlinks makes the links programs expect in /dev.
func devSymlinks(root string) error {
	links := [][2]string{
		{"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"},
		{"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
	}
	dev, err := securejoin.SecureJoin(root, "/dev")
	if err != nil {
		return fmt.Errorf("failed to resolve /dev: %w", err)
	}
	if err := os.MkdirAll(dev, 0o755); err != nil {
		return fmt.Errorf("failed to create /dev: %w", err)
	}
	for _, l := range links {
		path := filepath.Join(dev, l[1])
		if _, err := os.Lstat(path); err == nil {
			continue // the image's own, or a bind
		}
		if err := os.Symlink(l[0], path); err != nil {
			return fmt.Errorf("failed to create symlink /dev/%s: %w", l[1], err)
		}
	}
	return nil
}
