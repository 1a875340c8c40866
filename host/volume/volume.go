package volume

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"

	"github.com/rrun-project/rrun/plugins/api"
)

// validName is docker's rule for volume names.
var validName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// anonymousMarker is an empty file next to _data saying that the volume
// was made for one container (`-v /ctr`), so `rm -v` may delete it.
const anonymousMarker = "anonymous"

// Store is the volumes directory of one user. Its methods are safe to call
// from several processes at once: creation is idempotent mkdir.
type Store struct {
	dir string
}

// New returns the store rooted at dir (<data dir>/volumes); nothing is
// created until a volume is.
func New(dir string) *Store { return &Store{dir: dir} }

// ValidateName reports whether name is a valid volume name.
func ValidateName(name string) error {
	if !validName.MatchString(name) {
		return api.Errorf(api.ErrInvalidArgument, "use letters, digits, '_', '.' and '-', starting with a letter or digit",
			"invalid volume name %q", name)
	}
	return nil
}

// Create makes volume name if it does not exist and returns the directory
// a container mounts. It is idempotent.
func (s *Store) Create(name string) (string, error) {
	return s.create(name, false)
}

// CreateAnonymous is Create for a volume owned by one container.
func (s *Store) CreateAnonymous(name string) (string, error) {
	return s.create(name, true)
}

func (s *Store) create(name string, anonymous bool) (string, error) {
	if err := ValidateName(name); err != nil {
		return "", err
	}
	data := filepath.Join(s.dir, name, "_data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return "", fmt.Errorf("failed to create volume %s: %w", name, err)
	}
	if anonymous {
		f, err := os.OpenFile(filepath.Join(s.dir, name, anonymousMarker), os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return "", fmt.Errorf("failed to mark volume %s anonymous: %w", name, err)
		}
		f.Close()
	}
	return data, nil
}

// Path returns the data directory of an existing volume, or an error of
// kind api.ErrNotFound.
func (s *Store) Path(name string) (string, error) {
	if err := ValidateName(name); err != nil {
		return "", err
	}
	data := filepath.Join(s.dir, name, "_data")
	if _, err := os.Stat(data); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", api.Errorf(api.ErrNotFound, "see `rrun volume ls`", "no such volume: %s", name)
		}
		return "", fmt.Errorf("failed to find volume %s: %w", name, err)
	}
	return data, nil
}

// IsAnonymous reports whether volume name was made by CreateAnonymous.
func (s *Store) IsAnonymous(name string) bool {
	if ValidateName(name) != nil {
		return false
	}
	_, err := os.Stat(filepath.Join(s.dir, name, anonymousMarker))
	return err == nil
}

// List returns the names of all volumes, sorted.
func (s *Store) List() ([]string, error) {
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to list volumes in %s: %w", s.dir, err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && validName.MatchString(e.Name()) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// Remove deletes volume name and its files; a missing volume is
// api.ErrNotFound. Files of subordinate ids can only be removed inside the
// session's user namespace: call it there. It does not know which
// containers use the volume; the caller checks.
func (s *Store) Remove(name string) error {
	if _, err := s.Path(name); err != nil {
		return err
	}
	if err := os.RemoveAll(filepath.Join(s.dir, name)); err != nil {
		return fmt.Errorf("failed to remove volume %s: %w", name, err)
	}
	return nil
}
