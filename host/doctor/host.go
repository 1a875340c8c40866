package doctor

import (
	"os"
	"path/filepath"
	"strings"
)

// Host is everything the checks read or try. Default fills it for the real
// machine; a test points Root at a directory of fake files and replaces the
// probes.
type Host struct {
	Root     string // prefix of /proc, /sys, /etc and /dev paths ("" = the real root)
	UID, GID int
	User     string
	DataDir  string // rrun's persistent dir ($XDG_DATA_HOME/rrun)
	Getenv   func(key string) string
	LookPath func(name string) (string, error)
	Stat     func(path string) (FileInfo, error)
	// FileCaps returns the security.capability xattr of path (nil: none).
	FileCaps func(path string) ([]byte, error)
	Statfs   func(path string) (FSInfo, error)
	CanOpen  func(path string) error // open read-write, then close
	Writable func(path string) bool  // access(path, W_OK)
	// TryUserNS starts a process in a new user namespace with a one-uid map.
	TryUserNS func() error
	// TryIDMap maps uid and gid ranges into a new user namespace with the
	// given newuidmap and newgidmap.
	TryIDMap func(newuidmap, newgidmap string, uids, gids []IDRange) error
	// ProbeOverlay mounts overlay with userxattr over dirs in dir, inside a
	// new user and mount namespace, and unmounts it.
	ProbeOverlay func(dir string) error
	// ProbeProc mounts a /proc in a new user and pid namespace (nil: not
	// probed).
	ProbeProc func() error
	// Libseccomp returns the version of the linked libseccomp (nil: rrun
	// was built without it).
	Libseccomp func() (string, error)
}

// FileInfo is the part of a stat the checks use.
type FileInfo struct {
	Mode  os.FileMode
	UID   int
	IsDir bool
}

// FSInfo is the part of a statfs the checks use.
type FSInfo struct {
	Type  int64
	Avail uint64 // bytes free for an unprivileged user
}

// path turns an absolute host path into the one to read.
func (h *Host) path(p string) string {
	if h.Root == "" {
		return p
	}
	return filepath.Join(h.Root, p)
}

// readFile reads a host file, trimmed; "" when it cannot be read.
func (h *Host) readFile(p string) (string, bool) {
	b, err := os.ReadFile(h.path(p))
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(b)), true
}
