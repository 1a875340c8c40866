package monitor

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/plugins/api"
)

// stdio is how the init's stdin, stdout and stderr are connected.
type stdio struct {
	spec     api.Stdio
	masterCh chan *os.File // the pty master, with -t
	master   *os.File
	log      *logWriter // detached: output goes here
	ours     []*os.File // write ends we close once the container has them
	stdinW   *os.File   // detached with -i: the container's stdin, for attach
	closers  []func()
	ttyDone  <-chan struct{}
	// deferOutput keeps the output pipes unread in pending until the
	// container runs: rrun-monitor may take them (see tryHandoff).
	deferOutput bool
	pending     []pendingOutput
}

// pendingOutput is an output pipe nobody reads yet.
type pendingOutput struct {
	r      *os.File
	stream string
}

// pumpPending starts logging the pipes deferOutput kept.
func (s *stdio) pumpPending() {
	for _, p := range s.pending {
		s.log.pump(p.r, p.stream)
	}
	s.pending, s.deferOutput = nil, false
}

// openStdio connects the init's output to the container's log, and in
// the foreground to this process's stdout and stderr too (docker's
// json-file log keeps every container's output); stdin is this process's
// own in the foreground with -i. With -t the output comes through a pty.
func (m *monitor) openStdio() (*stdio, error) {
	s := &stdio{deferOutput: m.Handoff != nil && !m.attach}
	o := m.rec.Options
	lw, err := openLog(m.Store.Dir(m.rec.ID))
	if err != nil {
		return nil, fmt.Errorf("failed to open the container's log: %w", err)
	}
	s.log = lw
	if o.TTY {
		return s, m.openConsole(s)
	}
	if !m.attach && o.Interactive {
		if err := s.stdinPipe(); err != nil {
			return s, err
		}
	}
	if m.attach && o.Interactive {
		spec, done, err := container.NameStdio(0, -1, -1)
		s.spec.Stdin, s.closers = spec.Stdin, append(s.closers, done)
		if err != nil {
			return s, err
		}
	}
	return s, s.pipesToLog(m.attach)
}

func (m *monitor) openConsole(s *stdio) error {
	path := filepath.Join(filepath.Dir(SocketPath(m.RunDir, m.rec.ID)), m.rec.ShortID()+".tty")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("failed to create %s: %w", filepath.Dir(path), err)
	}
	cs, err := listenConsole(path)
	if err != nil {
		return err
	}
	s.spec = api.Stdio{Terminal: true, ConsoleSocket: path}
	s.masterCh = make(chan *os.File, 1)
	go func() {
		master, err := cs.receive()
		if err != nil {
			fmt.Fprintln(os.Stderr, "rrun: "+err.Error())
		}
		s.masterCh <- master
	}()
	s.closers = append(s.closers, cs.close)
	return nil
}

// pipesToLog gives the container pipes whose other ends feed the log
// and, with tee (the foreground), this process's stdout and stderr.
func (s *stdio) pipesToLog(tee bool) error {
	for _, stream := range []string{"stdout", "stderr"} {
		r, w, err := os.Pipe()
		if err != nil {
			return fmt.Errorf("failed to create a log pipe: %w", err)
		}
		s.ours = append(s.ours, w)
		if tee {
			catchSigpipe()
		}
		switch {
		case tee && stream == "stdout":
			s.log.tee(r, os.Stdout, stream)
		case tee:
			s.log.tee(r, os.Stderr, stream)
		case s.deferOutput:
			s.pending = append(s.pending, pendingOutput{r, stream})
		default:
			s.log.pump(r, stream)
		}
		path := fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), w.Fd())
		if stream == "stdout" {
			s.spec.Stdout = path
		} else {
			s.spec.Stderr = path
		}
	}
	return nil
}

// stdinPipe gives a detached -i container a pipe as stdin (docker keeps
// it open for attach); this process keeps the write end.
func (s *stdio) stdinPipe() error {
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("failed to create a stdin pipe: %w", err)
	}
	s.ours, s.stdinW = append(s.ours, r), w
	s.spec.Stdin = fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), r.Fd())
	s.closers = append(s.closers, func() { w.Close() })
	return nil
}

// created is called once the backend has opened the container's stdio.
func (s *stdio) created() error {
	for _, f := range s.ours {
		f.Close()
	}
	s.ours = nil
	return nil
}

// terminal waits for the pty master (with -t).
func (s *stdio) terminal() *os.File {
	if s.masterCh == nil {
		return nil
	}
	if s.master == nil {
		select {
		case s.master = <-s.masterCh:
		case <-time.After(10 * time.Second):
		}
	}
	return s.master
}

// abort undoes openStdio after a failed create or start.
func (s *stdio) abort() {
	s.created()
	s.close()
}

// close waits for the output to drain and releases everything.
func (s *stdio) close() {
	if s.ttyDone != nil {
		select {
		case <-s.ttyDone:
		case <-time.After(2 * time.Second):
		}
	}
	for _, c := range s.closers {
		c()
	}
	if s.log != nil {
		s.log.close()
	}
	if s.master != nil {
		s.master.Close()
	}
}
