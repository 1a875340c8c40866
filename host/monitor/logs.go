package monitor

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/rrun-project/rrun/host/monitor/logline"
)

// LogName is the log of a container (foreground or detached), in its
// state dir: one JSON object per line of output, {"t": RFC 3339 time, "s":
// stream, "l": line}.
const LogName = "container.log"

type logEntry struct {
	Time   time.Time `json:"t"`
	Stream string    `json:"s"`
	Line   string    `json:"l"`
}

// logWriter appends entries from several streams to one file.
type logWriter struct {
	mu sync.Mutex
	f  *os.File
	wg sync.WaitGroup
}

func openLog(dir string) (*logWriter, error) {
	f, err := os.OpenFile(filepath.Join(dir, LogName), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	return &logWriter{f: f}, nil
}

// pump copies r into the log line by line until EOF.
func (w *logWriter) pump(r io.ReadCloser, stream string) { w.tee(r, io.Discard, stream) }

// catchSigpipe makes a write to a closed stdout or stderr fail with EPIPE
// instead of killing this process (Go's default for fds 1 and 2): the
// foreground monitor must outlive its reader to record the exit. Notify,
// unlike Ignore, is not inherited by the processes it starts.
func catchSigpipe() {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
}

// tee copies r to out as it comes (a prompt without a newline shows at
// once) and into the log line by line, until EOF. When out is gone (the
// reader of `rrun run ... | head -1` exited), r is closed after logging
// what was read, so that the container's next write fails with EPIPE (or
// SIGPIPE) as if it wrote to out itself.
func (w *logWriter) tee(r io.ReadCloser, out io.Writer, stream string) {
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		defer r.Close()
		lw := w.lineWriter(stream)
		defer lw.flush()
		buf := make([]byte, 32<<10)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				_, _ = lw.Write(buf[:n])
				if _, werr := out.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
}

// lineWriter is an io.Writer that logs complete lines of stream; flush
// logs what is left without a newline.
func (w *logWriter) lineWriter(stream string) *logLines {
	return &logLines{w: w, stream: stream}
}

type logLines struct {
	w       *logWriter
	stream  string
	partial []byte
	batch   []byte // reused between writes
}

// Write logs every complete line of p, in one write of the file (a
// 20 MB output is a million lines); it never fails, so that a MultiWriter
// goes on to the other writer.
func (l *logLines) Write(p []byte) (int, error) {
	l.partial = append(l.partial, p...)
	var lines [][]byte
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		lines = append(lines, l.partial[:i+1])
		l.partial = l.partial[i+1:]
	}
	if len(lines) > 0 {
		batch := logline.AppendEntries(l.batch[:0], time.Now().UTC(), l.stream, lines)
		l.batch = batch
		l.w.mu.Lock()
		_, _ = l.w.f.Write(batch)
		l.w.mu.Unlock()
	}
	if len(l.partial) >= 64<<10 { // as pump: a line is cut at 64 KiB
		l.flush()
	}
	return len(p), nil
}

func (l *logLines) flush() {
	if len(l.partial) > 0 {
		l.w.write(l.stream, string(l.partial))
		l.partial = nil
	}
}

func (w *logWriter) write(stream, line string) {
	data, _ := json.Marshal(logEntry{Time: time.Now().UTC(), Stream: stream, Line: line})
	w.mu.Lock()
	defer w.mu.Unlock()
	_, _ = w.f.Write(append(data, '\n'))
}

// close waits for the pumps to drain and closes the file.
func (w *logWriter) close() {
	w.wg.Wait()
	w.f.Close()
}
