package cstorage

import (
	"context"
	"errors"
	"fmt"

	"github.com/rrun-project/rrun/plugins/api"
	"github.com/rrun-project/rrun/storage"
)

// The api.ImageManager methods hand over to storage.Store; see the
// contract in plugins/api/storage.go.

func (b *Backend) Pull(ctx context.Context, ref string, o api.TransferOptions, progress func(api.LayerProgress)) (api.Image, error) {
	st, err := b.get()
	if err != nil {
		return api.Image{}, err
	}
	return st.Pull(ctx, ref, o, progress)
}

func (b *Backend) Push(ctx context.Context, image, dest string, o api.TransferOptions, progress func(api.LayerProgress)) (string, error) {
	st, err := b.get()
	if err != nil {
		return "", err
	}
	return st.Push(ctx, image, dest, o, progress)
}

func (b *Backend) Save(ctx context.Context, path, format string, refs []string) error {
	st, err := b.get()
	if err != nil {
		return err
	}
	return st.Save(ctx, path, format, refs)
}

func (b *Backend) Import(ctx context.Context, path, ref string) (api.Image, error) {
	st, err := b.get()
	if err != nil {
		return api.Image{}, err
	}
	return st.Import(ctx, path, ref)
}

func (b *Backend) Tag(ctx context.Context, image, name string) error {
	st, err := b.get()
	if err != nil {
		return err
	}
	return st.Tag(ctx, image, name)
}

func (b *Backend) RemoveImage(ctx context.Context, ref string, force bool) (api.RemovedImage, error) {
	st, err := b.get()
	if err != nil {
		return api.RemovedImage{}, err
	}
	return st.RemoveImage(ctx, ref, force)
}

func (b *Backend) Prune(ctx context.Context, all bool) (api.PruneReport, error) {
	st, err := b.get()
	if err != nil {
		return api.PruneReport{}, err
	}
	return st.Prune(ctx, all)
}

func (b *Backend) Usage(ctx context.Context) (api.StorageUsage, error) {
	st, err := b.get()
	if err != nil {
		return api.StorageUsage{}, err
	}
	return st.Usage(ctx)
}

// ProbeDriver picks the default built-in backend for a store under dir
// and says why (see storage.ProbeDriver). rrun calls it once per
// filesystem and caches the answer.
func ProbeDriver(dir string) (name, why string) { return storage.ProbeDriver(dir) }

// KeepIDOwners says how a --userns=keep-id container of a store in
// graphRoot with driver and backend options gets the image's owners: what
// the last one used, or what the store will try before the first (in
// PrepareMappedRootfs's order).
func KeepIDOwners(graphRoot, driver string, options map[string]string) string {
	if m := storage.IDMapMechanism(graphRoot); m != "" {
		return m + copiesNote(graphRoot)
	}
	switch {
	case options["idmap"] == storage.IDMapOptionCopy:
		return storage.IDMapCopies + " (idmap = \"copy\"; not used yet)"
	case driver == storage.DriverFuseOverlayfs:
		return storage.IDMapFuse + " (not used yet)"
	case driver == storage.DriverOverlay && storage.FuseUsable():
		return storage.IDMapFuse + " (not used yet)"
	case driver == storage.DriverOverlay:
		return storage.IDMapMounts + " where the kernel allows them rootless, else " + storage.IDMapCopies + " (probed at the first keep-id run)"
	}
	return storage.IDMapCopies + " (not used yet)"
}

// PendingCopies lists the keep-id layer copy requests of the store in
// graphRoot that no copier is working on (see storage.MakeCopies).
func PendingCopies(graphRoot string) []string { return storage.PendingCopies(graphRoot) }

// MakePendingCopies makes the mapped layer copies asked for in the store
// in graphRoot. Call inside a session.
func MakePendingCopies(graphRoot string) error {
	var errs []error
	for _, w := range storage.PendingCopies(graphRoot) {
		errs = append(errs, storage.MakeCopies(w))
	}
	return errors.Join(errs...)
}

// copiesNote says how far the background copies for native overlay are;
// requests no copier works on (its copier was killed) wait for the next
// keep-id run, which starts one.
func copiesNote(graphRoot string) string {
	ready, wanted := storage.CopiesState(graphRoot)
	if ready == 0 && wanted == 0 {
		return ""
	}
	waiting := min(len(storage.PendingCopies(graphRoot)), wanted)
	note := fmt.Sprintf("; mapped copies for native overlay: ready for %d image(s), being made for %d", ready, wanted-waiting)
	if waiting > 0 {
		note += fmt.Sprintf(", waiting for the next keep-id run for %d", waiting)
	}
	return note
}
