package build

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progress writes the build's output: BuildKit's plain lines ("#N TITLE",
// the step's output lines with their time, then "#N CACHED", "#N DONE
// 0.3s" or "#N ERROR: ..."), or, on a terminal, its compact live view
// (progress_tty.go). With quiet it writes nothing but a failure.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	quiet bool
	n     int
	tty   *ttyView // nil: plain lines
}

// newProgress writes to w: the live view when asked for and w is a file
// (a terminal), else plain lines.
func newProgress(w io.Writer, quiet, live bool) *progress {
	p := &progress{w: w, quiet: quiet}
	if f, ok := w.(*os.File); ok && live && !quiet {
		p.tty = newTTYView(p, w, int(f.Fd()))
	}
	return p
}

// close ends the output: the live view's final summary.
func (p *progress) close() {
	if p.tty != nil {
		p.tty.close(p)
	}
}

type stepState int

const (
	stepRunning stepState = iota
	stepDone
	stepCached
	stepError
)

// step is one numbered entry of the output.
type step struct {
	p     *progress
	n     int
	title string
	start time.Time
	tail  []string // the last output lines, for a failure's report
	// For the live view:
	state stepState
	took  time.Duration
	subs  []string // sub-steps ("writing image sha256:...")
}

const tailLines = 10

func (p *progress) printf(format string, args ...any) {
	if p.quiet || p.tty != nil {
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
	if p.tty != nil {
		p.tty.steps = append(p.tty.steps, s)
		p.tty.render(false)
	}
	p.mu.Unlock()
	p.printf("#%d %s\n", s.n, title)
	return s
}

func (s *step) line(text string) {
	s.p.mu.Lock()
	s.tail = append(s.tail, text)
	if len(s.tail) > tailLines {
		s.tail = s.tail[1:]
	}
	s.p.mu.Unlock()
	s.p.printf("#%d %.3f %s\n", s.n, time.Since(s.start).Seconds(), text)
}

// end records the step's final state for the live view.
func (s *step) end(st stepState) {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	s.state, s.took = st, time.Since(s.start)
	if s.p.tty != nil {
		s.p.tty.render(false)
	}
}

func (s *step) cached() {
	s.end(stepCached)
	s.p.printf("#%d CACHED\n\n", s.n)
}

func (s *step) done() {
	s.end(stepDone)
	s.p.printf("#%d DONE %.1fs\n\n", s.n, time.Since(s.start).Seconds())
}

// warn prints a warning line to stderr, below the live view's final
// summary on a terminal.
func (p *progress) warn(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty != nil {
		p.tty.report = append(p.tty.report, line)
		return
	}
	fmt.Fprintln(os.Stderr, line)
}

// sub reports a finished part of the step ("naming to ...").
func (s *step) sub(text string) {
	s.p.mu.Lock()
	s.subs = append(s.subs, text)
	s.p.mu.Unlock()
	s.p.printf("#%d %s done\n", s.n, text)
}

// fail reports err, with the last output lines, even when quiet: at once
// as plain lines, or below the live view's final summary.
func (s *step) fail(err error) {
	s.end(stepError)
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	report := []string{fmt.Sprintf("#%d ERROR: %v", s.n, err)}
	if len(s.tail) > 0 {
		report = append(report, "------", " > "+s.title+":")
		report = append(report, s.tail...)
		report = append(report, "------")
	}
	if p.tty != nil {
		p.tty.report = append(p.tty.report, report...)
		return
	}
	for _, l := range report {
		fmt.Fprintln(p.w, l)
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
