package build

import (
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// ttyView is BuildKit's compact live view on a terminal: a header with
// the build's time and steps done, one row per step with its time, the
// last output lines of each running step (collapsed once it ends), and a
// final summary. It redraws in place with ANSI escapes.
type ttyView struct {
	w      io.Writer
	fd     int // the terminal, for its size
	start  time.Time
	steps  []*step
	rows   int      // rows drawn last time, to move back over
	report []string // a failed step's report, printed below the final view
	stop   chan struct{}
	done   chan struct{}
}

// activeLines is how many output lines a running step shows.
const activeLines = 6

// tickEvery is how often the running times are redrawn.
const tickEvery = 150 * time.Millisecond

// newTTYView starts the view's redraw loop on terminal fd, written
// through w; p.close ends it.
func newTTYView(p *progress, w io.Writer, fd int) *ttyView {
	v := &ttyView{w: w, fd: fd, start: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(v.done)
		t := time.NewTicker(tickEvery)
		defer t.Stop()
		for {
			select {
			case <-v.stop:
				return
			case <-t.C:
				p.mu.Lock()
				v.render(false)
				p.mu.Unlock()
			}
		}
	}()
	return v
}

// size is the terminal's rows and columns (24x80 when it cannot tell).
func (v *ttyView) size() (rows, cols int) {
	ws, err := unix.IoctlGetWinsize(v.fd, unix.TIOCGWINSZ)
	if err != nil || ws.Row == 0 || ws.Col == 0 {
		return 24, 80
	}
	return int(ws.Row), int(ws.Col)
}

// render redraws the view. A live view fits the terminal's height (its
// oldest rows give way); the final one shows every step. The caller holds
// the progress lock.
func (v *ttyView) render(final bool) {
	height, width := v.size()
	lines := v.lines(final, width)
	if !final && len(lines) > height-1 {
		lines = append(lines[:1], lines[len(lines)-(height-2):]...)
	}
	var b strings.Builder
	if v.rows > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", v.rows)
	}
	for _, l := range lines {
		b.WriteString("\r\x1b[K" + l + "\n")
	}
	b.WriteString("\x1b[J")
	v.rows = len(lines)
	io.WriteString(v.w, b.String())
}

// lines are the view's rows, each cut to width.
func (v *ttyView) lines(final bool, width int) []string {
	finished := 0
	for _, s := range v.steps {
		if s.state != stepRunning {
			finished++
		}
	}
	head := fmt.Sprintf("[+] Building %.1fs (%d/%d)", time.Since(v.start).Seconds(), finished, len(v.steps))
	if final {
		head += " FINISHED"
	}
	out := []string{head}
	for _, s := range v.steps {
		out = append(out, row(s, width))
		for _, sub := range s.subs {
			out = append(out, fit(" => => "+sub, width))
		}
		if s.state == stepRunning {
			tail := s.tail[max(0, len(s.tail)-activeLines):]
			for _, l := range tail {
				out = append(out, fit(" => => # "+l, width))
			}
		}
	}
	return out
}

// row is a step's line: its state, title and time at the right edge.
func row(s *step, width int) string {
	took := s.took
	if s.state == stepRunning {
		took = time.Since(s.start)
	}
	left := " => " + map[stepState]string{stepCached: "CACHED ", stepError: "ERROR "}[s.state] + s.title
	right := fmt.Sprintf(" %.1fs", took.Seconds())
	if s.state == stepCached {
		right = " 0.0s"
	}
	left = fit(left, width-len(right)-1)
	return left + strings.Repeat(" ", max(1, width-1-len(left)-len(right))) + right
}

// fit cuts s to n bytes (terminal rows must never wrap, or the redraw
// would move over the wrong rows).
func fit(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if n < 1 {
		return ""
	}
	if len(s) > n {
		r := []rune(s)
		for len(string(r)) > n {
			r = r[:len(r)-1]
		}
		return string(r)
	}
	return s
}

// close stops the redraws, draws the final view, then a failed step's
// report.
func (v *ttyView) close(p *progress) {
	close(v.stop)
	<-v.done
	p.mu.Lock()
	defer p.mu.Unlock()
	v.render(true)
	for _, l := range v.report {
		io.WriteString(v.w, l+"\n")
	}
}
