package build

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/rrun-project/rrun/plugins/api"
)

// dockerfile is a parsed Dockerfile.
type dockerfile struct {
	path     string
	stages   []instructions.Stage
	metaArgs []instructions.ArgCommand
	escape   rune
}

// parseDockerfile reads and parses the Dockerfile at path. Any unknown or
// malformed instruction fails here, before a step runs, with the file,
// line and BuildKit's one-line reason.
func parseDockerfile(path string) (*dockerfile, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, api.Errorf(api.ErrNotFound, "give the Dockerfile with -f", "cannot read Dockerfile %s: %v", path, err)
	}
	res, err := parser.Parse(bytes.NewReader(src))
	if err != nil {
		return nil, parseError(path, err)
	}
	stages, metaArgs, err := instructions.Parse(res.AST, nil)
	if err != nil {
		return nil, parseError(path, err)
	}
	if len(stages) == 0 {
		return nil, api.Errorf(api.ErrInvalidArgument, "start it with FROM", "%s: the Dockerfile has no FROM", path)
	}
	return &dockerfile{path: path, stages: stages, metaArgs: metaArgs, escape: res.EscapeToken}, nil
}

// parseError names the file and line of a parser error.
func parseError(path string, err error) error {
	line, msg := 0, err.Error()
	var loc *parser.LocationError
	if errors.As(err, &loc) {
		msg = loc.Unwrap().Error() // the reason, without the location prefix
		if len(loc.Locations) > 0 && len(loc.Locations[0]) > 0 {
			line = loc.Locations[0][0].Start.Line
		}
	}
	if line > 0 {
		return api.Errorf(api.ErrInvalidArgument, "", "%s:%d: %s", path, line, msg)
	}
	return api.Errorf(api.ErrInvalidArgument, "", "%s: %s", path, msg)
}

// lexer returns the shell lexer for word expansion with the Dockerfile's
// escape character.
func (d *dockerfile) lexer() *shell.Lex { return shell.NewLex(d.escape) }

// stageIndex finds a stage by name or index ("0", "1", ...).
func (d *dockerfile) stageIndex(ref string) (int, bool) {
	for i, s := range d.stages {
		if s.Name != "" && s.Name == ref {
			return i, true
		}
	}
	var n int
	if _, err := fmt.Sscanf(ref, "%d", &n); err == nil && fmt.Sprint(n) == ref && n >= 0 && n < len(d.stages) {
		return n, true
	}
	return 0, false
}
