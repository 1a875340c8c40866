package native

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rrun-project/rrun/plugins/api"
	"github.com/rrun-project/rrun/plugins/isolation/native/nsinit"
)

// seccompFileName, in a container's run dir, keeps its compiled filter for
// the processes Exec starts later, possibly from another plugin process.
const seccompFileName = "seccomp.json"

// containerSeccomp compiles the spec's filter; nil when the spec has none.
// Compiling docker's default profile with libseccomp takes tens of
// milliseconds, so programs are cached in the run dir by the hash of the
// section (every container with the same profile shares one).
func (b *Backend) containerSeccomp(id string, spec *specs.Spec) (*nsinit.Seccomp, error) {
	if spec.Linux == nil || spec.Linux.Seccomp == nil {
		return nil, nil
	}
	cache := b.seccompCachePath(spec.Linux.Seccomp)
	if p, err := readSeccompFile(cache); err == nil && p != nil {
		return p, nil
	}
	p, err := newSeccompProgram(spec.Linux.Seccomp)
	if err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "fix the profile, or run with --security-opt seccomp=unconfined",
			"container %s: invalid seccomp profile: %v", id, err)
	}
	if cache != "" {
		if err := writeSeccompFile(cache, p); err != nil {
			b.log.Debug("seccomp program not cached", "error", err)
		}
	}
	return p, nil
}

// seccompCachePath names the cached program of s: the hash covers the
// section, the architecture and the program format; "" when there is no
// run dir.
func (b *Backend) seccompCachePath(s *specs.LinuxSeccomp) string {
	b.mu.Lock()
	dir := b.runDir
	b.mu.Unlock()
	data, err := json.Marshal(s)
	if dir == "" || err != nil {
		return ""
	}
	sum := sha256.Sum256(append(data, []byte(runtime.GOARCH+"/"+seccompCacheVersion)...))
	return filepath.Join(dir, ".seccomp-cache", hex.EncodeToString(sum[:])+".json")
}

// seccompCacheVersion changes when compileSeccomp's output would.
const seccompCacheVersion = "2" // 2: a binary tree (seccompTree)

// saveSeccomp writes the filter next to the container's state.
func saveSeccomp(dir string, p *nsinit.Seccomp) error {
	if p == nil {
		return nil
	}
	return writeSeccompFile(filepath.Join(dir, seccompFileName), p)
}

// readSeccomp returns the filter saveSeccomp wrote; nil for a container
// without one.
func readSeccomp(dir string) (*nsinit.Seccomp, error) {
	return readSeccompFile(filepath.Join(dir, seccompFileName))
}

// writeSeccompFile writes p atomically (temp file + rename), so that a
// reader never sees half a program.
func writeSeccompFile(path string, p *nsinit.Seccomp) error {
	data, err := json.Marshal(p)
	if err == nil {
		err = os.MkdirAll(filepath.Dir(path), 0o700)
	}
	var f *os.File
	if err == nil {
		f, err = os.CreateTemp(filepath.Dir(path), ".seccomp-*")
	}
	if err == nil {
		_, err = f.Write(data)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(f.Name(), path)
		}
		if err != nil {
			os.Remove(f.Name())
		}
	}
	if err != nil {
		return fmt.Errorf("failed to save the seccomp filter: %w", err)
	}
	return nil
}

// readSeccompFile reads a program; nil, nil when there is no file.
func readSeccompFile(path string) (*nsinit.Seccomp, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	var p nsinit.Seccomp
	if err == nil {
		err = json.Unmarshal(data, &p)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read the seccomp filter: %w", err)
	}
	return &p, nil
}
