package session

import (
	"os"
	"os/signal"
	"syscall"
)

// forwardSignals relays the signals a user or a job control shell sends to
// rrun on to the session, which relays them to the container.
func forwardSignals(p *os.Process) (stop func()) {
	ch := make(chan os.Signal, 16)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT,
		syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH)
	go func() {
		for s := range ch {
			_ = p.Signal(s)
		}
	}()
	return func() { signal.Stop(ch); close(ch) }
}
