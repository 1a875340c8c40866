package build

import (
	"fmt"
	"os"
	"path/filepath"
)

// RootfsDir is the directory of Options.StateDir where a build records
// the build root filesystems it holds: one empty file per id, made before
// the root filesystem and removed after it. What a killed build leaves
// there is what the next rrun command removes (cmd/rrun/build_reclaim.go).
const RootfsDir = "rootfs"

// track records that the build is about to make root filesystem id.
func (bl *builder) track(id string) error {
	if bl.o.StateDir == "" {
		return nil
	}
	dir := filepath.Join(bl.o.StateDir, RootfsDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("failed to record a build root filesystem: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, id), nil, 0o600); err != nil {
		return fmt.Errorf("failed to record a build root filesystem: %w", err)
	}
	return nil
}

// untrack forgets root filesystem id once it is gone.
func (bl *builder) untrack(id string) {
	if bl.o.StateDir != "" {
		_ = os.Remove(filepath.Join(bl.o.StateDir, RootfsDir, id)) // the dir goes with the build anyway
	}
}

// tempDir makes a temporary directory inside the build's state dir, so
// that a killed build's is removed with it.
func (bl *builder) tempDir(pattern string) (string, error) {
	return os.MkdirTemp(bl.o.StateDir, pattern) // "" is the system's temp dir
}
