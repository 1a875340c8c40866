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
	closers  []func()
	ttyDone  <-chan struct{}
}

// openStdio connects the init to this process's stdio (foreground) or to
// the container's log (detached), through a pty with -t.
func (m *monitor) openStdio() (*stdio, error) {
	s := &stdio{}
	o := m.rec.Options
	if !m.attach {
		lw, err := openLog(m.Store.Dir(m.rec.ID))
		if err != nil {
			return nil, fmt.Errorf("failed to open the container's log: %w", err)
		}
		s.log = lw
	}
	if o.TTY {
		return s, m.openConsole(s)
	}
	if m.attach {
		stdin := -1
		if o.Interactive {
			stdin = 0
		}
		spec, done, err := container.NameStdio(stdin, 1, 2)
		s.spec, s.closers = spec, append(s.closers, done)
		return s, err
	}
	return s, s.pipesToLog()
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

// pipesToLog gives the container pipes whose other ends feed the log.
func (s *stdio) pipesToLog() error {
	for _, stream := range []string{"stdout", "stderr"} {
		r, w, err := os.Pipe()
		if err != nil {
			return fmt.Errorf("failed to create a log pipe: %w", err)
		}
		s.ours = append(s.ours, w)
		s.log.pump(r, stream)
		path := fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), w.Fd())
		if stream == "stdout" {
			s.spec.Stdout = path
		} else {
			s.spec.Stderr = path
		}
	}
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
