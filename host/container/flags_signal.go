package container

import (
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/plugins/api"
)

// ParseSignal reads a signal as docker does: a number, NAME or SIGNAME
// (case-insensitive), or SIGRTMIN+N / SIGRTMAX-N.
func ParseSignal(s string) (unix.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil && n > 0 && n <= 64 {
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	if sig, ok := realtimeSignal(name); ok {
		return sig, nil
	}
	return 0, api.Errorf(api.ErrInvalidArgument, "use a name such as SIGTERM or a number",
		"invalid signal %q", s)
}

// realtimeSignal reads SIGRTMIN+N and SIGRTMAX-N (glibc's SIGRTMIN is 34).
func realtimeSignal(name string) (unix.Signal, bool) {
	const rtmin, rtmax = 34, 64
	for prefix, base := range map[string]int{"SIGRTMIN": rtmin, "SIGRTMAX": rtmax} {
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok {
			continue
		}
		n := 0
		if rest != "" {
			var err error
			if n, err = strconv.Atoi(rest); err != nil {
				return 0, false
			}
		}
		if sig := base + n; sig >= rtmin && sig <= rtmax {
			return unix.Signal(sig), true
		}
	}
	return 0, false
}
