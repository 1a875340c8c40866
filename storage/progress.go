package storage

import (
	"bytes"
	"strings"
	"sync"
)

// lineWriter is an io.Writer that hands each complete, non-empty line to
// fn. c/image writes its progress report to it.
type lineWriter struct {
	mu  sync.Mutex
	fn  func(string)
	buf bytes.Buffer
}

func newLineWriter(fn func(string)) *lineWriter { return &lineWriter{fn: fn} }

func (w *lineWriter) Write(p []byte) (int, error) {
	if w.fn == nil {
		return len(p), nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for {
		line, err := w.buf.ReadString('\n')
		if err != nil { // no newline yet: keep the rest for later
			w.buf.Reset()
			w.buf.WriteString(line)
			return len(p), nil
		}
		w.emit(line)
	}
}

// Flush hands over a last line that had no newline.
func (w *lineWriter) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.emit(w.buf.String())
	w.buf.Reset()
}

func (w *lineWriter) emit(line string) {
	if line = strings.TrimSpace(line); line != "" && w.fn != nil {
		w.fn(line)
	}
}
