package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/host/atomicfile"
	"github.com/rrun-project/rrun/plugins/api"
)

// Store is the directory of container records: <dir>/<id>/config.json.
type Store struct {
	dir string
}

// Open returns the store in dir, creating it.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("failed to create container state dir %s: %w", dir, err)
	}
	return &Store{dir: dir}, nil
}

// Dir is the directory of one container (logs live there too).
func (s *Store) Dir(id string) string { return filepath.Join(s.dir, id) }

func (s *Store) path(id string) string { return filepath.Join(s.dir, id, recordName) }

// recordName is a container's record in its dir.
const recordName = "config.json"

// lock takes the store's exclusive lock; every change happens under it.
func (s *Store) lock() (func(), error) {
	f, err := os.OpenFile(filepath.Join(s.dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("failed to open the container state lock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("failed to lock container state: %w", err)
	}
	return func() { f.Close() }, nil
}

// Create adds a record. The name must be unused.
func (s *Store) Create(r Record) error {
	_, err := s.create(r, false)
	return err
}

// CreateOwned adds a record marked Starting and returns its owner lock,
// taken before the record appears: whoever lists it while this process
// lives sees it owned.
func (s *Store) CreateOwned(r Record) (*Owner, error) {
	r.Starting = true
	return s.create(r, true)
}

func (s *Store) create(r Record, own bool) (*Owner, error) {
	unlock, err := s.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := s.checkName(r.Name, r.ID); err != nil {
		return nil, err
	}
	// The record is made in a recycled dir (spareDirs) when there is one,
	// and appears once it is complete; else in a new one.
	dir, spare := s.Dir(r.ID), s.takeSpareDir()
	if spare != "" {
		dir = spare
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("failed to create container dir: %w", err)
	}
	var owner *Owner
	if own {
		if owner, err = lockOwner(dir); err != nil {
			return nil, err
		}
	}
	r.Version = RecordVersion
	err = s.writeIn(dir, r)
	if err == nil && spare != "" {
		err = os.Rename(spare, s.Dir(r.ID))
	}
	if err != nil {
		owner.Release()
		if spare != "" {
			_ = os.RemoveAll(spare)
		}
		return nil, err
	}
	return owner, nil
}

// Own takes the owner lock of an existing container and marks it
// Starting; ErrFailedPrecondition when another live process owns it.
func (s *Store) Own(id string) (*Owner, error) {
	unlock, err := s.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	r, err := s.read(id)
	if err != nil {
		return nil, err
	}
	owner, err := lockOwner(s.Dir(id))
	if err != nil {
		return nil, err
	}
	r.Starting = true
	if err := s.write(r); err != nil {
		owner.Release()
		return nil, err
	}
	return owner, nil
}

// Alive reports whether the record's owner (its starter or monitor) is a
// live process; false for a record that needs none.
func (s *Store) Alive(r Record) bool { return r.Owned() && ownerAlive(s.Dir(r.ID)) }

// checkName refuses a name another container has; call it under the lock.
func (s *Store) checkName(name, id string) error {
	all, err := s.list()
	if err != nil {
		return err
	}
	for _, o := range all {
		if o.Name == name && o.ID != id {
			return api.Errorf(api.ErrAlreadyExists, "remove it (rrun rm "+name+") or choose another name",
				"the container name %q is already in use by container %s", name, o.ShortID())
		}
	}
	return nil
}

// write replaces the record atomically.
func (s *Store) write(r Record) error { return s.writeIn(s.Dir(r.ID), r) }

// writeIn replaces the record in dir (the container's, or the recycled
// dir it is made in) atomically (atomicfile: readers take no lock).
func (s *Store) writeIn(dir string, r Record) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Replace(filepath.Join(dir, recordName), data, 0o600); err != nil {
		return fmt.Errorf("failed to write record of %s: %w", r.ShortID(), err)
	}
	return nil
}

func (s *Store) read(id string) (Record, error) {
	var r Record
	err := atomicfile.Read(s.path(id), func(data []byte) error {
		r = Record{}
		return json.Unmarshal(data, &r)
	})
	if errors.Is(err, fs.ErrNotExist) {
		return r, err
	}
	if err != nil {
		return r, fmt.Errorf("record of container %s is unreadable: %w", id, err)
	}
	if r.Version > RecordVersion {
		return r, fmt.Errorf("record of container %s has format %d; this rrun reads up to %d", id, r.Version, RecordVersion)
	}
	return r, nil
}

func (s *Store) list() ([]Record, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("failed to list containers: %w", err)
	}
	var out []Record
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") { // .spare: recycled dirs
			continue
		}
		r, err := s.read(e.Name())
		if errors.Is(err, fs.ErrNotExist) {
			continue // being created or removed
		}
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, nil
}

// List returns every record, newest first.
func (s *Store) List() ([]Record, error) { return s.list() }

// Get finds a container by full id, name, or unique id prefix.
func (s *Store) Get(ref string) (Record, error) {
	if len(ref) == 64 {
		if r, err := s.read(ref); err == nil {
			return r, nil
		}
	}
	all, err := s.list()
	if err != nil {
		return Record{}, err
	}
	var prefixed []Record
	for _, r := range all {
		if r.ID == ref || r.Name == ref {
			return r, nil
		}
		if len(ref) >= 3 && strings.HasPrefix(r.ID, ref) {
			prefixed = append(prefixed, r)
		}
	}
	switch len(prefixed) {
	case 1:
		return prefixed[0], nil
	case 0:
		return Record{}, api.Errorf(api.ErrNotFound, "rrun ps -a lists containers", "no such container: %s", ref)
	}
	return Record{}, api.Errorf(api.ErrInvalidArgument, "give more characters of the id", "%q matches %d containers", ref, len(prefixed))
}

// Update changes a record under the lock.
func (s *Store) Update(id string, change func(*Record) error) error {
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	r, err := s.read(id)
	if err != nil {
		return err
	}
	if err := change(&r); err != nil {
		return err
	}
	return s.write(r)
}

// Rename gives a container a new unused name.
func (s *Store) Rename(id, name string) error {
	return s.Update(id, func(r *Record) error {
		if err := s.checkName(name, id); err != nil {
			return err
		}
		r.Name = name
		return nil
	})
}

// Remove deletes the record and the container's dir (logs).
func (s *Store) Remove(id string) error {
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	if s.recycleDir(id) {
		return nil
	}
	if err := os.Remove(s.path(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("failed to remove record of %s: %w", id, err)
	}
	return os.RemoveAll(s.Dir(id))
}
