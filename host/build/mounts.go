package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/rrun-project/rrun/plugins/api"
)

// runMount is one RUN --mount: a cache directory, a secret file, a tmpfs
// or a bind of a context, stage or image path.
type runMount struct {
	typ    string // "cache", "secret", "tmpfs", "bind"
	source string // host path (cache, secret, bind)
	target string // absolute path in the container
	key    string // what the cache key covers
	file   bool   // a bind of a file: its mount point is a file
	rw     bool   // a bind the step may write to (the writes are discarded)
	close  func() // releases the source after the step (bind)
}

// closeMounts releases what the mounts hold.
func closeMounts(ms []runMount) {
	for _, m := range ms {
		if m.close != nil {
			m.close()
		}
	}
}

// runMounts resolves the --mount flags of c; a secret that was not given
// is skipped unless required, as BuildKit does.
// The caller closes them (closeMounts).
func (bl *builder) runMounts(ctx context.Context, s *stage, c *instructions.RunCommand) ([]runMount, error) {
	var out []runMount
	for _, m := range instructions.GetMounts(c) {
		rm, ok, err := bl.runMount(ctx, s, m)
		if err != nil {
			closeMounts(out)
			return nil, err
		}
		if ok {
			out = append(out, rm)
		}
	}
	return out, nil
}

func (bl *builder) runMount(ctx context.Context, s *stage, m *instructions.Mount) (runMount, bool, error) {
	switch m.Type {
	case instructions.MountTypeBind:
		return bl.bindMount(ctx, s, m)
	case instructions.MountTypeCache:
		return bl.cacheMount(m)
	case instructions.MountTypeSecret:
		return bl.secretMount(m)
	case instructions.MountTypeTmpfs:
		return runMount{typ: "tmpfs", target: path.Clean(m.Target), key: "tmpfs:" + m.Target}, true, nil
	}
	return runMount{}, false, api.Errorf(api.ErrNotImplemented, "see docs/build.md",
		"RUN --mount=type=%s is not supported (only bind, cache, secret and tmpfs)", m.Type)
}

// cacheMount is a directory kept across builds under the data dir, one per
// cache id (the target when no id is given).
func (bl *builder) cacheMount(m *instructions.Mount) (runMount, bool, error) {
	if bl.o.CacheMountDir == "" {
		return runMount{}, false, api.Errorf(api.ErrNotImplemented, "", "RUN --mount=type=cache needs a cache directory")
	}
	id := m.CacheID
	if id == "" {
		id = m.Target
	}
	sum := sha256.Sum256([]byte(id))
	dir := filepath.Join(bl.o.CacheMountDir, hex.EncodeToString(sum[:16]))
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return runMount{}, false, fmt.Errorf("failed to create cache mount %s: %w", id, err)
		}
		if m.UID != nil || m.GID != nil {
			uid, gid := derefOr(m.UID, 0), derefOr(m.GID, 0)
			if err := os.Chown(dir, int(uid), int(gid)); err != nil {
				return runMount{}, false, fmt.Errorf("failed to chown cache mount %s: %w", id, err)
			}
		}
	}
	return runMount{typ: "cache", source: dir, target: path.Clean(m.Target), key: "cache:" + id + ":" + m.Target}, true, nil
}

func (bl *builder) secretMount(m *instructions.Mount) (runMount, bool, error) {
	id := m.CacheID
	if id == "" {
		id = path.Base(m.Target)
	}
	target := m.Target
	if target == "" {
		target = "/run/secrets/" + id
	}
	if m.Env != nil {
		return runMount{}, false, api.Errorf(api.ErrNotImplemented, "mount it as a file", "RUN --mount=type=secret,env= is not supported")
	}
	src, ok := bl.o.Secrets[id]
	if !ok {
		if m.Required {
			return runMount{}, false, api.Errorf(api.ErrInvalidArgument, "give it with --secret id="+id+",src=FILE",
				"secret %s is required but was not given", id)
		}
		return runMount{}, false, nil
	}
	return runMount{typ: "secret", source: src, target: path.Clean(target), key: "secret:" + id + ":" + target}, true, nil
}

func derefOr(p *uint64, d uint64) uint64 {
	if p == nil {
		return d
	}
	return *p
}

func (r *runSpec) mountsKey() string {
	var keys []string
	for _, m := range r.mounts {
		keys = append(keys, m.key)
	}
	return strings.Join(keys, ",")
}

// volumes are the cache and secret mounts as run's -v values.
func (r *runSpec) volumes() []string {
	var out []string
	for _, m := range r.mounts {
		switch m.typ {
		case "cache":
			out = append(out, m.source+":"+m.target)
		case "secret":
			out = append(out, m.source+":"+m.target+":ro")
		case "bind":
			out = append(out, m.source+":"+m.target+map[bool]string{true: ":rw", false: ":ro"}[m.rw])
		}
	}
	return out
}

func (r *runSpec) tmpfs() []string {
	var out []string
	for _, m := range r.mounts {
		if m.typ == "tmpfs" {
			out = append(out, m.target)
		}
	}
	return out
}

// prepareMountpoints creates the mount points RUN --mount needs in the
// root filesystem; undo removes those it created, so that no empty
// /run/secrets/ID or cache directory ends up in the layer.
func prepareMountpoints(rootfs []api.Mount, ms []runMount) (undo func(), err error) {
	var created []string
	undo = func() {
		for _, p := range slices.Backward(created) {
			_ = os.Remove(p) // only empty ones go; a RUN may have filled it
		}
	}
	if len(ms) == 0 {
		return undo, nil
	}
	root, err := rootDir(rootfs)
	if err != nil {
		return undo, err
	}
	for _, m := range ms {
		c, err := makeMountpoint(root, m.target, m.typ == "secret" || m.file)
		created = append(created, c...)
		if err != nil {
			undo()
			return func() {}, err
		}
	}
	return undo, nil
}

// makeMountpoint creates target (a file or a directory) and its missing
// parents under root, and returns what it created, outermost first.
func makeMountpoint(root, target string, file bool) ([]string, error) {
	var created []string
	dir := "/"
	parts := strings.Split(strings.Trim(target, "/"), "/")
	for i, part := range parts {
		dir = path.Join(dir, part)
		p, err := securejoin.SecureJoin(root, dir)
		if err != nil {
			return created, err
		}
		if _, err := os.Lstat(p); err == nil {
			continue
		}
		if i == len(parts)-1 && file {
			f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
			if err != nil {
				return created, fmt.Errorf("failed to create mount point %s: %w", target, err)
			}
			f.Close()
		} else if err := os.Mkdir(p, 0o755); err != nil {
			return created, fmt.Errorf("failed to create mount point %s: %w", target, err)
		}
		created = append(created, p)
	}
	return created, nil
}
