package container

import (
	"context"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rrun-project/rrun/plugins/api"
)

// ResolveUser turns docker's user[:group] into ids, reading names from the
// container's /etc/passwd and /etc/group through its rootfs mounts (for
// `rrun exec -u`).
func ResolveUser(value string, rootfs []api.Mount) (specs.User, error) {
	return resolveUser(value, rootfs)
}

// ResolveEnv applies -e's rules (a bare KEY takes the caller's value, or is
// dropped) to env, for `rrun exec -e`.
func ResolveEnv(env []string) ([]string, error) {
	o := RunOptions{Env: env}
	err := o.resolveEnv()
	return o.Env, err
}

// SpecFor builds the runtime spec of a container on rootfs (already
// prepared) from an image config and options, exactly as Prepare does for
// `rrun run`: the same process, mounts, namespaces, capabilities, seccomp,
// masks and id mapping. rrun build runs each RUN step with it.
func SpecFor(img ocispec.Image, o RunOptions, id string, rootfs []api.Mount, env SpecEnv) (*specs.Spec, error) {
	return specFor(ImageInfo{Config: img}, o, id, rootfs, env)
}

// CreatePrepared creates a container from a spec and rootfs of the
// caller's (see SpecFor), like Create.
func CreatePrepared(ctx context.Context, b *Backends, id string, mounts []api.Mount, spec *specs.Spec, stdio api.Stdio) (int, error) {
	return Create(ctx, b, &Prepared{ID: id, Mounts: mounts, Spec: spec}, stdio)
}

// InspectOrPull resolves ref in the store, pulling it first as policy
// ("missing", "always", "never") says; progress gets the pull's lines.
func InspectOrPull(ctx context.Context, s api.Storage, ref, policy string, progress func(string)) (ImageInfo, error) {
	return inspectOrPull(ctx, s, ref, policy, api.TransferOptions{}, progress)
}

// Resources is the cgroup limits of o's --memory, --memory-swap, --cpus,
// --cpu-shares and --pids-limit (for `rrun update`).
func (o RunOptions) Resources() (*specs.LinuxResources, error) {
	return o.resources()
}
