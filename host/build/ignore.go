package build

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/rrun-project/rrun/plugins/api"
)

// readIgnore reads the context's .dockerignore; nil when there is none.
func readIgnore(contextDir string) (*patternmatcher.PatternMatcher, error) {
	if contextDir == "" {
		return nil, nil
	}
	f, err := os.Open(filepath.Join(contextDir, ".dockerignore"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "", "cannot read .dockerignore: %v", err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "", "cannot read .dockerignore: %v", err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "", "bad pattern in .dockerignore: %v", err)
	}
	return pm, nil
}

// ignored reports whether the context path rel (slash separated, no
// leading slash) is excluded.
func ignored(pm *patternmatcher.PatternMatcher, rel string) bool {
	if pm == nil || rel == "." || rel == "" {
		return false
	}
	m, err := pm.MatchesOrParentMatches(strings.TrimPrefix(filepath.ToSlash(rel), "/"))
	return err == nil && m
}

func bytesReader(s string) *strings.Reader { return strings.NewReader(s) }
