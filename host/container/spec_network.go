package container

import (
	"os"
	"path/filepath"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rrun-project/rrun/host/network"
	"github.com/rrun-project/rrun/plugins/api"
)

// networkMode is the container's network mode: the plan's (decided at
// start), else the option as given.
func networkMode(o RunOptions, env SpecEnv) string {
	if env.Network != nil {
		return env.Network.Mode
	}
	return o.Network
}

// namespaces are the container's namespaces: docker's set, plus a network
// namespace (only lo) for --network none. Every other mode shares the
// session's network namespace, which the session was given for this
// container: the user's own (host), a private one (pasta, slirp4netns), or
// another container's (container:NAME). With own (the warm path, whose
// session is the user's network namespace) a private mode gets a new one
// too, which the session connects once the init exists, or which the
// session made and is connecting while the container is created (path).
func namespaces(mode string, own bool, path string) []specs.LinuxNamespace {
	ns := []specs.LinuxNamespace{
		{Type: specs.PIDNamespace}, {Type: specs.MountNamespace},
		{Type: specs.UTSNamespace}, {Type: specs.IPCNamespace},
	}
	switch {
	case own && network.Private(mode) && path != "":
		ns = append(ns, specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: path})
	case mode == network.ModeNone || (own && network.Private(mode)):
		ns = append(ns, specs.LinuxNamespace{Type: specs.NetworkNamespace})
	}
	return ns
}

// networkMounts bind the plan's /etc/hosts, /etc/resolv.conf and
// /etc/hostname read-write, as docker does: each container has its own
// copies, written anew at each start. A user's -v on the same path wins.
func networkMounts(env SpecEnv) []specs.Mount {
	p := env.Network
	if p == nil {
		return nil
	}
	bind := func(dst, src string) specs.Mount {
		return specs.Mount{Destination: dst, Type: "bind", Source: src, Options: []string{"rbind", "rw"}}
	}
	var out []specs.Mount
	for _, m := range []specs.Mount{
		bind("/etc/hosts", p.HostsPath()),
		bind("/etc/resolv.conf", p.ResolvConfPath()),
		bind("/etc/hostname", p.HostnamePath()),
	} {
		if canMountOn(env.rootfs, m.Destination) {
			out = append(out, m)
		}
	}
	return out
}

// canMountOn is false for a file missing from a read-only root filesystem
// (a storage plugin may return one): its mountpoint cannot be created, and
// the container then keeps the image's own file, or none.
func canMountOn(rootfs []api.Mount, dst string) bool {
	root := bindRoot(rootfs)
	if root == "" || !slices.Contains(rootfs[0].Options, "ro") {
		return true
	}
	_, err := os.Lstat(filepath.Join(root, dst))
	return err == nil
}
