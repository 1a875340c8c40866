package oci

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/plugins/api"
)

// parseSpec decodes and checks the host's spec.
func parseSpec(data []byte) (*specs.Spec, error) {
	var spec specs.Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "", "invalid runtime spec: %v", err)
	}
	if spec.Process == nil || len(spec.Process.Args) == 0 {
		return nil, api.Errorf(api.ErrInvalidArgument, "", "invalid runtime spec: no process args")
	}
	if spec.Linux == nil {
		spec.Linux = &specs.Linux{}
	}
	return &spec, nil
}

// runtimeSpec adapts the host's spec to what the runtime is handed: see
// the package comment. It reports whether the runtime is to make the
// container's cgroup and apply linux.resources (the host set a
// cgroupsPath: the backend announces isolation.resources).
func runtimeSpec(spec *specs.Spec, root string, terminal bool) bool {
	spec.Version = OCIVersion
	if spec.Root == nil {
		spec.Root = &specs.Root{}
	}
	spec.Root.Path = root
	spec.Process.Terminal = terminal
	bindSysfs(spec)
	return spec.Linux.CgroupsPath != ""
}

// bindSysfs replaces a sysfs mount with a read-only bind of the session's
// /sys when the container has no network namespace of its own: the
// kernel refuses sysfs to a user namespace that does not own the network
// namespace (crun falls back by itself, runc does not; runc spec
// --rootless makes the same bind).
func bindSysfs(spec *specs.Spec) {
	for _, ns := range spec.Linux.Namespaces {
		if ns.Type == specs.NetworkNamespace {
			return
		}
	}
	for i, m := range spec.Mounts {
		if m.Type == "sysfs" {
			spec.Mounts[i] = specs.Mount{Destination: m.Destination, Type: "bind", Source: "/sys",
				Options: []string{"rbind", "nosuid", "noexec", "nodev", "ro"}}
		}
	}
}

// writeBundle writes config.json into dir.
func writeBundle(dir string, spec *specs.Spec) error {
	data, err := json.Marshal(spec)
	if err != nil {
		return fmt.Errorf("failed to encode the runtime spec: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o600); err != nil {
		return fmt.Errorf("failed to write the bundle: %w", err)
	}
	return nil
}

// rootfsDir returns the directory the container's root is: the source of
// a single bind descriptor for "/", or <dir>/rootfs with every descriptor
// mounted on it, in order. mounted lists what must be unmounted.
func rootfsDir(dir string, mounts []api.Mount) (root string, mounted []string, err error) {
	if len(mounts) == 1 && mounts[0].Type == "bind" && filepath.Clean(mounts[0].Target) == "/" {
		return mounts[0].Source, nil, nil
	}
	root = filepath.Join(dir, "rootfs")
	for _, m := range mounts {
		target := filepath.Join(root, filepath.Clean("/"+m.Target))
		if err := os.MkdirAll(target, 0o755); err != nil {
			return "", mounted, fmt.Errorf("failed to create mount point %s: %w", target, err)
		}
		flags, data := mountOptions(m)
		if err := unix.Mount(m.Source, target, m.Type, flags, data); err != nil {
			return "", mounted, api.Errorf(api.ErrInvalidArgument, "", "failed to mount %s %s on %s: %v", m.Type, m.Source, m.Target, err)
		}
		mounted = append(mounted, target)
	}
	return root, mounted, nil
}

// mountOptions splits a descriptor's options into flags and data.
func mountOptions(m api.Mount) (uintptr, string) {
	known := map[string]uintptr{"ro": unix.MS_RDONLY, "nosuid": unix.MS_NOSUID, "nodev": unix.MS_NODEV,
		"noexec": unix.MS_NOEXEC, "bind": unix.MS_BIND, "rbind": unix.MS_BIND | unix.MS_REC, "rw": 0}
	var flags uintptr
	if m.Type == "bind" {
		flags = unix.MS_BIND
	}
	var data []string
	for _, o := range m.Options {
		if f, ok := known[o]; ok {
			flags |= f
		} else {
			data = append(data, o)
		}
	}
	return flags, strings.Join(data, ",")
}

// unmountAll unmounts the rootfs mount points, innermost first.
func unmountAll(mounted []string) {
	for i := len(mounted) - 1; i >= 0; i-- {
		_ = unix.Unmount(mounted[i], unix.MNT_DETACH) // already gone after a crash of the session
	}
}
