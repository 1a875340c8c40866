package pluginmgr

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"sync"
)

// tailBuffer keeps the last n lines a plugin wrote to stderr. Writes need
// not end at line ends: a plugin's pipe delivers what it wrote in pieces.
type tailBuffer struct {
	mu      sync.Mutex
	n       int
	lines   []string
	partial []byte // the current line, not yet ended
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
	for {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			t.partial = append(t.partial, p[:min(len(p), 4096-len(t.partial))]...)
			return
		}
		t.push(string(append(t.partial, p[:i]...)))
		t.partial, p = t.partial[:0], p[i+1:]
	}
}

func (t *tailBuffer) push(l string) {
	if strings.TrimSpace(l) == "" {
		return
	}
	t.lines = append(t.lines, l)
	if len(t.lines) > t.n {
		t.lines = t.lines[len(t.lines)-t.n:]
	}
}

// suffix is "; last stderr lines: ..." or "" when the plugin said nothing.
func (t *tailBuffer) suffix() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := t.lines
	if strings.TrimSpace(string(t.partial)) != "" {
		lines = append(slices.Clip(lines), string(t.partial))
	}
	if len(lines) == 0 {
		return ""
	}
	last := lines
	if len(last) > 5 {
		last = last[len(last)-5:]
	}
	// A Go panic's message matters more than the stack under it.
	for i := len(lines) - 1; i >= 0; i-- {
		if l := lines[i]; strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: ") {
			last = lines[i:min(i+2, len(lines))]
			break
		}
	}
	return "; its last stderr lines: " + strings.Join(last, " | ")
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
