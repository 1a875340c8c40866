package monitor

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// LogName is the log of a detached container, in its state dir: one JSON
// object per line of output, {"t": RFC 3339 time, "s": stream, "l": line}.
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
func (w *logWriter) pump(r io.ReadCloser, stream string) {
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		defer r.Close()
		rd := bufio.NewReaderSize(r, 64<<10)
		for {
			line, err := rd.ReadSlice('\n')
			if len(line) > 0 {
				w.write(stream, string(line))
			}
			if err != nil && err != bufio.ErrBufferFull {
				return
			}
		}
	}()
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
