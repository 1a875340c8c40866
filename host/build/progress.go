package build

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progress writes BuildKit's plain output: "#N TITLE", the step's output
// lines with their time, then "#N CACHED", "#N DONE 0.3s" or "#N ERROR: ...".
// With quiet it writes nothing.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	quiet bool
	n     int
}

// step is one numbered entry of the output.
type step struct {
	p     *progress
	n     int
	title string
	start time.Time
	tail  []string // the last output lines, for a failure's report
}

const tailLines = 10

func (p *progress) printf(format string, args ...any) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format, args...)
}

func (p *progress) begin(title string) *step {
	p.mu.Lock()
	p.n++
	s := &step{p: p, n: p.n, title: title, start: time.Now()}
	p.mu.Unlock()
	p.printf("#%d %s\n", s.n, title)
	return s
}

func (s *step) line(text string) {
	s.tail = append(s.tail, text)
	if len(s.tail) > tailLines {
		s.tail = s.tail[1:]
	}
	s.p.printf("#%d %.3f %s\n", s.n, time.Since(s.start).Seconds(), text)
}

func (s *step) cached() { s.p.printf("#%d CACHED\n\n", s.n) }

func (s *step) done() { s.p.printf("#%d DONE %.1fs\n\n", s.n, time.Since(s.start).Seconds()) }

// fail reports err, with the last output lines, even when quiet.
func (s *step) fail(err error) {
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "#%d ERROR: %v\n", s.n, err)
	if len(s.tail) > 0 {
		fmt.Fprintf(p.w, "------\n > %s:\n", s.title)
		for _, l := range s.tail {
			fmt.Fprintf(p.w, "%s\n", l)
		}
		fmt.Fprintln(p.w, "------")
	}
}

// pump copies r's lines to the step until r ends; done is closed then.
func (s *step) pump(r io.Reader) (done chan struct{}) {
	done = make(chan struct{})
	go func() {
		defer close(done)
		br := bufio.NewReaderSize(r, 64*1024)
		for {
			text, err := br.ReadString('\n')
			if text != "" {
				s.line(strings.TrimRight(text, "\r\n"))
			}
			if err != nil {
				return
			}
		}
	}()
	return done
}
