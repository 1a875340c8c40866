package api

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/rrun-project/rrun/plugins/api/gen/pluginv1"
)

type sentinel struct {
	err    error
	reason string
	code   codes.Code
}

// sentinels is the one table of error kinds, their stable wire reasons and
// their gRPC codes. Order matters only for KindOf of wrapped chains.
var sentinels = []sentinel{
	{ErrCommandNotFound, "command-not-found", codes.NotFound},
	{ErrCommandNotExecutable, "command-not-executable", codes.PermissionDenied},
	{ErrNotFound, "not-found", codes.NotFound},
	{ErrAlreadyExists, "already-exists", codes.AlreadyExists},
	{ErrInvalidArgument, "invalid-argument", codes.InvalidArgument},
	{ErrFailedPrecondition, "failed-precondition", codes.FailedPrecondition},
	{ErrPermissionDenied, "permission-denied", codes.PermissionDenied},
	{ErrUnavailable, "unavailable", codes.Unavailable},
	{ErrNotImplemented, "not-implemented", codes.Unimplemented},
	{ErrInternal, "internal", codes.Internal},
}

// toStatus turns an error into a gRPC status error carrying an ErrorDetail.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok && !isOurs(err) {
		return err
	}
	code, reason := codes.Unknown, "internal"
	switch {
	case errors.Is(err, context.Canceled):
		code, reason = codes.Canceled, "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		code, reason = codes.DeadlineExceeded, "deadline-exceeded"
	default:
		for _, s := range sentinels {
			if errors.Is(err, s.err) {
				code, reason = s.code, s.reason
				break
			}
		}
	}
	st := status.New(code, err.Error())
	if withDetail, derr := st.WithDetails(&pluginv1.ErrorDetail{Reason: reason, Hint: HintOf(err)}); derr == nil {
		st = withDetail
	}
	return st.Err()
}

func isOurs(err error) bool {
	var e *Error
	return errors.As(err, &e)
}

// fromStatus turns a gRPC status error back into an *Error with a sentinel.
// Errors that are not statuses (transport failures) become ErrUnavailable.
func fromStatus(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return &Error{Kind: ErrUnavailable, Msg: err.Error()}
	}
	var reason, hint string
	for _, d := range st.Details() {
		if ed, ok := d.(*pluginv1.ErrorDetail); ok {
			reason, hint = ed.GetReason(), ed.GetHint()
		}
	}
	return &Error{Kind: kindFor(reason, st.Code()), Msg: st.Message(), Hint: hint}
}

func kindFor(reason string, code codes.Code) error {
	switch reason {
	case "canceled":
		return context.Canceled
	case "deadline-exceeded":
		return context.DeadlineExceeded
	}
	for _, s := range sentinels {
		if s.reason == reason {
			return s.err
		}
	}
	switch code {
	case codes.Canceled:
		return context.Canceled
	case codes.DeadlineExceeded:
		return context.DeadlineExceeded
	}
	for _, s := range sentinels {
		if s.code == code {
			return s.err
		}
	}
	return ErrInternal
}

// ReasonOf is the stable wire reason of err's kind ("not-found", ...), for
// other protocols that carry rrun errors (the monitor socket).
func ReasonOf(err error) string {
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			return s.reason
		}
	}
	return "internal"
}

// KindFromReason is the sentinel of a wire reason; ErrInternal if unknown.
func KindFromReason(reason string) error {
	for _, s := range sentinels {
		if s.reason == reason {
			return s.err
		}
	}
	return ErrInternal
}
