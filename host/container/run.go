package container

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rrun-project/rrun/host/trace"
	"github.com/rrun-project/rrun/plugins/api"
)

// ExitError carries the exit code docker gives a failed start (126, 127).
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// Prepared is a container whose root filesystem is ready and whose runtime
// spec is built: what Create needs.
type Prepared struct {
	ID     string
	Image  ImageInfo
	Mounts []api.Mount
	Spec   *specs.Spec
}

// Prepare resolves the image, prepares the container's root filesystem and
// builds its runtime spec from the image config and the user's options,
// pulling the image first as --pull says (progress gets its lines). On
// error nothing is left prepared.
func Prepare(ctx context.Context, b *Backends, o RunOptions, id string, env SpecEnv, progress func(string)) (*Prepared, error) {
	img, mounts, err := imageAndRootfs(ctx, b, o, id, progress)
	if err != nil {
		return nil, err
	}
	p := &Prepared{ID: id, Image: img, Mounts: mounts}
	env.BackendResources = b.AppliesResources()
	if p.Spec, err = specFor(img, o, id, mounts, env); err != nil {
		_ = b.Storage.ReleaseRootfs(context.WithoutCancel(ctx), id)
		return nil, err
	}
	trace.Mark("spec built")
	return p, nil
}

// imageAndRootfs resolves the image (pulled first as --pull says) and
// prepares the container's root filesystem from it: in one call to a
// storage plugin that can (api.ImageRootfs), else InspectImage then
// PrepareRootfs, as also for an image that is not in the store yet.
func imageAndRootfs(ctx context.Context, b *Backends, o RunOptions, id string, progress func(string)) (ImageInfo, []api.Mount, error) {
	if img, mounts, done, err := prepareFromRef(ctx, b, o, id); done {
		return img, mounts, err
	}
	img, err := inspectOrPull(ctx, b.Storage, o.Image, o.Pull, o.TransferOptions(), progress)
	if err != nil {
		return ImageInfo{}, nil, err
	}
	trace.Mark("image inspected")
	mounts, err := prepareRootfsFor(ctx, b, o, id, img.ID)
	if err != nil {
		return ImageInfo{}, nil, fmt.Errorf("failed to prepare the root filesystem of %s: %w", o.Image, err)
	}
	trace.Mark("rootfs prepared")
	return img, mounts, nil
}

// prepareFromRef is imageAndRootfs in one call (api.ImageRootfs), where
// the plugin announces it and the run neither pulls first nor needs an
// id-mapped rootfs. done is false when the caller must take the long way:
// the plugin cannot, or the image is not there (to pull it, or to say so
// as InspectImage does).
func prepareFromRef(ctx context.Context, b *Backends, o RunOptions, id string) (_ ImageInfo, _ []api.Mount, done bool, _ error) {
	p, ok := b.Storage.(api.ImageRootfs)
	if !ok || o.Pull == "always" || o.UserNS == UserNSKeepID || !b.storageHas(api.CapStoragePrepareImage) {
		return ImageInfo{}, nil, false, nil
	}
	d, mounts, err := p.PrepareImageRootfs(ctx, id, o.Image, o.Remove)
	if errors.Is(err, api.ErrNotFound) {
		return ImageInfo{}, nil, false, nil
	}
	if err != nil {
		return ImageInfo{}, nil, true, fmt.Errorf("failed to prepare the root filesystem of %s: %w", o.Image, err)
	}
	trace.Mark("image inspected and rootfs prepared")
	img, err := decodeImage(d, o.Image)
	if err != nil {
		_ = b.Storage.ReleaseRootfs(context.WithoutCancel(ctx), id) // as after a spec that cannot be built
		return ImageInfo{}, nil, true, err
	}
	return img, mounts, true, nil
}

// prepareRootfsFor prepares a volatile root filesystem for a --rm
// container (see api.VolatileRootfs; a keep-id one stays as it is).
func prepareRootfsFor(ctx context.Context, b *Backends, o RunOptions, id, image string) ([]api.Mount, error) {
	if v, ok := b.Storage.(api.VolatileRootfs); ok && o.Remove && o.UserNS != UserNSKeepID {
		return v.PrepareVolatileRootfs(ctx, id, image)
	}
	return prepareRootfs(ctx, b, o, id, image)
}

func specFor(img ImageInfo, o RunOptions, id string, mounts []api.Mount, env SpecEnv) (*specs.Spec, error) {
	user, err := resolveUser(firstNonEmpty(o.User, img.Config.Config.User), mounts)
	if err != nil {
		return nil, err
	}
	if user, err = addGroups(user, o.GroupAdd, mounts); err != nil {
		return nil, err
	}
	env.rootfs = mounts
	spec, err := buildSpecEnv(img.Config, o, id, user, env)
	if err != nil {
		return nil, err
	}
	if err := applyHostLimits(spec, o, id, env); err != nil {
		return nil, err
	}
	return spec, nil
}

// Create creates the container with the given stdio and returns the pid of
// its init in the session.
func Create(ctx context.Context, b *Backends, p *Prepared, stdio api.Stdio) (int, error) {
	if err := b.checkSeccomp(p.Spec); err != nil {
		return 0, err
	}
	specJSON, err := json.Marshal(p.Spec)
	if err != nil {
		return 0, specJSONError(err)
	}
	trace.Mark("spec encoded")
	pid, err := b.Isolation.Create(ctx, api.CreateRequest{ID: p.ID, SpecJSON: specJSON, Rootfs: p.Mounts, Stdio: stdio})
	trace.Mark("container created")
	if err != nil {
		return 0, commandExitError(err) // OCI runtimes find the command at create
	}
	return pid, nil
}

// commandExitError turns a command that cannot run into an *ExitError with
// docker's 127 or 126; other errors come back as they are.
func commandExitError(err error) error {
	switch {
	case errors.Is(err, api.ErrCommandNotFound):
		return &ExitError{Code: 127, Err: err}
	case errors.Is(err, api.ErrCommandNotExecutable):
		return &ExitError{Code: 126, Err: err}
	}
	return err
}

// Start starts a created container; a command that cannot run becomes an
// *ExitError with docker's 126 or 127.
func Start(ctx context.Context, b *Backends, id string) error {
	err := b.Isolation.Start(ctx, id)
	trace.Mark("container started")
	if err == nil {
		return nil
	}
	if ee := commandExitError(err); ee != err {
		return ee
	}
	return fmt.Errorf("failed to start the container: %w", err)
}

// ReleaseRootfs unmounts the container's root filesystem, or removes it
// when remove is set. Errors are returned for the caller to report.
//
// A warm storage plugin removes it in the background (api.BackgroundRemover):
// it answers once the removal is in its journal, so the caller may drop
// the container's record at once; the plugin, or the next one after its
// death, finishes the removal. A plugin of this command alone would be
// killed with it, so it removes before answering.
func ReleaseRootfs(b *Backends, id string, remove bool) error {
	trace.Mark("releasing rootfs")
	defer trace.Mark("rootfs released")
	if !remove {
		return b.Storage.ReleaseRootfs(context.Background(), id)
	}
	if r, ok := b.Storage.(api.BackgroundRemover); ok && b.warmStorage() {
		return r.RemoveRootfsInBackground(context.Background(), id)
	}
	return b.Storage.RemoveRootfs(context.Background(), id)
}

// ReleaseRootfsNow is ReleaseRootfs removing before it returns, also
// through a warm storage plugin: for a run that failed, which leaves
// nothing once its command returned.
func ReleaseRootfsNow(b *Backends, id string, remove bool) error {
	if !remove {
		return ReleaseRootfs(b, id, false)
	}
	trace.Mark("removing rootfs")
	defer trace.Mark("rootfs removed")
	return b.Storage.RemoveRootfs(context.Background(), id)
}

// ImageInfo is an image with its decoded OCI config.
type ImageInfo struct {
	api.ImageDetail
	Config ocispec.Image
}

// Inspect resolves ref in the store and decodes its config.
func Inspect(ctx context.Context, s api.Storage, ref string) (ImageInfo, error) {
	d, err := s.InspectImage(ctx, ref)
	if err != nil {
		return ImageInfo{}, err
	}
	return decodeImage(d, ref)
}

// decodeImage is d with its config decoded.
func decodeImage(d api.ImageDetail, ref string) (ImageInfo, error) {
	info := ImageInfo{ImageDetail: d}
	if err := json.Unmarshal(d.ConfigJSON, &info.Config); err != nil {
		return ImageInfo{}, fmt.Errorf("image %s has an unreadable config: %w", ref, err)
	}
	return info, nil
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
