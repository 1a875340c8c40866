package main

import (
	"bytes"
	"testing"
)

// The pull's progress passes through, split anywhere; its error line is
// kept back, without the prefix, for the session to report once.
func TestErrorLineFilterKeepsRrunErrorLines(t *testing.T) {
	var out bytes.Buffer
	f := &errorLineFilter{out: &out}
	for _, chunk := range []string{"abc: Pull com", "plete\nrrun: failed to pull x: reg", "istry down (hint)\nlast"} {
		if _, err := f.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	f.flush()
	if got, want := out.String(), "abc: Pull complete\nlast"; got != want {
		t.Errorf("passed on %q, want %q", got, want)
	}
	if got, want := f.kept.String(), "failed to pull x: registry down (hint)\n"; got != want {
		t.Errorf("kept %q, want %q", got, want)
	}
}
