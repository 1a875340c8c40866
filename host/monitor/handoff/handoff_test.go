package handoff

import (
	"strings"
	"testing"
)

// A value never holds the separator (a space) or a byte an environment
// variable cannot hold; '%' itself is escaped. cmd/rrun-monitor/monitortest
// checks that rrun-monitor reads back what Encode writes.
func TestEscape(t *testing.T) {
	for in, want := range map[string]string{"": "", "/opt/my rrun/rrun": "/opt/my%20rrun/rrun", "a%b": "a%25b",
		"tab\there\n": "tab%09here%0A", "é": "%C3%A9", `a"b=c`: `a"b=c`, "\x00\x7f": "%00%7F"} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
	enc := State{Version: Version, ID: "x y", Rrun: []string{"/a b", ""}}.Encode()
	if !strings.Contains(enc, "id=x%20y") || !strings.Contains(enc, "rrun=/a%20b rrun=") || strings.Count(enc, "version=3") != 1 {
		t.Fatalf("Encode: %q", enc)
	}
}
