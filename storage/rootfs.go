package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	cstore "go.podman.io/storage"

	"github.com/rrun-project/rrun/plugins/api"
)

// PrepareRootfs creates a c/storage container named containerID from the
// image ref resolves to (or re-uses the one that exists), mounts it in
// this process's mount namespace and returns a bind descriptor of the
// mounted directory. It is idempotent for one container and image.
func (s *Store) PrepareRootfs(ctx context.Context, containerID, ref string) ([]api.Mount, error) {
	return s.prepareRootfs(containerID, ref, false)
}

// PrepareVolatileRootfs is PrepareRootfs for a container that is removed
// when it ends (--rm; see api.VolatileRootfs): c/storage's volatile
// container, as podman's --rm, keeps its layer record without fsync and
// mounts overlay with "volatile", so that unmounting it does not sync the
// whole filesystem under the store.
func (s *Store) PrepareVolatileRootfs(ctx context.Context, containerID, ref string) ([]api.Mount, error) {
	return s.prepareRootfs(containerID, ref, true)
}

// PrepareImageRootfs resolves ref and prepares containerID's rootfs from
// that image in one call; see api.ImageRootfs. The image's size is not
// measured (-1): it would take the layer store's lock, which a background
// removal may hold.
func (s *Store) PrepareImageRootfs(ctx context.Context, containerID, ref string, volatile bool) (api.ImageDetail, []api.Mount, error) {
	if containerID == "" {
		return api.ImageDetail{}, nil, api.Errorf(api.ErrInvalidArgument, "", "a container needs an id")
	}
	st, err := s.open()
	if err != nil {
		return api.ImageDetail{}, nil, err
	}
	t0 := time.Now()
	img, err := resolveImage(st, ref)
	if err != nil {
		return api.ImageDetail{}, nil, err
	}
	cfg, err := s.configs.config(st, img)
	if err != nil {
		return api.ImageDetail{}, nil, err
	}
	api.TraceSince("storage: image resolved", t0)
	mounts, err := s.prepareImage(st, containerID, img, volatile)
	if err != nil {
		return api.ImageDetail{}, nil, err
	}
	d := api.ImageDetail{Image: apiImage(img, -1), ConfigJSON: cfg, TopLayer: img.TopLayer}
	return d, mounts, nil
}

func (s *Store) prepareRootfs(containerID, ref string, volatile bool) ([]api.Mount, error) {
	if containerID == "" {
		return nil, api.Errorf(api.ErrInvalidArgument, "", "a container needs an id")
	}
	st, err := s.open()
	if err != nil {
		return nil, err
	}
	img, err := resolveImage(st, ref)
	if err != nil {
		return nil, err
	}
	return s.prepareImage(st, containerID, img, volatile)
}

// prepareImage prepares containerID's rootfs from img and mounts it.
func (s *Store) prepareImage(st cstore.Store, containerID string, img *cstore.Image, volatile bool) ([]api.Mount, error) {
	t0 := time.Now()
	c, dir, fresh, err := s.containerFor(st, containerID, img, volatile)
	if err != nil {
		return nil, err
	}
	api.TraceSince("storage: rootfs created", t0)
	if dir == "" {
		if dir, err = st.Mount(c.ID, ""); err != nil {
			return nil, fmt.Errorf("failed to mount the rootfs of container %s: %w", containerID, err)
		}
	}
	api.TraceSince("storage: rootfs mounted", t0)
	if fresh {
		// Only now: made meanwhile, the spare would hold the layer
		// store's lock that this mount waits for. Only after a new
		// container: a prepare of one that exists (start, cp) says
		// nothing of the next run.
		s.makeSpareLater(c.ImageID, volatile)
	}
	return []api.Mount{{Type: "bind", Source: dir, Target: "/", Options: []string{"rbind", "rw"}}}, nil
}

// containerFor returns containerID's c/storage container, creating it
// from img when there is none yet (fresh), and its mounted directory when
// it is mounted already.
// A new one is this process's spare of the image when it has one
// (rootfs_spare.go): mounted in advance, as a rule.
func (s *Store) containerFor(st cstore.Store, containerID string, img *cstore.Image, volatile bool) (c *cstore.Container, dir string, fresh bool, err error) {
	// Look first: a failed CreateContainer of a taken name costs a layer.
	c, err = st.Container(containerID)
	if isUnknown(err) {
		if spare, dir := s.claimSpare(st, containerID, img.ID, volatile); spare != nil {
			return spare, dir, true, nil
		}
		fresh = true
		c, err = st.CreateContainer("", []string{containerID}, img.ID, "", "", &cstore.ContainerOptions{Volatile: volatile})
		if errors.Is(err, cstore.ErrDuplicateName) { // created meanwhile
			fresh = false
			c, err = st.Container(containerID)
		} else if err == nil {
			s.remember(st, c)
		}
	}
	if err == nil && c.ImageID != img.ID {
		return nil, "", false, api.Errorf(api.ErrAlreadyExists, "remove it first",
			"container %s already has a rootfs from image %s", containerID, c.ImageID)
	}
	if err != nil {
		return nil, "", false, fmt.Errorf("failed to create the rootfs of container %s: %w", containerID, err)
	}
	return c, "", fresh, nil
}

// ReleaseRootfs unmounts the container's rootfs, however many times it was
// prepared. An unknown or unmounted container is not an error.
func (s *Store) ReleaseRootfs(ctx context.Context, containerID string) error {
	st, err := s.open()
	if err != nil {
		return err
	}
	return unmount(s.mountStoreFor(st, containerID), containerID)
}

func unmount(st cstore.Store, containerID string) error {
	id := ""
	if c, err := st.Container(containerID); err == nil {
		id = c.ID
	} else if !isUnknown(err) {
		return fmt.Errorf("failed to find container %s: %w", containerID, err)
	} else if l := extraRootfsLayer(st, containerID); l != nil {
		id = l.ID
	}
	if id == "" {
		return nil
	}
	n, err := st.Mounted(id)
	if err != nil || n == 0 {
		return nil
	}
	if _, err := st.Unmount(id, true); err != nil && !isUnknown(err) && !errors.Is(err, cstore.ErrLayerNotMounted) {
		return fmt.Errorf("failed to unmount the rootfs of container %s: %w", containerID, err)
	}
	return nil
}

// RemoveRootfs unmounts and deletes the container's rootfs (or recycles
// it). An unknown container is not an error. It frees the space also on a full disk: the
// files the container wrote go first, then the metadata is updated.
func (s *Store) RemoveRootfs(ctx context.Context, containerID string) error {
	// A --rm container this process made becomes its image's next spare
	// instead (rootfs_recycle.go): its upper dir is emptied all the same.
	if s.recycle(containerID) {
		return nil
	}
	st, err := s.open()
	if err != nil {
		return err
	}
	c, err := st.Container(containerID)
	if isUnknown(err) {
		if s.recycleKeepIDLayer(st, containerID) {
			return nil
		}
		return removeBuildLayer(st, containerID)
	}
	if err != nil {
		return fmt.Errorf("failed to find container %s: %w", containerID, err)
	}
	s.forget(c.LayerID)
	if err := emptyWritableLayer(st, c.LayerID); err != nil {
		return fmt.Errorf("failed to remove the rootfs of container %s: %w", containerID, err)
	}
	if err := unmount(s.mountStoreFor(st, containerID), containerID); err != nil {
		return err
	}
	err = st.DeleteContainer(c.ID)
	if err != nil && !isUnknown(err) {
		return fmt.Errorf("failed to remove the rootfs of container %s: %w", containerID, err)
	}
	return nil
}

// removeBuildLayer deletes containerID's rootfs layer (a build step's, or
// an id-mapped container's), if it has one.
func removeBuildLayer(st cstore.Store, containerID string) error {
	l := extraRootfsLayer(st, containerID)
	if l == nil {
		return nil
	}
	if err := unmount(st, containerID); err != nil {
		return err
	}
	if err := st.DeleteLayer(l.ID); err != nil && !isUnknown(err) {
		return fmt.Errorf("failed to remove the rootfs of %s: %w", containerID, err)
	}
	return nil
}

// extraRootfsLayer is containerID's writable layer when its rootfs is not a
// c/storage container: a build step's, or an id-mapped one (idmap.go).
func extraRootfsLayer(st cstore.Store, containerID string) *cstore.Layer {
	for _, prefix := range []string{buildRootfsPrefix, keepIDRootfsPrefix} {
		if l, err := st.Layer(prefix + containerID); err == nil {
			return l
		}
	}
	return nil
}
