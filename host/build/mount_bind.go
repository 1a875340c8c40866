package build

import (
	"context"
	"fmt"
	"os"
	"path"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/rrun-project/rrun/plugins/api"
)

// bindMount is RUN --mount=type=bind: a path of the build context (a
// copy of it, honouring .dockerignore, so the context itself is never
// reachable from a step), or of a stage or image (--from, its root
// filesystem mounted for the step), bound read only at the target. With
// rw the step may write there; as with BuildKit the writes are discarded
// (they go to the copy, or to the stage's throwaway root filesystem).
func (bl *builder) bindMount(ctx context.Context, s *stage, m *instructions.Mount) (rm runMount, ok bool, err error) {
	defer func() { rm.rw = !m.ReadOnly }()
	target := s.workdirOf(m.Target)
	src, err := bl.copySource(ctx, m.From)
	if err != nil {
		return runMount{}, false, err
	}
	rel := path.Clean("/" + m.Source)[1:]
	if rel == "" {
		rel = "."
	}
	sp, err := src.path(rel)
	if err == nil {
		_, err = os.Lstat(sp)
	}
	if err != nil {
		src.close()
		return runMount{}, false, api.Errorf(api.ErrNotFound, "", "RUN --mount=type=bind: source %q not found", "/"+rel)
	}
	if !src.local {
		fi, _ := os.Stat(sp)
		return runMount{typ: "bind", source: sp, target: target, file: fi != nil && !fi.IsDir(),
			key: "bind:" + src.id + ":" + rel + ":" + target, close: src.close}, true, nil
	}
	defer src.close()
	return bl.contextBind(src, rel, target)
}

// contextBind copies rel of the context into a directory of the build
// and binds that.
func (bl *builder) contextBind(src *copySource, rel, target string) (runMount, bool, error) {
	sum, err := src.checksum([]string{rel})
	if err != nil {
		return runMount{}, false, err
	}
	dir, err := bl.tempDir("bind-")
	if err != nil {
		return runMount{}, false, fmt.Errorf("failed to copy a bind mount's source: %w", err)
	}
	done := func() { os.RemoveAll(dir) }
	w := &writer{root: dir, ignore: src.ignore, links: map[uint64]string{}}
	if err := w.copyOne(src, rel, "/data", false, false); err != nil {
		done()
		return runMount{}, false, fmt.Errorf("failed to copy the bind mount's source %s: %w", rel, err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		done()
		return runMount{}, false, fmt.Errorf("failed to copy a bind mount's source: %w", err)
	}
	data := dir + "/data"
	fi, err := os.Stat(data)
	if err != nil {
		done()
		return runMount{}, false, fmt.Errorf("failed to copy the bind mount's source %s: %w", rel, err)
	}
	return runMount{typ: "bind", source: data, target: target, file: !fi.IsDir(),
		key: "bind:context:" + rel + ":" + sum + ":" + target, close: done}, true, nil
}
