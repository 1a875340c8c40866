package doctor

import (
	"fmt"
	"path/filepath"
)

// checkRuntimeDir: rrun keeps sockets and FIFOs in $XDG_RUNTIME_DIR/rrun,
// and falls back to /tmp/rrun-$UID when it is unset or not the user's.
func checkRuntimeDir(h *Host) Result {
	v := h.Getenv("XDG_RUNTIME_DIR")
	fallback := fmt.Sprintf("rrun uses /tmp/rrun-%d instead", h.UID)
	fix := fmt.Sprintf("log in through a PAM session with pam_systemd (sudo loginctl enable-linger %s), "+
		"or: export XDG_RUNTIME_DIR=DIR with a directory you own and chmod 0700 DIR", h.User)
	if v == "" {
		return warn("XDG_RUNTIME_DIR is not set: "+fallback, fix)
	}
	if !filepath.IsAbs(v) {
		return warn(fmt.Sprintf("XDG_RUNTIME_DIR=%s is not an absolute path: %s", v, fallback), fix)
	}
	st, err := h.Stat(v)
	switch {
	case err != nil:
		return warn(fmt.Sprintf("XDG_RUNTIME_DIR=%s: %v: %s", v, err, fallback), fix)
	case !st.IsDir || st.UID != h.UID:
		return warn(fmt.Sprintf("XDG_RUNTIME_DIR=%s is not a directory owned by uid %d (owner %d): %s", v, h.UID, st.UID, fallback), fix)
	case st.Mode.Perm() != 0o700:
		return warn(fmt.Sprintf("XDG_RUNTIME_DIR=%s has mode %04o, not 0700: other users may reach rrun's sockets", v, st.Mode.Perm()),
			"chmod 0700 "+v)
	}
	return ok(fmt.Sprintf("XDG_RUNTIME_DIR=%s, owned by uid %d, mode 0700", v, h.UID))
}
