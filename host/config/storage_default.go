package config

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Where Config.Storage came from (Config.StorageSource).
const (
	SourceFlag    = "--storage"
	SourceEnv     = "RRUN_STORAGE"
	SourceFile    = "config.toml"
	SourceProbe   = "probe"
	SourceDefault = "default"
)

// StorageProbe picks the storage backend for a store under dir and says
// why. cmd/rrun sets it to the built-in storage plugins' probe, so that
// host/ needs no storage code. nil, or a probe that returns "" (nothing to
// decide, e.g. --storage was given), means DefaultStorage, uncached.
var StorageProbe func(dir string) (name, why string)

// probeCacheVersion changes when the cache's meaning changes.
const probeCacheVersion = 1

// probeCache is what a probe found for one filesystem and kernel.
type probeCache struct {
	Version int    `json:"version"`
	FSID    string `json:"fsid"`
	Kernel  string `json:"kernel"`
	Storage string `json:"storage"`
	Why     string `json:"why"`
}

// probedStorage returns the probe's answer for the store under dirs.Data,
// from the cache when the filesystem and the kernel are the same, else by
// probing once and caching (atomically; a failed write costs a re-probe).
func probedStorage(dirs Dirs) (name, why string) {
	if StorageProbe == nil {
		return "", ""
	}
	storeDir := filepath.Join(dirs.Data, "storage")
	key := probeCache{Version: probeCacheVersion, FSID: fsID(dirs.Data), Kernel: kernelRelease()}
	cachePath := filepath.Join(dirs.Data, "storage-probe.json")
	if b, err := os.ReadFile(cachePath); err == nil {
		var c probeCache
		if json.Unmarshal(b, &c) == nil && c.Version == key.Version && c.FSID == key.FSID &&
			c.Kernel == key.Kernel && c.Storage != "" {
			return c.Storage, c.Why
		}
	}
	key.Storage, key.Why = StorageProbe(storeDir)
	if key.Storage != "" {
		writeAtomic(cachePath, key)
	}
	return key.Storage, key.Why
}

// fsID names the filesystem holding p (or its nearest existing parent).
func fsID(p string) string {
	for ; ; p = filepath.Dir(p) {
		var st unix.Statfs_t
		if err := unix.Statfs(p, &st); err == nil {
			return fmt.Sprintf("%x:%x:%x", st.Type, st.Fsid.Val[0], st.Fsid.Val[1])
		}
		if p == filepath.Dir(p) {
			return ""
		}
	}
}

func kernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}

func writeAtomic(p string, v any) {
	b, err := json.Marshal(v)
	if err != nil || os.MkdirAll(filepath.Dir(p), 0o700) != nil {
		return
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".storage-probe-*")
	if err != nil {
		return
	}
	_, err = f.Write(append(b, '\n'))
	if cerr := f.Close(); err == nil && cerr == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		os.Remove(f.Name())
	}
}
