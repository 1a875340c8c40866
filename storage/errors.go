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
func loadError(p string, err error) error { return storeError("load", p, err) }

// storeError is loadError for any verb that writes the store or a file.
func storeError(verb, p string, err error) error {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return api.Errorf(api.ErrUnavailable, "free some disk space, e.g. with `rrun image prune -a`",
			"failed to %s %s: no space left", verb, p)
	case errors.Is(err, syscall.EROFS), errors.Is(err, syscall.EACCES):
		return api.Errorf(api.ErrPermissionDenied, "run `rrun doctor`",
			"failed to %s %s: %s", verb, p, oneLine(err))
	}
	hint := loadHint
	if verb != "load" {
		hint = ""
	}
	return api.Errorf(api.ErrInvalidArgument, hint, "failed to %s %s: %s", verb, p, oneLine(err))
}
