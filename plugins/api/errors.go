package api

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error that crosses the plugin boundary is one of
// these (errors.Is) on the host side, whatever the plugin returned.
var (
	ErrNotFound             = errors.New("not found")
	ErrAlreadyExists        = errors.New("already exists")
	ErrInvalidArgument      = errors.New("invalid argument")
	ErrFailedPrecondition   = errors.New("failed precondition")
	ErrPermissionDenied     = errors.New("permission denied")
	ErrUnavailable          = errors.New("unavailable")
	ErrNotImplemented       = errors.New("not implemented")
	ErrCommandNotFound      = errors.New("command not found")
	ErrCommandNotExecutable = errors.New("command not executable")
	ErrInternal             = errors.New("internal error")
)

// Error is an error with a sentinel kind and a hint for the user. Error()
// is the message alone; errors.Is(err, Kind) holds.
type Error struct {
	Kind error
	Msg  string
	Hint string
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Kind }

// Errorf makes an *Error of the given kind with a hint (may be empty).
func Errorf(kind error, hint, format string, args ...any) error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...), Hint: hint}
}

// HintOf returns the first hint found in err's chain, or "".
func HintOf(err error) string {
	var e *Error
	for err != nil {
		if errors.As(err, &e) {
			if e.Hint != "" {
				return e.Hint
			}
			err = e.Kind
			continue
		}
		return ""
	}
	return ""
}

// KindOf returns the sentinel err wraps, or ErrInternal.
func KindOf(err error) error {
	for _, k := range sentinels {
		if errors.Is(err, k.err) {
			return k.err
		}
	}
	return ErrInternal
}
