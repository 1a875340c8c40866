package container

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rrun-project/rrun/host/volume"
	"github.com/rrun-project/rrun/plugins/api"
)

// collectMounts parses every -v, --mount and --tmpfs of o and refuses two
// mounts on one destination, as docker does.
func collectMounts(o RunOptions) ([]userMount, error) {
	var all []userMount
	groups := []struct {
		vals  []string
		parse func(string) (userMount, error)
	}{{o.Volumes, parseVolume}, {o.Mounts, parseMount}, {o.Tmpfs, parseTmpfs}}
	seen := map[string]string{}
	for _, g := range groups {
		for _, v := range g.vals {
			m, err := g.parse(v)
			if err != nil {
				return nil, err
			}
			m.Dest = filepath.Clean(m.Dest)
			if prev, dup := seen[m.Dest]; dup {
				return nil, api.Errorf(api.ErrInvalidArgument, "give each container path one mount",
					"duplicate mount point %s: %s and %s", m.Dest, prev, m.Flag)
			}
			seen[m.Dest] = m.Flag
			all = append(all, m)
		}
	}
	return all, nil
}

// anonymousName names the anonymous volume of container id at dest. It is
// derived, not random, so that rebuilding the spec from the record (a
// restart, `rm -v`) finds the same volume.
func anonymousName(id, dest string) string {
	sum := sha256.Sum256([]byte(id + "\x00" + dest))
	return hex.EncodeToString(sum[:])
}

// AnonymousVolumes returns the names of the anonymous volumes container id
// uses (-v /ctr, --mount type=volume without src): `rm -v` removes them.
func AnonymousVolumes(o RunOptions, id string) ([]string, error) {
	ms, err := collectMounts(o)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, m := range ms {
		if m.Kind == "volume" && m.Source == "" {
			names = append(names, anonymousName(id, m.Dest))
		}
	}
	return names, nil
}

// specMounts turns the user's mounts into spec mounts, creating volumes
// and the missing host directories of -v as it goes.
func specMounts(ms []userMount, id string, env SpecEnv) ([]specs.Mount, error) {
	out := make([]specs.Mount, 0, len(ms))
	for _, m := range ms {
		src, err := mountSource(m, id, env)
		if err != nil {
			return nil, err
		}
		if m.Kind == "tmpfs" {
			out = append(out, specs.Mount{Destination: m.Dest, Type: "tmpfs", Source: "tmpfs", Options: tmpfsOptions(m)})
			continue
		}
		opts := []string{"rbind"}
		opts = append(opts, m.Options...)
		if len(m.Options) == 0 {
			opts = append(opts, "rprivate")
		}
		if m.ReadOnly {
			opts = append(opts, "ro")
		}
		out = append(out, specs.Mount{Destination: m.Dest, Type: "bind", Source: src, Options: opts})
	}
	return out, nil
}

func mountSource(m userMount, id string, env SpecEnv) (string, error) {
	switch {
	case m.Kind == "tmpfs":
		return "tmpfs", nil
	case m.Kind == "bind" && m.MkSource:
		if _, err := os.Stat(m.Source); err == nil {
			return m.Source, nil // a file or a directory: bind it as it is
		}
		if err := os.MkdirAll(m.Source, 0o755); err != nil {
			return "", fmt.Errorf("failed to create the host directory of %s: %w", m.Flag, err)
		}
		return m.Source, nil
	case m.Kind == "bind":
		return m.Source, nil
	case env.VolumesDir == "":
		return "", fmt.Errorf("cannot mount volume for %s: no volumes directory given", m.Flag)
	case m.Source == "":
		return volume.New(env.VolumesDir).CreateAnonymous(anonymousName(id, m.Dest))
	}
	return volume.New(env.VolumesDir).Create(m.Source)
}

// tmpfsOptions applies docker's defaults (noexec, nosuid, nodev), which
// the user's options override.
func tmpfsOptions(m userMount) []string {
	opts := []string{"noexec", "nosuid", "nodev"}
	user := m.Options
	if m.ReadOnly {
		user = append(append([]string{}, user...), "ro")
	}
	for _, o := range user {
		opts = overrideOption(opts, o)
	}
	return opts
}

// overrideOption appends o after removing what it contradicts: its
// opposite (exec/noexec) or an earlier value of the same key (size=).
func overrideOption(opts []string, o string) []string {
	key, _, hasVal := strings.Cut(o, "=")
	base := strings.TrimPrefix(key, "no")
	kept := opts[:0:0]
	for _, old := range opts {
		ok, _, oldVal := strings.Cut(old, "=")
		same := (hasVal && oldVal && ok == key) ||
			(!hasVal && !oldVal && strings.TrimPrefix(ok, "no") == base) ||
			((o == "ro" || o == "rw") && (old == "ro" || old == "rw"))
		if !same {
			kept = append(kept, old)
		}
	}
	return append(kept, o)
}

// mergeMounts puts the user's mounts after the defaults, dropping a
// default the user replaces (e.g. --tmpfs /dev/shm), parents before
// children as docker sorts them.
func mergeMounts(defaults, user []specs.Mount) []specs.Mount {
	taken := map[string]bool{}
	for _, m := range user {
		taken[m.Destination] = true
	}
	var out []specs.Mount
	for _, m := range defaults {
		if !taken[m.Destination] {
			out = append(out, m)
		}
	}
	sort.SliceStable(user, func(i, j int) bool {
		return strings.Count(user[i].Destination, "/") < strings.Count(user[j].Destination, "/")
	})
	return append(out, user...)
}
