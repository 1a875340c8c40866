package container

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

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

// Run runs one container in the foreground and returns its exit code.
func Run(ctx context.Context, b *Backends, o RunOptions) (int, error) {
	trace.Mark("plugins ready")
	img, err := inspect(ctx, b.Storage, o.Image)
	if err != nil {
		return 0, err
	}
	id := newID()
	mounts, err := b.Storage.PrepareRootfs(ctx, id, img.ID)
	if err != nil {
		return 0, fmt.Errorf("failed to prepare the root filesystem of %s: %w", o.Image, err)
	}
	trace.Mark("rootfs prepared")
	defer releaseRootfs(b.Storage, id, o.Remove)
	return runPrepared(ctx, b, o, id, img, mounts)
}

func runPrepared(ctx context.Context, b *Backends, o RunOptions, id string, img imageInfo, mounts []api.Mount) (int, error) {
	user, err := resolveUser(img.Config.Config.User, mounts)
	if err != nil {
		return 0, err
	}
	spec, err := buildSpec(img.Config, o, id, user)
	if err != nil {
		return 0, err
	}
	specJSON, err := json.Marshal(spec)
	if err != nil {
		return 0, specJSONError(err)
	}
	stdio, closeStdio, err := stdioFor(o.Interactive)
	if err != nil {
		return 0, err
	}
	defer closeStdio()
	if _, err := b.Isolation.Create(ctx, api.CreateRequest{ID: id, SpecJSON: specJSON, Rootfs: mounts, Stdio: stdio}); err != nil {
		return 0, err
	}
	trace.Mark("container created")
	defer func() { _ = b.Isolation.Delete(context.WithoutCancel(ctx), id); trace.Mark("container deleted") }()
	stopSignals := forwardSignals(ctx, b.Isolation, id)
	defer stopSignals()
	if err := b.Isolation.Start(ctx, id); err != nil {
		return 0, startError(err)
	}
	trace.Mark("container started")
	st, err := b.Isolation.Wait(ctx, id, "")
	trace.Mark("container exited")
	if err != nil {
		return 0, fmt.Errorf("failed to wait for container %s: %w", id[:12], err)
	}
	return st.Code, nil
}

func startError(err error) error {
	switch {
	case errors.Is(err, api.ErrCommandNotFound):
		return &ExitError{Code: 127, Err: err}
	case errors.Is(err, api.ErrCommandNotExecutable):
		return &ExitError{Code: 126, Err: err}
	}
	return fmt.Errorf("failed to start the container: %w", err)
}

func releaseRootfs(s api.Storage, id string, remove bool) {
	ctx := context.Background()
	defer trace.Mark("rootfs released")
	if remove {
		_ = s.RemoveRootfs(ctx, id)
		return
	}
	_ = s.ReleaseRootfs(ctx, id)
}

// forwardSignals relays the signals docker forwards to a foreground
// container (rootlesskit relays them from the CLI to the session).
func forwardSignals(ctx context.Context, iso api.Isolation, id string) func() {
	ch := make(chan os.Signal, 16)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT,
		syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH)
	go func() {
		for s := range ch {
			_ = iso.Kill(context.WithoutCancel(ctx), id, "", int(s.(syscall.Signal)))
		}
	}()
	return func() { signal.Stop(ch); close(ch) }
}

type imageInfo struct {
	api.ImageDetail
	Config ocispec.Image
}

func inspect(ctx context.Context, s api.Storage, ref string) (imageInfo, error) {
	d, err := s.InspectImage(ctx, ref)
	if err != nil {
		return imageInfo{}, err
	}
	info := imageInfo{ImageDetail: d}
	if err := json.Unmarshal(d.ConfigJSON, &info.Config); err != nil {
		return imageInfo{}, fmt.Errorf("image %s has an unreadable config: %w", ref, err)
	}
	return info, nil
}

func newID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
