package monitor

import (
	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/host/container"
)

// ParseSignal accepts docker's forms ("SIGTERM", "TERM", "15"); empty is def.
func ParseSignal(s string, def unix.Signal) (unix.Signal, error) {
	if s == "" {
		return def, nil
	}
	return container.ParseSignal(s)
}
