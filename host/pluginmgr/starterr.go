package pluginmgr

import (
	"fmt"
	"strings"
	"time"

	"github.com/rrun-project/rrun/plugins/api"
)

// DefaultStartTimeout bounds a plugin's go-plugin handshake (and its Info
// answer) when the configuration does not say: config.toml's
// [plugins] start_timeout or RRUN_PLUGIN_START_TIMEOUT.
const DefaultStartTimeout = 10 * time.Second

// startError turns go-plugin's failure to start a plugin (several lines of
// boilerplate, some of them wrong inside the user namespace) into one line
// naming the plugin, what went wrong and what it printed.
func (inst *Instance) startError(err error) error {
	msg, _, _ := strings.Cut(err.Error(), "\n")
	if strings.Contains(msg, "Incompatible API version") {
		return api.Errorf(api.ErrFailedPrecondition, "install a plugin built against rrun's plugin SDK wire version 1",
			"plugin %s speaks another go-plugin wire version than rrun (%d): %s", inst.Path, api.WireVersion, msg)
	}
	what, hint := inst.handshakeFailure(msg)
	return api.Errorf(api.ErrUnavailable, hint, "%s plugin %s (%s) %s%s", inst.Kind, inst.Name, inst.Path, what, inst.stderr.suffix())
}

// handshakeFailure says what went wrong, from the first line of
// go-plugin's error, and what to do about it.
func (inst *Instance) handshakeFailure(msg string) (what, hint string) {
	const unrecognized = "Unrecognized remote plugin message: "
	line, printed := strings.CutPrefix(msg, unrecognized)
	switch {
	case strings.HasPrefix(msg, "timeout while waiting for plugin to start"):
		return fmt.Sprintf("did not complete the go-plugin handshake within %s", inst.timeout),
			"a slow plugin needs a longer [plugins] start_timeout in config.toml or RRUN_PLUGIN_START_TIMEOUT"
	case strings.HasPrefix(msg, "plugin exited before we could connect"), printed && line == "":
		if !inst.proc.waitExited(time.Second) {
			return "closed its stdout without the go-plugin handshake", "run it by hand to see why"
		}
		return "exited before the go-plugin handshake (" + inst.proc.how() + ")", "run it by hand to see why"
	case printed:
		return fmt.Sprintf("printed %q where the go-plugin handshake belongs (is it an rrun plugin?)", clip(line, 120)),
			"an rrun plugin calls api.ServeStorage or api.ServeIsolation and writes nothing else to stdout"
	}
	return "failed to start: " + msg, "run with --log-level=debug to see the plugin's output"
}

// clip shortens s to at most n bytes, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
