package pluginmgr

import (
	"bytes"
	"io"
	"strings"
	"sync"
)

// tailBuffer keeps the last n lines a plugin wrote to stderr.
type tailBuffer struct {
	mu    sync.Mutex
	n     int
	lines []string
}

func newTailBuffer(n int) *tailBuffer { return &tailBuffer{n: n} }

// writer returns the io.Writer go-plugin copies the plugin's stderr to;
// lines also go to also when it is not nil.
func (t *tailBuffer) writer(also io.Writer) io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		t.add(p)
		if also != nil {
			_, _ = also.Write(p)
		}
		return len(p), nil
	})
}

func (t *tailBuffer) add(p []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, l := range bytes.Split(bytes.TrimRight(p, "\n"), []byte{'\n'}) {
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		t.lines = append(t.lines, string(l))
		if len(t.lines) > t.n {
			t.lines = t.lines[len(t.lines)-t.n:]
		}
	}
}

// suffix is "; last stderr lines: ..." or "" when the plugin said nothing.
func (t *tailBuffer) suffix() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.lines) == 0 {
		return ""
	}
	last := t.lines
	if len(last) > 5 {
		last = last[len(last)-5:]
	}
	// A Go panic's message matters more than the stack under it.
	for i := len(t.lines) - 1; i >= 0; i-- {
		if l := t.lines[i]; strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: ") {
			last = t.lines[i:min(i+2, len(t.lines))]
			break
		}
	}
	return "; its last stderr lines: " + strings.Join(last, " | ")
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
