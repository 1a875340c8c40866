package build

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/rrun-project/rrun/plugins/api"
)

// newID is a container id for a build step: 64 hex digits, like run's.
func newID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux
	return hex.EncodeToString(b)
}

// rootDir is the directory a bind mount at / shows: where the host writes
// a COPY into a build root filesystem.
func rootDir(mounts []api.Mount) (string, error) {
	for _, m := range mounts {
		if m.Target == "/" && m.Type == "bind" {
			return m.Source, nil
		}
	}
	return "", api.Errorf(api.ErrNotImplemented, "use --storage overlay, fuse-overlayfs or vfs",
		"COPY and ADD need a storage plugin whose root filesystem is a bind mount")
}

// withRootfs prepares a writable root filesystem on s's top layer, lets
// change edit it, and commits the result with key. The root filesystem is
// removed in every case.
func (bl *builder) withRootfs(ctx context.Context, s *stage, key string, change func(id string, mounts []api.Mount) error) (api.Layer, error) {
	id := newID()
	mounts, err := bl.prepareRootfs(ctx, id, s.top)
	if err != nil {
		return api.Layer{}, fmt.Errorf("failed to prepare a build root filesystem: %w", err)
	}
	defer bl.removeRootfs(id)
	if err := change(id, mounts); err != nil {
		return api.Layer{}, err
	}
	l, err := bl.c.CommitRootfs(ctx, id, key)
	if err != nil {
		return api.Layer{}, fmt.Errorf("failed to commit the step: %w", err)
	}
	return l, nil
}

// prepareRootfs makes build root filesystem id on layer top, recorded
// first so that a killed build's is removed by the next command.
func (bl *builder) prepareRootfs(ctx context.Context, id, top string) ([]api.Mount, error) {
	if err := bl.track(id); err != nil {
		return nil, err
	}
	mounts, err := bl.c.PrepareLayerRootfs(ctx, id, top)
	if err != nil {
		bl.removeRootfs(id) // what a failed prepare made, and the record
	}
	return mounts, err
}

// removeRootfs deletes a build root filesystem, even after cancellation.
// Its record stays when that fails, for the next command to try again.
func (bl *builder) removeRootfs(id string) {
	if err := bl.b.Storage.RemoveRootfs(context.Background(), id); err != nil {
		fmt.Fprintf(bl.o.Out, "rrun: warning: failed to remove build root filesystem %s: %v\n", id[:12], err)
		return
	}
	bl.untrack(id)
}
