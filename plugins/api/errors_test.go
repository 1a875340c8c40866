package api

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// Every sentinel survives the trip through a gRPC status with its hint.
func TestErrorsRoundTripThroughStatus(t *testing.T) {
	for _, s := range sentinels {
		in := fmt.Errorf("while doing x: %w", Errorf(s.err, "do y", "thing %q failed", "z"))
		out := fromStatus(toStatus(in))
		if !errors.Is(out, s.err) {
			t.Fatalf("%v: came back as %v", s.err, KindOf(out))
		}
		if out.Error() != in.Error() || HintOf(out) != "do y" {
			t.Fatalf("%v: message %q hint %q", s.err, out.Error(), HintOf(out))
		}
	}
	for _, e := range []error{context.Canceled, context.DeadlineExceeded} {
		if out := fromStatus(toStatus(e)); !errors.Is(out, e) {
			t.Fatalf("%v came back as %v", e, out)
		}
	}
	if out := fromStatus(toStatus(errors.New("plain"))); !errors.Is(out, ErrInternal) {
		t.Fatalf("an unclassified error must be ErrInternal, got %v", out)
	}
	if fromStatus(nil) != nil || toStatus(nil) != nil {
		t.Fatal("nil must stay nil")
	}
}
