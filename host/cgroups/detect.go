package cgroups

import (
	"os"
	"path/filepath"
	"strings"
)

// Version is the cgroup layout of a host.
type Version string

// Layouts a host can have.
const (
	VersionNone   Version = "none"   // no cgroup filesystem at all
	VersionV1     Version = "v1"     // v1 hierarchies only
	VersionHybrid Version = "hybrid" // v1 hierarchies plus a cgroup2 (usually /sys/fs/cgroup/unified)
	VersionV2     Version = "v2"     // the unified hierarchy only
)

// Host is where the package reads: Root prefixes every absolute path
// ("" is the real root), UID is the user who must own a delegated cgroup.
type Host struct {
	Root string
	UID  int
}

// Layout is what Detect found.
type Layout struct {
	Version Version
	V2Mount string // host path of the cgroup2 mount, "" without one
	Own     string // this process's cgroup in the v2 hierarchy ("/..."), "" without one
}

// RealHost is the machine this process runs on, for the invoking user.
func RealHost() Host { return Host{UID: os.Getuid()} }

func (h Host) path(p string) string {
	if h.Root == "" {
		return p
	}
	return filepath.Join(h.Root, p)
}

func (h Host) read(p string) string {
	b, err := os.ReadFile(h.path(p))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// Detect reads /proc/self/cgroup: "0::PATH" is the v2 hierarchy, any
// other line a v1 one. On a hybrid host cgroup2 is looked for at
// /sys/fs/cgroup/unified, on a v2 host at /sys/fs/cgroup.
func (h Host) Detect() Layout {
	var l Layout
	v1, v2 := false, false
	for _, line := range strings.Split(h.read("/proc/self/cgroup"), "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			v2, l.Own = true, p
		} else if strings.Count(line, ":") >= 2 {
			v1 = true
		}
	}
	switch {
	case v1 && v2:
		l.Version = VersionHybrid
		l.V2Mount = h.v2Mount("/sys/fs/cgroup/unified")
	case v1:
		l.Version = VersionV1
	case v2:
		l.Version = VersionV2
		l.V2Mount = h.v2Mount("/sys/fs/cgroup")
	default:
		l.Version = VersionNone
	}
	if l.V2Mount == "" {
		l.Own = ""
	}
	return l
}

// v2Mount returns dir when it holds a cgroup2 hierarchy.
func (h Host) v2Mount(dir string) string {
	if _, err := os.Stat(h.path(filepath.Join(dir, "cgroup.controllers"))); err != nil {
		return ""
	}
	return dir
}
