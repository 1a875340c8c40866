package logline

import (
	"bufio"
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// AppendEntries must write what json.Unmarshal reads back as the same
// entries, whatever bytes a container prints.
func TestAppendEntriesRoundTrip(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	lines := [][]byte{[]byte("plain\n"), []byte("quote \" back \\ tab \t cr \r nul \x00 esc \x1b\n"),
		[]byte("utf8 é 日本 bad \xff\xfe end\n"), []byte("<html>&</html>\n")}
	out := AppendEntries(nil, now, "stderr", lines)
	sc := bufio.NewScanner(bytes.NewReader(out))
	for i := 0; sc.Scan(); i++ {
		var e logEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line %d %q: %v", i, sc.Text(), err)
		}
		var want logEntry
		ref, _ := json.Marshal(logEntry{Time: now, Stream: "stderr", Line: string(lines[i])})
		_ = json.Unmarshal(ref, &want)
		if e != want {
			t.Errorf("line %d: got %+v, want %+v", i, e, want)
		}
	}
}

type logEntry struct {
	Time   time.Time `json:"t"`
	Stream string    `json:"s"`
	Line   string    `json:"l"`
}
