package storage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	cstore "go.podman.io/storage"
	"go.podman.io/storage/pkg/archive"
	"go.podman.io/storage/pkg/idtools"
	"go.podman.io/storage/types"

	"github.com/rrun-project/rrun/plugins/api"
)

// Layer names of id-mapped root filesystems. A keep-id container on a
// driver that cannot shift ids at mount time gets a writable layer named
// keepIDRootfsPrefix+container on top of mapped copies of the image's
// layers; each copy is named idmapLayerPrefix+<maps>:<layer> and made once
// per layer and mapping, then shared by every container and image that
// needs it.
const (
	keepIDRootfsPrefix = "rrun-idmap-rootfs:"
	idmapLayerPrefix   = "rrun-idmap:"
)

// Ways of giving a container the image's owners, as `rrun info` says them.
const (
	IDMapFuse     = "fuse-overlayfs uidmapping/gidmapping (no copy)"
	IDMapMounts   = "idmapped mounts (no copy)"
	IDMapCopies   = "mapped copy of each layer, made once per layer and mapping"
	idmapMechFile = "idmap-mechanism" // in the graph root: the last one used
	// IDMapOptionCopy is Options.IDMap's value for mapped copies always.
	IDMapOptionCopy = "copy"
)

// PrepareMappedRootfs implements api.IDMappedRootfs: shifting at mount time
// where the driver can (fuse-overlayfs uidmapping, idmapped mounts), else
// mapped copies of the layers, made once and reused.
func (s *Store) PrepareMappedRootfs(ctx context.Context, containerID, ref string, uidMap, gidMap []api.IDMap) ([]api.Mount, error) {
	if containerID == "" {
		return nil, api.Errorf(api.ErrInvalidArgument, "", "a container needs an id")
	}
	st, err := s.open()
	if err != nil {
		return nil, err
	}
	uids, gids := toIDTools(uidMap), toIDTools(gidMap)
	mech := s.idmapMechanism(st, uids, gids)
	var dir string
	switch {
	case mech == IDMapCopies:
		dir, err = s.mountMappedCopy(st, s.opts.GraphRoot, containerID, ref, uids, gids)
	case mech == IDMapFuse && s.opts.Driver == DriverOverlay:
		if top, ok := readyCopies(st, ref, uids, gids); ok {
			mech = IDMapOverlayCopies
			dir, err = s.mountOnCopies(st, containerID, func() (string, error) { return top, nil })
			break
		}
		var fst cstore.Store
		if fst, err = s.fuseStore(); err == nil {
			dir, err = mountShifted(fst, containerID, ref, uids, gids)
		}
		if err == nil {
			s.requestCopies(st, ref, uidMap, gidMap)
		}
	default:
		dir, err = mountShifted(st, containerID, ref, uids, gids)
	}
	if err != nil {
		return nil, err
	}
	_ = os.WriteFile(filepath.Join(s.opts.GraphRoot, idmapMechFile), []byte(mech+"\n"), 0o644) // for rrun info only
	return []api.Mount{{Type: "bind", Source: dir, Target: "/", Options: []string{"rbind", "rw"}}}, nil
}

// IDMapMechanism is what the last keep-id container of the store in
// graphRoot used ("" before the first).
func IDMapMechanism(graphRoot string) string {
	b, _ := os.ReadFile(filepath.Join(graphRoot, idmapMechFile))
	return strings.TrimSpace(string(b))
}

// idmapMechanism picks the cheapest way the store offers: ids shifted at
// mount time by fuse-overlayfs (the fuse-overlayfs store, or an overlay
// store's fuse view) or by an idmapped mount, else mapped layer copies.
func (s *Store) idmapMechanism(st cstore.Store, uids, gids []idtools.IDMap) string {
	if s.opts.IDMap == IDMapOptionCopy {
		return IDMapCopies
	}
	if s.fuseMountable() {
		return IDMapFuse
	}
	d, err := st.GraphDriver()
	if err != nil || !d.SupportsShifting(uids, gids) {
		return IDMapCopies
	}
	if s.opts.Driver == DriverFuseOverlayfs {
		return IDMapFuse
	}
	return IDMapMounts
}

// mountShifted creates a c/storage container with the maps: the driver
// applies them when it mounts, nothing is copied.
func mountShifted(st cstore.Store, containerID, ref string, uids, gids []idtools.IDMap) (string, error) {
	img, err := resolveImage(st, ref)
	if err != nil {
		return "", err
	}
	c, err := st.Container(containerID)
	if isUnknown(err) {
		opts := &cstore.ContainerOptions{IDMappingOptions: types.IDMappingOptions{UIDMap: uids, GIDMap: gids}}
		c, err = st.CreateContainer("", []string{containerID}, img.ID, "", "", opts)
	}
	if err != nil {
		return "", fmt.Errorf("failed to create the rootfs of container %s: %w", containerID, err)
	}
	dir, err := st.Mount(c.ID, "")
	if err != nil {
		return "", fmt.Errorf("failed to mount the rootfs of container %s: %w", containerID, err)
	}
	return dir, nil
}

// mountMappedCopy mounts containerID's writable layer on the mapped copies
// of the image's layers, making the copies that do not exist yet.
func (s *Store) mountMappedCopy(st cstore.Store, tmpDir, containerID, ref string, uids, gids []idtools.IDMap) (string, error) {
	return s.mountOnCopies(st, containerID, func() (string, error) {
		return mappedImageTop(st, tmpDir, ref, uids, gids)
	})
}

// mountOnCopies mounts containerID's writable layer, made on the layer
// copies returns the first time: this process's spare layer on them when
// it has one (idmap_spare.go), else a new one; then the next spare is
// made.
func (s *Store) mountOnCopies(st cstore.Store, containerID string, copies func() (string, error)) (string, error) {
	name := keepIDRootfsPrefix + containerID
	l, err := st.Layer(name)
	dir, top := "", ""
	if isUnknown(err) {
		if top, err = copies(); err != nil {
			return "", err
		}
		if spare, mounted := s.claimSpareLayer(st, name, top); spare != nil {
			l, dir = spare, mounted
		} else if l, err = st.CreateLayer("", top, []string{name}, "", true, nil); err == nil {
			s.rememberLayer(st, l.ID)
		}
	}
	if err != nil {
		return "", fmt.Errorf("failed to create the rootfs of container %s: %w", containerID, err)
	}
	if dir == "" {
		if dir, err = st.Mount(l.ID, ""); err != nil {
			return "", fmt.Errorf("failed to mount the rootfs of container %s: %w", containerID, err)
		}
	}
	if top != "" {
		s.makeSpareLayerLater(top) // only now: made meanwhile, it would hold the lock the mount waits for
	}
	return dir, nil
}

// mappedImageTop returns the mapped copy of the image's top layer, copying
// each layer from the bottom up that has no copy for these maps yet.
func mappedImageTop(st cstore.Store, tmpDir, ref string, uids, gids []idtools.IDMap) (string, error) {
	img, err := resolveImage(st, ref)
	if err != nil {
		return "", err
	}
	chain, err := layerChain(st, img.TopLayer)
	if err != nil {
		return "", err
	}
	key, parent := mapsKey(uids, gids), ""
	for _, l := range chain {
		if parent, err = mappedLayer(st, tmpDir, l.ID, parent, key, uids, gids); err != nil {
			return "", err
		}
	}
	return parent, nil
}

// mappedLayer returns the copy of layer id for key on parent, making it
// from the layer's diff with its owners shifted when there is none.
func mappedLayer(st cstore.Store, tmpDir, id, parent, key string, uids, gids []idtools.IDMap) (string, error) {
	name := idmapLayerPrefix + key + ":" + id
	if l, err := st.Layer(name); err == nil {
		return l.ID, nil
	}
	diff, err := mappedDiff(st, tmpDir, id, idtools.NewIDMappingsFromMaps(uids, gids))
	if err != nil {
		return "", err
	}
	defer diff.Close()
	// The owners are mapped in the tar (mapTar), not by PutLayer: a driver
	// that can shift at mount time would store them unmapped, and a layer
	// recording maps makes c/storage chown the image back into every
	// writable layer made on it.
	l, _, err := st.PutLayer("", parent, []string{name}, "", false, nil, diff)
	if errors.Is(err, cstore.ErrDuplicateName) { // another rrun made it meanwhile
		if l, err = st.Layer(name); err == nil {
			return l.ID, nil
		}
	}
	if err != nil {
		return "", fmt.Errorf("failed to make the id-mapped copy of layer %s: %w", id, err)
	}
	return l.ID, nil
}

// mappedDiff is layer id's uncompressed diff, its owners mapped by m: read
// without the store's lock where the layer has a diff directory to read
// (idmap_source.go), else through a temporary file in tmpDir (the stream
// Diff returns holds the layer store's lock, which PutLayer needs).
func mappedDiff(st cstore.Store, tmpDir, id string, m *idtools.IDMappings) (io.ReadCloser, error) {
	if src, ok := findLayerSource(st, id); ok {
		return src.mappedTar(st, m)
	}
	return diffToFile(st, tmpDir, id, m)
}

// diffToFile writes layer id's uncompressed diff, its owners mapped by m,
// into a nameless temporary file and returns it rewound.
func diffToFile(st cstore.Store, tmpDir, id string, m *idtools.IDMappings) (*os.File, error) {
	unc := archive.Uncompressed
	rc, err := st.Diff("", id, &cstore.DiffOptions{Compression: &unc})
	if err != nil {
		return nil, fmt.Errorf("failed to read layer %s: %w", id, err)
	}
	defer rc.Close()
	f, err := os.CreateTemp(tmpDir, ".idmap-")
	if err == nil {
		os.Remove(f.Name()) // open, nameless: a killed copier leaves nothing
		if err = mapTar(f, rc, m, nil); err == nil {
			_, err = f.Seek(0, io.SeekStart)
		}
		if err != nil {
			f.Close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read layer %s: %w", id, err)
	}
	return f, nil
}

// mapsKey names a pair of maps in layer names.
func mapsKey(uids, gids []idtools.IDMap) string {
	h := sha256.Sum256(fmt.Appendf(nil, "%v/%v", uids, gids))
	return hex.EncodeToString(h[:6])
}

func toIDTools(ms []api.IDMap) []idtools.IDMap {
	out := make([]idtools.IDMap, 0, len(ms))
	for _, m := range ms {
		out = append(out, idtools.IDMap{ContainerID: int(m.ContainerID), HostID: int(m.HostID), Size: int(m.Size)})
	}
	return out
}

// removeOrphanCopies deletes the mapped copies of layers that no longer
// exist, top first (a copy with a child cannot go before it), and the
// background copies' state of images that are gone. A copy still under a
// container's layer stays: DeleteLayer refuses it.
func removeOrphanCopies(st cstore.Store, graphRoot string) {
	defer forgetCopies(st, graphRoot)
	layers, err := st.Layers()
	if err != nil {
		return
	}
	exists := map[string]bool{}
	for _, l := range layers {
		exists[l.ID] = true
	}
	for removed := true; removed; {
		removed = false
		for _, l := range layers {
			src, ok := copySource(l)
			if !ok || exists[src] || !exists[l.ID] {
				continue
			}
			if st.DeleteLayer(l.ID) == nil {
				exists[l.ID], removed = false, true
			}
		}
	}
}

// copySource is the layer a mapped copy was made from.
func copySource(l cstore.Layer) (string, bool) {
	for _, n := range l.Names {
		if rest, ok := strings.CutPrefix(n, idmapLayerPrefix); ok {
			_, src, ok := strings.Cut(rest, ":")
			return src, ok
		}
	}
	return "", false
}
