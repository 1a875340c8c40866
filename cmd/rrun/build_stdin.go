package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/rrun-project/rrun/plugins/api"
)

// stdinInput saves what `rrun build -` or `-f -` reads from stdin in a
// directory of the run dir, for the session: a tar archive becomes the
// context directory, anything else the Dockerfile (with no context).
type stdinInput struct {
	dir        string // removed by cleanup
	contextDir string // "" when stdin was a Dockerfile
	dockerfile string
}

func readStdinInput(stateDir string, wantContext bool) (*stdinInput, error) {
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		return nil, fmt.Errorf("failed to read stdin: %w", err)
	}
	dir, err := os.MkdirTemp(stateDir, "stdin-")
	if err != nil {
		return nil, fmt.Errorf("failed to create a directory for stdin: %w", err)
	}
	in := &stdinInput{dir: dir}
	if wantContext && isTar(data) {
		in.contextDir = filepath.Join(dir, "context")
		if err := extractContext(data, in.contextDir); err != nil {
			in.cleanup()
			return nil, api.Errorf(api.ErrInvalidArgument, "", "cannot read the context archive on stdin: %v", err)
		}
		in.dockerfile = filepath.Join(in.contextDir, "Dockerfile")
		return in, nil
	}
	in.dockerfile = filepath.Join(dir, "Dockerfile")
	if err := os.WriteFile(in.dockerfile, data, 0o600); err != nil {
		in.cleanup()
		return nil, fmt.Errorf("failed to save the Dockerfile from stdin: %w", err)
	}
	return in, nil
}

func (in *stdinInput) cleanup() { os.RemoveAll(in.dir) }

func isTar(data []byte) bool {
	_, err := tar.NewReader(bytes.NewReader(data)).Next()
	return err == nil && len(data) >= 512
}

// extractContext unpacks a context archive: directories, files and
// symlinks, every path kept inside dir.
func extractContext(data []byte, dir string) error {
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := path.Clean("/" + hdr.Name)
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(p, 0o755)
		case tar.TypeReg:
			err = writeFrom(p, tr, os.FileMode(hdr.Mode)&0o777)
		case tar.TypeSymlink:
			if strings.HasPrefix(hdr.Linkname, "/") || strings.Contains(hdr.Linkname, "..") {
				continue // a link out of the context is not part of it
			}
			err = os.Symlink(hdr.Linkname, p)
		}
		if err != nil {
			return err
		}
	}
}

func writeFrom(p string, r io.Reader, mode os.FileMode) error {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, mode|0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
