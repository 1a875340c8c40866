package monitor

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"
)

// LogOptions are `rrun logs` flags.
type LogOptions struct {
	Follow       bool
	Tail         int // -1: all
	Timestamps   bool
	Since, Until time.Time // zero: no bound; entries outside [Since, Until] are skipped
}

// keeps reports whether an entry written at t is shown.
func (o LogOptions) keeps(t time.Time) bool {
	return (o.Since.IsZero() || !t.Before(o.Since)) && (o.Until.IsZero() || !t.After(o.Until))
}

// past reports whether a follow has nothing more to show: --until is over.
func (o LogOptions) past() bool { return !o.Until.IsZero() && time.Now().After(o.Until) }

// ReadLog writes the log at path to stdout and stderr by stream. With
// Follow it keeps reading until running reports false and the file holds
// nothing more.
func ReadLog(path string, o LogOptions, stdout, stderr io.Writer, running func() bool) error {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil // never started detached: no output recorded
	}
	if err != nil {
		return fmt.Errorf("failed to open log %s: %w", path, err)
	}
	defer f.Close()
	rd := bufio.NewReader(f)
	if o.Tail >= 0 {
		if err := skipToTail(f, o.Tail); err != nil {
			return err
		}
		rd.Reset(f)
	}
	var pending []byte
	for {
		line, err := rd.ReadBytes('\n')
		pending = append(pending, line...)
		if err == nil {
			printEntry(pending, o, stdout, stderr)
			pending = pending[:0]
			continue
		}
		if err != io.EOF {
			return err
		}
		if !o.Follow {
			return nil
		}
		if !running() || o.past() {
			// The monitor has written its last line: drain and stop.
			rest, _ := io.ReadAll(rd)
			for _, l := range bytes.SplitAfter(append(pending, rest...), []byte{'\n'}) {
				printEntry(l, o, stdout, stderr)
			}
			return nil
		}
		// Waiting for the container to write: only `logs -f` sleeps.
		time.Sleep(50 * time.Millisecond)
	}
}

func printEntry(line []byte, o LogOptions, stdout, stderr io.Writer) {
	var e logEntry
	if json.Unmarshal(line, &e) != nil || !o.keeps(e.Time) {
		return
	}
	w := stdout
	if e.Stream == "stderr" {
		w = stderr
	}
	if o.Timestamps {
		fmt.Fprint(w, e.Time.Format(time.RFC3339Nano)+" ")
	}
	fmt.Fprint(w, e.Line)
}

// skipToTail positions f at the start of its last n lines.
func skipToTail(f *os.File, n int) error {
	var offsets []int64
	rd := bufio.NewReader(f)
	var pos int64
	for {
		line, err := rd.ReadBytes('\n')
		if len(line) > 0 && line[len(line)-1] == '\n' {
			offsets = append(offsets, pos)
			pos += int64(len(line))
		}
		if err != nil {
			break
		}
	}
	start := pos // --tail 0: nothing of what is there (offsets[len-0] would be out of range)
	if n > 0 && n < len(offsets) {
		start = offsets[len(offsets)-n]
	} else if n > 0 && len(offsets) > 0 {
		start = offsets[0]
	}
	_, err := f.Seek(start, io.SeekStart)
	return err
}
