package container

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/rrun-project/rrun/plugins/api"
)

// EnsureImage applies --pull: "always" pulls, "missing" (the default) pulls
// only when ref is not in the store, "never" never does. progress gets one
// line per layer event. A backend that cannot pull leaves a missing image
// missing (the caller's InspectImage says so).
func EnsureImage(ctx context.Context, s api.Storage, ref, policy string, progress func(string)) error {
	if policy == "never" {
		return nil
	}
	if policy != "always" {
		_, err := s.InspectImage(ctx, ref)
		if err == nil || !errors.Is(err, api.ErrNotFound) {
			return nil
		}
	}
	im, ok := s.(api.ImageManager)
	if !ok || !canPull(ctx, s) {
		return nil
	}
	_, err := im.Pull(ctx, ref, api.TransferOptions{}, func(p api.LayerProgress) {
		if p.Status != "" {
			progress(fmt.Sprintf("%s: %s", shortDigest(p.ID), p.Status))
		}
	})
	if err != nil {
		return fmt.Errorf("failed to pull %s: %w", ref, err)
	}
	return nil
}

func canPull(ctx context.Context, s api.Storage) bool {
	info, err := s.Info(ctx)
	return err == nil && slices.Contains(info.Capabilities, api.CapStoragePull)
}

func shortDigest(d string) string {
	if len(d) > 19 {
		return d[7:19]
	}
	return d
}
