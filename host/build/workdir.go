package build

import (
	"context"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/rrun-project/rrun/plugins/api"
)

// workdirStep sets the working directory and creates it, owned by the
// stage's USER, when the image lacks it (as BuildKit does).
func (bl *builder) workdirStep(ctx context.Context, s *stage, c *instructions.WorkdirCommand, title string) error {
	st := bl.out.begin(title)
	s.img.Config.WorkingDir = s.workdirOf(c.Path)
	createdBy := "WORKDIR " + s.img.Config.WorkingDir
	key := cacheKey("WORKDIR", s.top, s.configKey())
	l, ok, err := bl.cached(ctx, s, key)
	if err == nil && !ok {
		l, err = bl.withRootfs(ctx, s, key, func(_ string, mounts []api.Mount) error {
			return mkWorkdir(mounts, s)
		})
	}
	if err != nil {
		st.fail(err)
		return err
	}
	if ok {
		st.cached()
	} else {
		st.done()
	}
	s.addLayer(createdBy, l)
	return nil
}

func mkWorkdir(mounts []api.Mount, s *stage) error {
	root, err := rootDir(mounts)
	if err != nil {
		return err
	}
	own, err := ownerFor(s.img.Config.User, mounts)
	if err != nil {
		own = owner{} // a USER the image cannot resolve yet: root, as for RUN
	}
	w := &writer{root: root, own: own}
	return w.ensureDir(s.img.Config.WorkingDir)
}
