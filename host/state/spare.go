package state

import (
	"os"
	"path/filepath"
)

// Recycled container dirs. A `run --rm` made a container dir and about
// ten files in it (the record, its owner lock, hosts, hostname,
// resolv.conf, the network plan, the log), rewrote the record twice
// (each a new inode) and deleted them all at the end. On a journal-less
// ext4 (this kind of VM) each inode deleted is skipped by the next
// allocations of its block group for a minute or more, so back-to-back
// runs made each other's file creations slower and slower
// (docs/internal.md, session 16). Remove instead moves a dir that holds
// only those files into spareDirs, empties the files a next container
// rewrites (no content of the removed container is kept) and deletes the
// others; create makes the next record in it and renames it into place
// once the record is complete. The record and the network plan are
// replaced by exchange (atomicfile), the /etc files rewritten in place,
// so a recycled dir's container makes only its owner lock and its log
// anew: the lock, because a command that waited for the removed
// container's owner still holds the old one open; the log, because a
// `logs -f` of the removed container may still read it.

// spareDirs is the store's subdir of recycled container dirs (list skips
// dot names).
const spareDirs = ".spare"

// maxSpareDirs bounds the recycled dirs kept.
const maxSpareDirs = 4

// dirFiles are the files a recycled dir may hold: true for those it keeps
// (emptied), false for those it deletes. A dir with anything else (a
// restart policy's mark, an exec's defaults, a subdir) is deleted whole.
var dirFiles = map[string]bool{
	recordName: true, recordName + ".tmp": true,
	"network.json": true, "network.json.tmp": true,
	"hosts": true, "hostname": true, "resolv.conf": true,
	ownerLockName: false, "container.log": false, "monitor.log": false,
}

// recycleDir moves container id's dir into spareDirs, emptied, and
// reports whether it did (the record is then gone); call it under the
// store's lock.
func (s *Store) recycleDir(id string) bool {
	dir := s.Dir(id)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if _, known := dirFiles[e.Name()]; !known || !e.Type().IsRegular() {
			return false
		}
	}
	spares := filepath.Join(s.dir, spareDirs)
	if n, err := os.ReadDir(spares); err == nil && len(n) >= maxSpareDirs {
		return false
	}
	if err := os.MkdirAll(spares, 0o700); err != nil {
		return false
	}
	spare := filepath.Join(spares, id)
	if os.Rename(dir, spare) != nil {
		return false
	}
	for _, e := range entries {
		p := filepath.Join(spare, e.Name())
		if dirFiles[e.Name()] {
			err = os.Truncate(p, 0)
		} else {
			err = os.Remove(p)
		}
		if err != nil {
			_ = os.RemoveAll(spare)
			break
		}
	}
	return true
}

// takeSpareDir returns a recycled dir to make a record in, or "".
func (s *Store) takeSpareDir() string {
	spares := filepath.Join(s.dir, spareDirs)
	entries, err := os.ReadDir(spares)
	if err != nil {
		return ""
	}
	for _, e := range entries {
		if e.IsDir() {
			return filepath.Join(spares, e.Name())
		}
	}
	return ""
}
