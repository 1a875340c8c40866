package storage

import (
	"context"
	"errors"
	"strings"
	"syscall"

	"github.com/rrun-project/rrun/plugins/api"
)

// oneLine flattens an error chain to one line for a user-facing message.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// loadError classifies a failure to copy an archive into the store: the
// machine's fault (disk full, read-only, permission) or the context's,
// else the archive's.
func loadError(p string, err error) error {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return api.Errorf(api.ErrUnavailable, "free some disk space, e.g. with `rrun system prune`",
			"failed to load %s: no space left in the image store", p)
	case errors.Is(err, syscall.EROFS), errors.Is(err, syscall.EACCES):
		return api.Errorf(api.ErrPermissionDenied, "run `rrun doctor`",
			"failed to load %s: %s", p, oneLine(err))
	}
	return api.Errorf(api.ErrInvalidArgument, loadHint, "failed to load %s: %s", p, oneLine(err))
}
