package build

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// heredocDir is where BuildKit mounts a RUN heredoc that starts with a
// shebang, to execute it as a file.
const heredocDir = "/dev/pipes"

// shebangHeredoc makes `RUN <<EOF` whose text starts with "#!" run as
// BuildKit does: the text is written to an executable file, mounted read
// only at /dev/pipes/EOF, and that file is the command (so its interpreter
// runs it, not the SHELL). The cache key covers the text. cleanup removes
// the file.
func (bl *builder) shebangHeredoc(c *instructions.RunCommand, r *runSpec) (cleanup func(), err error) {
	cleanup = func() {}
	if len(c.Files) != 1 || len(c.CmdLine) != 1 || !c.PrependShell || parser.MustParseHeredoc(c.CmdLine[0]) == nil {
		return cleanup, nil
	}
	f := c.Files[0]
	data := f.Data
	if f.Chomp {
		data = parser.ChompHeredocContent(data)
	}
	if !strings.HasPrefix(data, "#!") {
		return cleanup, nil
	}
	dir, err := bl.tempDir("heredoc-")
	if err != nil {
		return cleanup, fmt.Errorf("failed to write the heredoc of RUN: %w", err)
	}
	cleanup = func() { os.RemoveAll(dir) }
	file := filepath.Join(dir, "script")
	if err := os.WriteFile(file, []byte(data), 0o755); err != nil {
		cleanup()
		return func() {}, fmt.Errorf("failed to write the heredoc of RUN: %w", err)
	}
	if err := os.Chmod(dir, 0o755); err != nil { // the container's user reads it
		cleanup()
		return func() {}, fmt.Errorf("failed to write the heredoc of RUN: %w", err)
	}
	target := path.Join(heredocDir, f.Name)
	sum := sha256.Sum256([]byte(data))
	r.args = []string{target}
	r.mounts = append(r.mounts, runMount{typ: "secret", source: file, target: target,
		key: "heredoc:" + target + ":" + hex.EncodeToString(sum[:])})
	return cleanup, nil
}
