package pluginmgr

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/host/proc"
	"github.com/rrun-project/rrun/plugins/api"
)

// warmRecord is KIND-NAME/warm.json: which process serves where, started
// from which binary, configured how.
type warmRecord struct {
	Version int    `json:"version"` // of this record's format
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	PID     int    `json:"pid"`
	Start   uint64 `json:"start"`  // field 22 of /proc/PID/stat
	Binary  string `json:"binary"` // identity of the plugin's executable
	Key     string `json:"key"`    // the configuration it was given
	Addr    string `json:"addr"`   // its unix socket
	// Info is what the plugin's Info call returned when it was started
	// (version 2): reattaching commands take it from here.
	Info *api.PluginInfo `json:"info"`
}

// warmVersion is the format of warm.json; a record of another version
// names a plugin to replace.
const warmVersion = 2

func readWarm(dir string) (warmRecord, bool) {
	var rec warmRecord
	data, err := os.ReadFile(filepath.Join(dir, "warm.json"))
	if err != nil || json.Unmarshal(data, &rec) != nil || rec.Version != warmVersion {
		return rec, false
	}
	return rec, true
}

func writeWarm(dir string, rec warmRecord) error {
	data, _ := json.Marshal(rec) // plain fields: cannot fail
	tmp := filepath.Join(dir, "warm.json.new")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("failed to record the warm plugin: %w", err)
	}
	return os.Rename(tmp, filepath.Join(dir, "warm.json"))
}

// stopWarm kills the plugin dir's record names (if it still is that
// process) and forgets it; containers survive their isolation plugin.
func stopWarm(dir string) {
	if rec, ok := readWarm(dir); ok && rec.PID > 0 && proc.Start(rec.PID) == rec.Start {
		_ = unix.Kill(rec.PID, unix.SIGKILL) // checked just above that it is that process
	}
	_ = os.Remove(filepath.Join(dir, "warm.json")) // gone already: fine
	// The sockets of killed plugins: the dir holds at most the next one.
	old, _ := filepath.Glob(filepath.Join(dir, "plugin*"))
	for _, p := range old {
		_ = os.Remove(p) // gone already: fine
	}
}

// StopWarm stops every warm plugin of runDir (rrun system migrate).
func StopWarm(runDir string) int {
	entries, _ := os.ReadDir(filepath.Join(runDir, "plugins", "warm"))
	n := 0
	for _, e := range entries {
		dir := filepath.Join(runDir, "plugins", "warm", e.Name())
		if rec, ok := readWarm(dir); ok && proc.Start(rec.PID) == rec.Start {
			n++
		}
		stopWarm(dir)
	}
	return n
}

// WarmPlugins lists the warm plugins that run, as "KIND-NAME (pid N)".
func WarmPlugins(runDir string) []string {
	entries, _ := os.ReadDir(filepath.Join(runDir, "plugins", "warm"))
	var out []string
	for _, e := range entries {
		if rec, ok := readWarm(filepath.Join(runDir, "plugins", "warm", e.Name())); ok && proc.Start(rec.PID) == rec.Start {
			out = append(out, fmt.Sprintf("%s/%s (pid %d)", rec.Kind, rec.Name, rec.PID))
		}
	}
	return out
}

// removeDeadWarmDirs removes the dirs of warm plugins that are gone (of
// earlier holders), skipping any a command is using.
func (m *Manager) removeDeadWarmDirs(parent string) {
	entries, _ := os.ReadDir(parent)
	for _, e := range entries {
		dir := filepath.Join(parent, e.Name())
		if strings.HasPrefix(e.Name(), m.tag()+"-") {
			continue // this holder's (for these limits): in use or about to be
		}
		if rec, ok := readWarm(dir); ok && proc.Start(rec.PID) == rec.Start {
			continue
		}
		f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR|unix.O_CLOEXEC, 0)
		if err != nil || unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil {
			if f != nil {
				f.Close()
			}
			continue
		}
		_ = os.RemoveAll(dir) // best effort: the next sweep tries again
		f.Close()
	}
}

// lockDir creates dir and takes the flock of its lock file; it tries
// again when a sweep removed the dir meanwhile.
func lockDir(dir string) (func(), error) {
	for range 3 {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("failed to create %s: %w", dir, err)
		}
		path := filepath.Join(dir, "lock")
		f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|unix.O_CLOEXEC, 0o600)
		if err != nil {
			return nil, fmt.Errorf("failed to lock %s: %w", dir, err)
		}
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
			f.Close()
			return nil, fmt.Errorf("failed to lock %s: %w", dir, err)
		}
		if held, err := f.Stat(); err == nil {
			if now, err := os.Stat(path); err == nil && os.SameFile(held, now) {
				return func() { f.Close() }, nil
			}
		}
		f.Close() // removed meanwhile by a sweep: again
	}
	return nil, fmt.Errorf("failed to lock %s: it keeps being removed", dir)
}

// binaryID identifies an executable by device, inode, size and mtime.
func binaryID(path string) (string, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return "", fmt.Errorf("failed to stat plugin %s: %w", path, err)
	}
	return fmt.Sprintf("%d:%d:%d:%d", st.Dev, st.Ino, st.Size, st.Mtim.Nano()), nil
}

// tag names this process's user and mount namespaces and m.InheritTag, in
// 8 hex digits.
func (m *Manager) tag() string {
	h := fnv.New32a()
	for _, ns := range []string{"user", "mnt"} {
		l, _ := os.Readlink("/proc/self/ns/" + ns) // "user:[4026531837]"
		h.Write([]byte(l))
	}
	h.Write([]byte(m.InheritTag))
	return fmt.Sprintf("%08x", h.Sum32())
}
