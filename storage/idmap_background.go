package storage

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	cstore "go.podman.io/storage"
	"go.podman.io/storage/pkg/idtools"
	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/plugins/api"
)

// An overlay store with a usable /dev/fuse mounts the first keep-id
// container of an image through fuse-overlayfs (no copy: a plain run's
// start), and asks for mapped copies of the image's layers for that
// mapping. The copies are made later by a detached, niced `rrun
// idmap-copy` (it must outlive the session of the run that asked), layer by
// layer with PutLayer, whose layer appears under its name only once
// complete: a copier killed midway leaves c/storage's staging dir, which
// c/storage cleans, and no named copy. Once every layer has its copy, later
// keep-id containers get native overlay over the copies (mountOnCopies).
//
// State in GRAPHROOT/idmap-copies, one pair of files per (image, maps):
//   IMAGE-KEY.want   a CopyRequest (JSON); removed once the copies exist
//   IMAGE-KEY.ready  the copies exist
//   IMAGE-KEY.lock   flock'ed by the copier at work (a dead one holds none)
// The files are hints for `rrun info` and the copier; whether a container
// can use the copies is decided from the layers themselves.

// IDMapOverlayCopies is the mechanism of a keep-id container mounted by
// native overlay over the mapped copies made in the background.
const IDMapOverlayCopies = "native overlay over mapped copies of each layer (made in the background after the first fuse-overlayfs uidmapping run)"

const (
	copiesDir          = "idmap-copies"
	copyRequestVersion = 1
)

// CopyRequest asks for the mapped copies of Image's layers for one pair of
// maps (the container's, in session ids). It lands on disk: versioned.
type CopyRequest struct {
	Version int
	Store   Options // GraphRoot, RunRoot, Driver, AdditionalImageStores
	Image   string  // image ID
	UIDMap  []api.IDMap
	GIDMap  []api.IDMap
}

// readyCopies returns the mapped copy of ref's top layer when every layer
// of the image has its copy for these maps.
func readyCopies(st cstore.Store, ref string, uids, gids []idtools.IDMap) (string, bool) {
	img, err := resolveImage(st, ref)
	if err != nil {
		return "", false
	}
	chain, err := layerChain(st, img.TopLayer)
	if err != nil {
		return "", false
	}
	key, top := mapsKey(uids, gids), ""
	for _, l := range chain {
		c, err := st.Layer(idmapLayerPrefix + key + ":" + l.ID)
		if err != nil || c.Flags["incomplete"] != nil || c.Parent != top {
			return "", false
		}
		top = c.ID
	}
	return top, top != ""
}

// requestCopies records that ref's layers want copies for these maps,
// unless they are asked for or made already.
func (s *Store) requestCopies(st cstore.Store, ref string, uidMap, gidMap []api.IDMap) {
	img, err := resolveImage(st, ref)
	if err != nil {
		return
	}
	base := copyStatePath(s.opts.GraphRoot, img.ID, mapsKey(toIDTools(uidMap), toIDTools(gidMap)))
	if exists(base + ".want") {
		return
	}
	os.Remove(base + ".ready") // stale: the copies are not all there
	req := CopyRequest{Version: copyRequestVersion, Image: img.ID, UIDMap: uidMap, GIDMap: gidMap,
		Store: Options{GraphRoot: s.opts.GraphRoot, RunRoot: s.opts.RunRoot, Driver: s.opts.Driver,
			AdditionalImageStores: s.opts.AdditionalImageStores}}
	b, err := json.Marshal(req)
	if err == nil {
		_ = writeAtomic(base+".want", b) // a hint: the next keep-id run asks again
	}
}

// PendingCopies lists the copy requests of the store in graphRoot that no
// copier is working on.
func PendingCopies(graphRoot string) []string {
	wants, _ := filepath.Glob(filepath.Join(graphRoot, copiesDir, "*.want"))
	var out []string
	for _, w := range wants {
		if !lockBusy(strings.TrimSuffix(w, ".want") + ".lock") {
			out = append(out, w)
		}
	}
	return out
}

// CopiesState counts the images of the store in graphRoot whose mapped
// copies are ready and those still wanted (being made, or waiting for the
// next copier).
func CopiesState(graphRoot string) (ready, wanted int) {
	r, _ := filepath.Glob(filepath.Join(graphRoot, copiesDir, "*.ready"))
	w, _ := filepath.Glob(filepath.Join(graphRoot, copiesDir, "*.want"))
	return len(r), len(w)
}

// MakeCopies makes the copies one request file asks for, unless another
// copier is at it. Run inside a session, at low priority: it reads and
// writes whole layers.
func MakeCopies(want string) error {
	base := strings.TrimSuffix(want, ".want")
	lock, err := os.OpenFile(base+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("failed to lock %s: %w", base, err)
	}
	defer lock.Close()
	if unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil {
		return nil // another copier has it
	}
	req, err := readCopyRequest(want)
	if err != nil || req == nil {
		return err
	}
	s, err := New(req.Store)
	if err != nil {
		return err
	}
	defer s.Close()
	st, err := s.open()
	if err != nil {
		return err
	}
	_, err = mappedImageTop(st, req.Store.GraphRoot, req.Image, toIDTools(req.UIDMap), toIDTools(req.GIDMap))
	removeOrphanCopies(st, req.Store.GraphRoot) // the image may have gone meanwhile
	if _, gone := st.Image(req.Image); gone != nil {
		os.Remove(want) // nothing is left of the image: no state either
		os.Remove(base + ".lock")
		return nil
	}
	if err != nil {
		return err
	}
	if err := writeAtomic(base+".ready", nil); err != nil {
		return err
	}
	return os.Remove(want)
}

func readCopyRequest(want string) (*CopyRequest, error) {
	b, err := os.ReadFile(want)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil // done by another copier meanwhile
	}
	var req CopyRequest
	if err == nil {
		err = json.Unmarshal(b, &req)
	}
	if err == nil && req.Version != copyRequestVersion {
		err = fmt.Errorf("version %d, not %d", req.Version, copyRequestVersion)
	}
	if err != nil {
		os.Remove(want) // unreadable: the next keep-id run asks again
		return nil, fmt.Errorf("failed to read copy request %s: %w", want, err)
	}
	return &req, nil
}

// forgetCopies removes the state files of images that are gone.
func forgetCopies(st cstore.Store, graphRoot string) {
	files, _ := filepath.Glob(filepath.Join(graphRoot, copiesDir, "*-*.*"))
	for _, f := range files {
		img, _, _ := strings.Cut(filepath.Base(f), "-")
		if _, err := st.Image(img); isUnknown(err) && !lockBusy(f) {
			os.Remove(f)
		}
	}
}

func copyStatePath(graphRoot, imageID, key string) string {
	return filepath.Join(graphRoot, copiesDir, imageID+"-"+key)
}

// lockBusy reports whether a live process holds the flock on path.
func lockBusy(path string) bool {
	if !strings.HasSuffix(path, ".lock") {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	if unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB) != nil {
		return true
	}
	_ = unix.Flock(int(f.Fd()), unix.LOCK_UN) // closing unlocks too
	return false
}

func writeAtomic(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-")
	if err != nil {
		return err
	}
	_, err = tmp.Write(b)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
