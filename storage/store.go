package storage

import (
	"errors"
	"fmt"
	"os"
	"sync"

	cstore "go.podman.io/storage"

	"github.com/rrun-project/rrun/plugins/api"
)

// Driver names accepted in Options.Driver.
const (
	DriverVFS           = "vfs"
	DriverOverlay       = "overlay"
	DriverFuseOverlayfs = "fuse-overlayfs" // overlay with a FUSE mount program
)

// FuseOverlayfsProgram is the mount program used by DriverFuseOverlayfs.
var FuseOverlayfsProgram = "/usr/bin/fuse-overlayfs"

// Options say where a store lives and how it is laid out.
type Options struct {
	GraphRoot string // persistent: layers, images, containers
	RunRoot   string // volatile: locks, mount counts
	Driver    string // DriverVFS, DriverOverlay or DriverFuseOverlayfs
	// SingleIDMapping is set when the session maps only one uid: layers
	// then load with every file owned by root instead of failing to chown.
	SingleIDMapping bool
	// AdditionalImageStores are read-only graph roots of other stores (of
	// the same driver, e.g. on a shared filesystem) whose images are used
	// without copying: c/storage's additionalimagestores.
	AdditionalImageStores []string
	// IDMap "copy" gives keep-id containers mapped layer copies even where
	// fuse-overlayfs could shift ids (native speed after the first run);
	// "" picks the cheapest (see idmap.go).
	IDMap string
}

// Store is an image and container-rootfs store. The underlying
// c/storage store is opened on first use, so a verb that needs no image
// pays nothing. A Store is safe for concurrent use.
type Store struct {
	opts  Options
	mu    sync.Mutex
	store cstore.Store
	fuse  cstore.Store // the fuse-overlayfs view for keep-id (idmap_fuse.go)
	tmp   *os.File     // this process's locked temporary dir (see tmp.go)
	// removals are the background removals in flight (rootfs_background.go).
	removals sync.WaitGroup
	spareMu  sync.Mutex  // held while a spare is made or claimed (rootfs_spare.go)
	claimMu  sync.Mutex  // held while a recycled spare is claimed (rootfs_spare.go)
	pristine pristine    // the upper roots of the volatile containers made here (rootfs_recycle.go)
	configs  configCache // image configs read for PrepareImageRootfs
}

// New checks opts and returns a Store; it does no I/O.
func New(opts Options) (*Store, error) {
	if opts.GraphRoot == "" || opts.RunRoot == "" {
		return nil, api.Errorf(api.ErrInvalidArgument, "", "storage needs a graph root and a run root")
	}
	if _, _, err := driverConfig(opts); err != nil {
		return nil, err
	}
	return &Store{opts: opts}, nil
}

// driverConfig turns Options into c/storage's driver name and options.
func driverConfig(opts Options) (string, []string, error) {
	var name string
	var dopts []string
	switch opts.Driver {
	case DriverVFS, DriverOverlay:
		name = opts.Driver
	case DriverFuseOverlayfs:
		name = DriverOverlay
		dopts = append(dopts, "overlay.mount_program="+FuseOverlayfsProgram)
	default:
		return "", nil, api.Errorf(api.ErrInvalidArgument, "use vfs, overlay or fuse-overlayfs",
			"unknown storage driver %q", opts.Driver)
	}
	if opts.SingleIDMapping {
		dopts = append(dopts, name+".ignore_chown_errors=true")
	}
	for _, p := range opts.AdditionalImageStores {
		dopts = append(dopts, name+".imagestore="+p)
	}
	return name, dopts, nil
}

// open returns the c/storage store, opening it the first time.
func (s *Store) open() (cstore.Store, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.store != nil {
		return s.store, nil
	}
	name, dopts, err := driverConfig(s.opts)
	if err != nil {
		return nil, err
	}
	get := func() (cstore.Store, error) {
		return cstore.GetStore(cstore.StoreOptions{
			GraphRoot:          s.opts.GraphRoot,
			RunRoot:            s.opts.RunRoot,
			GraphDriverName:    name,
			GraphDriverOptions: dopts,
		})
	}
	var st cstore.Store
	if s.opts.Driver == DriverOverlay {
		st, err = openOverlay(s.opts.GraphRoot, get)
	} else {
		st, err = get()
	}
	if err != nil {
		return nil, api.Errorf(api.ErrFailedPrecondition, "run `rrun doctor`, or pick another storage driver",
			"failed to open %s storage in %s: %s", s.opts.Driver, s.opts.GraphRoot, oneLine(err))
	}
	s.store = st
	s.removeStaleTmp()
	s.finishJournalLater()
	s.dropDeadSparesLater(st)
	return st, nil
}

// Close unmounts everything this store mounted and releases it. The
// Store must not be used afterwards.
func (s *Store) Close() error {
	s.removals.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.store == nil {
		return nil
	}
	s.releaseTmp()
	s.closeFuse()
	_, err := s.store.Shutdown(true)
	if errors.Is(err, cstore.ErrLayerUsedByContainer) {
		// Shutdown unmounted the layers but reports that it had to; the
		// second round releases the driver.
		_, err = s.store.Shutdown(true)
	}
	s.store = nil
	if err != nil {
		return fmt.Errorf("failed to shut down storage in %s: %w", s.opts.GraphRoot, err)
	}
	return nil
}
