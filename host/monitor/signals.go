package monitor

import (
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/plugins/api"
)

// ParseSignal accepts docker's forms: "SIGTERM", "TERM", "15". Empty is def.
func ParseSignal(s string, def unix.Signal) (unix.Signal, error) {
	if s == "" {
		return def, nil
	}
	if n, err := strconv.Atoi(s); err == nil && n > 0 && n < 65 {
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, api.Errorf(api.ErrInvalidArgument, "use a name like SIGTERM or a number", "invalid signal %q", s)
}
