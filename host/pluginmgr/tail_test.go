package pluginmgr

import "testing"

// A pipe hands over what a plugin wrote in arbitrary pieces: a Go panic
// arrives as "panic: " and then its message.
func TestTailBufferJoinsPieces(t *testing.T) {
	tb := newTailBuffer(20)
	w := tb.writer(nil)
	for _, p := range []string{"starting\n", "panic: ", "badplugin: about to crash", "\n\ngoroutine 1 [running]:\n", "main.main()"} {
		_, _ = w.Write([]byte(p))
	}
	want := "; its last stderr lines: panic: badplugin: about to crash | goroutine 1 [running]:"
	if got := tb.suffix(); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	tb = newTailBuffer(20)
	_, _ = tb.writer(nil).Write([]byte("no newline at the end"))
	if got := tb.suffix(); got != "; its last stderr lines: no newline at the end" {
		t.Fatalf("an unended last line counts too: %q", got)
	}
}
