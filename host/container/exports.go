package container

import (
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

// Resources is the cgroup limits of o's --memory, --memory-swap, --cpus,
// --cpu-shares and --pids-limit (for `rrun update`).
func (o RunOptions) Resources() (*specs.LinuxResources, error) {
	return o.resources()
}
