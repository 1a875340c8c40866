package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/patternmatcher"

	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/plugins/api"
)

// copySource is where COPY takes files from: the build context, or the
// root filesystem of a stage or an image (mounted for the step).
type copySource struct {
	root      string
	id        string // for the cache key: "context" or the source's top layer
	local     bool   // the build context
	keepOwner bool   // files keep their owners (from a stage or image)
	ignore    *patternmatcher.PatternMatcher
	close     func()
}

// copySource opens the source --from names ("" for the build context).
func (bl *builder) copySource(ctx context.Context, from string) (*copySource, error) {
	if from == "" {
		if bl.o.ContextDir == "" {
			return nil, api.Errorf(api.ErrInvalidArgument, "give a build context directory", "COPY and ADD need a build context")
		}
		return &copySource{root: bl.o.ContextDir, id: "context", local: true, ignore: bl.ignore, close: func() {}}, nil
	}
	top, err := bl.fromLayer(ctx, from)
	if err != nil {
		return nil, err
	}
	return bl.layerSource(ctx, top)
}

// fromLayer is the top layer of a built stage, or of an image.
func (bl *builder) fromLayer(ctx context.Context, from string) (string, error) {
	if i, ok := bl.d.stageIndex(from); ok {
		if s, built := bl.built[i]; built {
			return s.top, nil
		}
		return "", api.Errorf(api.ErrInvalidArgument, "", "COPY --from=%s: the stage is not built before this one", from)
	}
	info, err := container.InspectOrPull(ctx, bl.b.Storage, from, bl.o.Pull, func(string) {})
	if err != nil {
		return "", err
	}
	return info.TopLayer, nil
}

// layerSource mounts a root filesystem on top (read only by use).
func (bl *builder) layerSource(ctx context.Context, top string) (*copySource, error) {
	if top == "" {
		dir, err := bl.tempDir("rrun-build-empty-")
		if err != nil {
			return nil, err
		}
		return &copySource{root: dir, id: "empty", keepOwner: true, close: func() { os.RemoveAll(dir) }}, nil
	}
	id := newID()
	mounts, err := bl.prepareRootfs(ctx, id, top)
	if err != nil {
		return nil, fmt.Errorf("failed to mount layer %s: %w", top, err)
	}
	root, err := rootDir(mounts)
	if err != nil {
		bl.removeRootfs(id)
		return nil, err
	}
	return &copySource{root: root, id: "layer:" + top, keepOwner: true, close: func() { bl.removeRootfs(id) }}, nil
}

// path is the host path of rel, resolved inside the source's root.
func (s *copySource) path(rel string) (string, error) {
	return securejoin.SecureJoin(s.root, rel)
}

// match expands the source patterns to paths relative to the root.
func (s *copySource) match(patterns []string) ([]string, error) {
	var out []string
	for _, p := range patterns {
		rel := path.Clean("/" + filepath.ToSlash(p))[1:]
		if rel == "" {
			rel = "."
		}
		got, err := s.matchOne(rel)
		if err != nil {
			return nil, err
		}
		if len(got) == 0 {
			return nil, api.Errorf(api.ErrNotFound, "check the path, and .dockerignore",
				"failed to compute cache key: %q not found in the build context or excluded by .dockerignore", "/"+rel)
		}
		out = append(out, got...)
	}
	return out, nil
}

func (s *copySource) matchOne(rel string) ([]string, error) {
	if !strings.ContainsAny(rel, "*?[") {
		p, err := s.path(rel)
		if err != nil {
			return nil, err
		}
		if _, err := os.Lstat(p); err != nil || (s.local && ignored(s.ignore, rel)) {
			return nil, nil
		}
		return []string{rel}, nil
	}
	matches, err := filepath.Glob(filepath.Join(s.root, rel))
	if err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "", "bad pattern %q: %v", rel, err)
	}
	var out []string
	for _, m := range matches {
		r, err := filepath.Rel(s.root, m)
		if err == nil && !strings.HasPrefix(r, "..") && !(s.local && ignored(s.ignore, r)) {
			out = append(out, filepath.ToSlash(r))
		}
	}
	sort.Strings(out)
	return out, nil
}

// checksum hashes what the copied files hold: for the build context their
// paths, types, modes, sizes, link targets and contents (not owners or
// times: COPY resets the former and docker ignores the latter). A stage or
// image source is pinned by its layer id instead.
func (s *copySource) checksum(files []string) (string, error) {
	if !s.local {
		return "", nil
	}
	h := sha256.New()
	for _, f := range files {
		if err := s.hashTree(h, f); err != nil {
			return "", fmt.Errorf("failed to checksum %s: %w", f, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func (s *copySource) hashTree(h io.Writer, rel string) error {
	start := filepath.Join(s.root, rel)
	return filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		r, _ := filepath.Rel(s.root, p)
		if ignored(s.ignore, r) {
			if d.IsDir() && !s.ignore.Exclusions() {
				return filepath.SkipDir
			}
			return nil
		}
		return hashEntry(h, p, r, d)
	})
}

func hashEntry(h io.Writer, p, rel string, d fs.DirEntry) error {
	fi, err := d.Info()
	if err != nil {
		return err
	}
	fmt.Fprintf(h, "%s\x00%o\x00%d\x00", rel, fi.Mode(), fi.Size())
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00", target)
	case fi.Mode().IsRegular():
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		if _, err := io.Copy(h, f); err != nil {
			return err
		}
	}
	return nil
}
