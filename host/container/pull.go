package container

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/rrun-project/rrun/plugins/api"
)

// inspectOrPull resolves ref after applying --pull: "always" pulls first,
// "missing" (the default) pulls only when ref is not in the store, "never"
// never does. progress gets one line per layer event. A backend that cannot
// pull leaves a missing image missing (InspectImage's error says so). The
// common case, an image in the store, costs one InspectImage. In a session
// whose network namespace is a container's private one, the pull is made
// outside it (see PullBrokerEnv), so that it sees the host's network.
func inspectOrPull(ctx context.Context, s api.Storage, ref, policy string, opts api.TransferOptions, progress func(string)) (ImageInfo, error) {
	if policy != "always" {
		img, err := Inspect(ctx, s, ref)
		if err == nil || policy == "never" || !errors.Is(err, api.ErrNotFound) {
			return img, err
		}
	}
	if im, ok := s.(api.ImageManager); ok && canPull(ctx, s) {
		if err := pull(ctx, im, ref, opts, progress); err != nil {
			return ImageInfo{}, missingImageError(ref, policy, err)
		}
	}
	return Inspect(ctx, s, ref)
}

func pull(ctx context.Context, im api.ImageManager, ref string, opts api.TransferOptions, progress func(string)) error {
	if broker := os.Getenv(PullBrokerEnv); broker != "" {
		return pullOutside(ctx, broker, PullRequest{Ref: ref, Options: opts})
	}
	_, err := im.Pull(ctx, ref, opts, func(p api.LayerProgress) {
		if p.Status != "" {
			progress(fmt.Sprintf("%s: %s", shortDigest(p.ID), p.Status))
		}
	})
	if err != nil {
		return fmt.Errorf("failed to pull %s: %w", ref, err)
	}
	return nil
}

// missingImageError is one short line for an image that is not in the store
// and whose registry cannot be reached: the image, why, and the fix.
func missingImageError(ref, policy string, err error) error {
	msg := err.Error()
	i := strings.Index(msg, "registry ")
	if policy == "always" || !errors.Is(err, api.ErrUnavailable) || i < 0 {
		return err
	}
	return api.Errorf(api.ErrUnavailable, "load it: rrun load -i FILE, or check the network",
		"image %s not found locally; %s", ref, msg[i:])
}

func canPull(ctx context.Context, s api.Storage) bool {
	return hasCapability(ctx, s, api.CapStoragePull)
}

func hasCapability(ctx context.Context, s api.Storage, capability string) bool {
	info, err := s.Info(ctx)
	return err == nil && slices.Contains(info.Capabilities, capability)
}

func shortDigest(d string) string {
	if len(d) > 19 {
		return d[7:19]
	}
	return d
}
