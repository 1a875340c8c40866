package monitor

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// relay connects a -t container's terminal; the returned function stops it.
func (m *monitor) relay(ctx context.Context, s *stdio) func() {
	if master := s.terminal(); master != nil {
		m.master = master
		return m.relayTerminal(ctx, s, master)
	}
	return func() {}
}

func (m *monitor) relayTerminal(ctx context.Context, s *stdio, master *os.File) func() {
	if !m.attach {
		s.log.pump(dupFile(master), "stdout")
		return func() {}
	}
	restore := func() {}
	if IsTerminal(0) {
		restore = MakeRaw(0)
	}
	var in *os.File
	if m.rec.Options.Interactive {
		in = os.Stdin
	}
	lines := s.log.lineWriter("stdout") // the terminal's output is logged too
	done, logged := relayTTY(master, in, io.MultiWriter(os.Stdout, lines)), make(chan struct{})
	go func() { <-done; lines.flush(); close(logged) }()
	s.ttyDone = logged
	return restore
}

func (m *monitor) resizeFromTerminal(ctx context.Context, fd int) {
	if w, h := WindowSize(fd); w > 0 {
		_ = m.isolation().ResizePty(ctx, m.rec.ID, "", w, h)
	}
}

// forwardSignals sends the signals a foreground docker run forwards to the
// container's init (rootlesskit relays them from the CLI to the session).
func (m *monitor) forwardSignals(ctx context.Context) func() {
	ch := make(chan os.Signal, 16)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT,
		syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH)
	go func() {
		for s := range ch {
			if s == syscall.SIGWINCH {
				if m.master != nil {
					m.resizeFromTerminal(ctx, 0)
				}
				continue
			}
			_ = m.kill(ctx, "", int(s.(syscall.Signal)))
		}
	}()
	return func() { signal.Stop(ch); close(ch) }
}

func dupFile(f *os.File) *os.File {
	fd, err := syscall.Dup(int(f.Fd()))
	if err != nil {
		return f
	}
	return os.NewFile(uintptr(fd), f.Name())
}
