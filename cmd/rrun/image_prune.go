package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	units "github.com/docker/go-units"

	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/host/session"
	"github.com/rrun-project/rrun/plugins/api"
)

// imagePruneFlags are `image prune`'s options, as docker's.
type imagePruneFlags struct {
	all, force bool
	filters    []string
}

func imagePrune(f imagePruneFlags) error {
	until, err := pruneUntil(f.filters)
	if err != nil {
		return err
	}
	warning := "WARNING! This will remove all dangling images."
	if f.all {
		warning = "WARNING! This will remove all images without at least one container associated to them."
	}
	if !session.Inside() && !f.force && !confirm(warning) {
		return nil
	}
	return inSession(needs{storage: true}, func(ctx context.Context, b *container.Backends) error {
		im, err := imagesOf(ctx, b.Storage, api.CapStorageUsage, "prune")
		if err != nil {
			return err
		}
		var rep api.PruneReport
		if until.IsZero() {
			rep, err = im.Prune(ctx, f.all)
		} else {
			rep, err = pruneOlder(ctx, b.Storage, im, f.all, until)
		}
		var lines []string
		for _, id := range rep.Deleted {
			lines = append(lines, "deleted: sha256:"+id)
		}
		printSection("Deleted Images:", lines)
		fmt.Printf("Total reclaimed space: %s\n", units.HumanSizeWithPrecision(float64(rep.Reclaimed), 3))
		return err
	})
}

// pruneUntil reads docker's until= filter: a duration (24h) before now, or
// a timestamp (RFC 3339, a date, or Unix seconds).
func pruneUntil(filters []string) (time.Time, error) {
	var until time.Time
	for _, f := range filters {
		k, v, _ := strings.Cut(f, "=")
		if k != "until" {
			return until, api.Errorf(api.ErrInvalidArgument, "rrun image prune supports --filter until=DURATION|TIMESTAMP", "invalid filter %q", f)
		}
		if d, err := time.ParseDuration(v); err == nil {
			until = time.Now().Add(-d)
			continue
		}
		t, err := parseTimestamp(v)
		if err != nil {
			return until, err
		}
		until = t
	}
	return until, nil
}

// pruneOlder removes the unused images (unnamed ones unless all) created
// before until, one by one; an image a container uses is kept.
func pruneOlder(ctx context.Context, s api.Storage, im api.ImageManager, all bool, until time.Time) (api.PruneReport, error) {
	var rep api.PruneReport
	images, err := s.ListImages(ctx)
	if err != nil {
		return rep, err
	}
	for _, img := range images {
		if !img.Created.Before(until) || (!all && len(img.Names) > 0) {
			continue
		}
		res, err := im.RemoveImage(ctx, img.ID, false)
		if err != nil {
			continue // used by a container: kept, as docker keeps it
		}
		rep.Deleted = append(rep.Deleted, res.Deleted...)
		rep.Reclaimed += img.Size
	}
	return rep, nil
}

// parseTimestamp reads docker's timestamps: RFC 3339, a date and time or a
// date (local time), or Unix seconds.
func parseTimestamp(v string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, v, time.Local); err == nil {
			return t, nil
		}
	}
	var sec float64
	if _, err := fmt.Sscanf(v, "%f", &sec); err == nil {
		return time.Unix(0, int64(sec*1e9)), nil
	}
	return time.Time{}, api.Errorf(api.ErrInvalidArgument, "use a duration (24h), RFC 3339 (2024-01-02T15:04:05Z), a date or Unix seconds", "invalid time %q", v)
}
