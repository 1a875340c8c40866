package cgroups

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// statControllers are enabled for every container cgroup when offered, so
// that `rrun stats` has numbers even without limits.
var statControllers = []string{"cpu", "memory", "pids"}

// NameFor is the cgroup name of container id, under a Delegation's Base.
func NameFor(id string) string { return "rrun-" + id }

// PathFor is the cgroup of container id under d, relative to the cgroup2
// mount: what an OCI spec's linux.cgroupsPath holds.
func (d Delegation) PathFor(id string) string { return filepath.Join(d.Base, NameFor(id)) }

// Create makes the cgroup of container id under d, with the limits of r,
// and returns its path relative to the cgroup2 mount (what an OCI
// spec's linux.cgroupsPath holds). A cgroup left by an earlier run of the
// same container is re-used. On error nothing is left behind.
func (h Host) Create(d Delegation, id string, r *specs.LinuxResources) (string, error) {
	if err := h.enable(d); err != nil {
		return "", err
	}
	rel := d.PathFor(id)
	dir := h.path(filepath.Join(d.Mount, rel))
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return "", fmt.Errorf("failed to create cgroup %s: %w", dir, err)
	}
	if err := writeFiles(dir, Files(r)); err != nil {
		_ = os.Remove(dir)
		return "", err
	}
	return rel, nil
}

// enable turns on, in the base's cgroup.subtree_control, the controllers
// containers use that the base offers.
func (h Host) enable(d Delegation) error {
	file := h.path(filepath.Join(d.Mount, d.Base, "cgroup.subtree_control"))
	for _, c := range statControllers {
		if !slices.Contains(d.Controllers, c) {
			continue
		}
		if err := os.WriteFile(file, []byte("+"+c), 0o644); err != nil {
			return fmt.Errorf("failed to enable the %s controller in %s: %w", c, file, err)
		}
	}
	return nil
}

func writeFiles(dir string, files map[string]string) error {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, []byte(files[n]), 0o644); err != nil { // cgroupfs files exist; 0o644 only matters in tests
			return fmt.Errorf("failed to write %q to %s: %w", files[n], p, err)
		}
	}
	return nil
}

// Remove deletes the cgroup at rel (relative to mount) once it is empty.
// A cgroup that is gone already is not an error.
func (h Host) Remove(mount, rel string) error {
	dir := h.path(filepath.Join(mount, rel))
	err := syscall.Rmdir(dir)
	if err == nil || errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return fmt.Errorf("failed to remove cgroup %s: %w", dir, err)
}
