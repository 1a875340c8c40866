package build

import (
	"context"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/plugins/api"
)

// copySpec is a COPY or an ADD.
type copySpec struct {
	add      bool
	srcs     []string
	contents []instructions.SourceContent // heredocs
	dest     string
	from     string
	chown    string
	chmod    string
	unpack   bool   // ADD: extract local tar archives
	checksum string // ADD --checksum of a URL
}

func copyFromCopy(c *instructions.CopyCommand) copySpec {
	return copySpec{srcs: c.SourcePaths, contents: c.SourceContents, dest: c.DestPath, from: c.From, chown: c.Chown, chmod: c.Chmod}
}

func copyFromAdd(c *instructions.AddCommand) copySpec {
	unpack := c.Unpack == nil || *c.Unpack
	return copySpec{add: true, srcs: c.SourcePaths, contents: c.SourceContents, dest: c.DestPath, chown: c.Chown, chmod: c.Chmod,
		unpack: unpack, checksum: c.Checksum}
}

func (c copySpec) name() string {
	if c.add {
		return "ADD"
	}
	return "COPY"
}

// createdBy is BuildKit's history entry of the step.
func (c copySpec) createdBy() string {
	var flags string
	if c.from != "" {
		flags += "--from=" + c.from + " "
	}
	if c.chown != "" {
		flags += "--chown=" + c.chown + " "
	}
	if c.chmod != "" {
		flags += "--chmod=" + c.chmod + " "
	}
	return fmt.Sprintf("%s %s%s %s # buildkit", c.name(), flags, strings.Join(c.srcs, " "), c.dest)
}

// copyStep copies files from the context, a stage or an image into the
// stage's root filesystem and commits them.
func (bl *builder) copyStep(ctx context.Context, s *stage, c copySpec, title string) error {
	st := bl.out.begin(title)
	l, err := bl.copyLayer(ctx, s, c, st)
	if err != nil {
		st.fail(err)
		return err
	}
	s.addLayer(c.createdBy(), l)
	return nil
}

func (bl *builder) copyLayer(ctx context.Context, s *stage, c copySpec, st *step) (api.Layer, error) {
	if err := c.check(); err != nil {
		return api.Layer{}, err
	}
	src, files, err := bl.sources(ctx, c)
	if err != nil {
		return api.Layer{}, err
	}
	defer src.close()
	sum, err := src.checksum(files)
	if err != nil {
		return api.Layer{}, err
	}
	dest := s.workdirOf(c.dest)
	key := cacheKey(c.name(), s.top, s.configKey(), c.createdBy(), dest, src.id, sum, jsonString(c.contents))
	if l, ok, err := bl.cached(ctx, s, key); err != nil || ok {
		if ok {
			st.cached()
		}
		return l, err
	}
	l, err := bl.withRootfs(ctx, s, key, func(_ string, mounts []api.Mount) error {
		return bl.copyInto(mounts, s, c, src, files, dest)
	})
	if err == nil {
		st.done()
	}
	return l, err
}

// sources opens the copy's source and finds its files: the URLs of an
// ADD downloaded, or the paths matched in the context, stage or image.
func (bl *builder) sources(ctx context.Context, c copySpec) (*copySource, []string, error) {
	if c.add && len(c.srcs) > 0 && isURL(c.srcs[0]) {
		return bl.urlSource(ctx, c)
	}
	src, err := bl.copySource(ctx, c.from)
	if err != nil {
		return nil, nil, err
	}
	files, err := src.match(c.srcs)
	if err != nil {
		src.close()
		return nil, nil, err
	}
	return src, files, nil
}

// check refuses what rrun does not do, and the forms docker refuses.
func (c copySpec) check() error {
	urls := 0
	for _, p := range c.srcs {
		if c.add && (strings.HasPrefix(p, "git@") || isURL(p) && strings.HasSuffix(p, ".git")) {
			return api.Errorf(api.ErrNotImplemented, "clone it in a RUN step instead", "ADD of a git repository is not supported: %s", p)
		}
		if c.add && isURL(p) {
			urls++
		}
	}
	if urls > 0 && urls < len(c.srcs) {
		return api.Errorf(api.ErrNotImplemented, "use one ADD for the URLs and one for the local files",
			"ADD of URLs and local files in one instruction is not supported")
	}
	if c.checksum != "" && urls == 0 {
		return api.Errorf(api.ErrInvalidArgument, "", "ADD --checksum needs an http(s) source")
	}
	if c.chmod != "" {
		if _, err := strconv.ParseUint(c.chmod, 8, 32); err != nil {
			return api.Errorf(api.ErrInvalidArgument, "use an octal mode such as 0755", "invalid --chmod %q", c.chmod)
		}
	}
	return nil
}

// copyInto does the copy in the root filesystem mounts show.
func (bl *builder) copyInto(mounts []api.Mount, s *stage, c copySpec, src *copySource, files []string, dest string) error {
	root, err := rootDir(mounts)
	if err != nil {
		return err
	}
	own, err := ownerFor(c.chown, mounts)
	if err != nil {
		return err
	}
	w := &writer{root: root, own: own, keepOwner: src.keepOwner, ignore: src.ignore, links: map[uint64]string{}}
	if c.chmod != "" {
		m, _ := strconv.ParseUint(c.chmod, 8, 32) // checked
		mode := os.FileMode(m)
		w.chmod = &mode
	}
	destDir := strings.HasSuffix(c.dest, "/") || c.dest == "." || strings.HasSuffix(c.dest, "/.")
	if len(files)+len(c.contents) > 1 && !destDir {
		return api.Errorf(api.ErrInvalidArgument, "end the destination with /",
			"when using %s with more than one source file, the destination must be a directory and end with a /", c.name())
	}
	for _, f := range files {
		if err := w.copyOne(src, f, dest, destDir, c.add && c.unpack && src.local); err != nil {
			return err
		}
	}
	for _, sc := range c.contents {
		if err := w.writeContent(sc, dest, destDir); err != nil {
			return err
		}
	}
	return nil
}

// owner is who copied files belong to.
type owner struct {
	set      bool
	uid, gid int
}

// ownerFor resolves --chown (names through the destination's /etc/passwd
// and /etc/group); a user without a group takes the uid as gid, as
// docker does.
func ownerFor(chown string, mounts []api.Mount) (owner, error) {
	if chown == "" {
		return owner{}, nil
	}
	u, err := container.ResolveUser(chown, mounts)
	if err != nil {
		return owner{}, fmt.Errorf("failed to resolve --chown %s: %w", chown, err)
	}
	o := owner{set: true, uid: int(u.UID), gid: int(u.GID)}
	if !strings.Contains(chown, ":") {
		o.gid = o.uid
	}
	return o, nil
}

// destFor is where source f lands: inside dest when dest is a directory.
func destFor(dest, f string, destDir bool, isDir func(string) bool) string {
	if destDir || isDir(dest) {
		return path.Join(dest, path.Base(f))
	}
	return dest
}
