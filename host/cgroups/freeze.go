package cgroups

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Freeze freezes (or thaws) every process of container id through the
// cgroup v2 freezer (cgroup.freeze). A container without a cgroup (started
// with --cgroups=disabled) is an error that says so.
func (h Host) Freeze(d Delegation, id string, frozen bool) error {
	file := h.path(filepath.Join(d.Mount, d.Base, NameFor(id), "cgroup.freeze"))
	val := "0"
	if frozen {
		val = "1"
	}
	if err := os.WriteFile(file, []byte(val), 0o644); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("the container has no cgroup (was it started with --cgroups=disabled?)")
		}
		return fmt.Errorf("failed to write %s to %s: %w", val, file, err)
	}
	return nil
}

// Frozen reports whether container id's cgroup is frozen.
func (h Host) Frozen(d Delegation, id string) bool {
	return h.read(filepath.Join(d.Mount, d.Base, NameFor(id), "cgroup.freeze")) == "1"
}
