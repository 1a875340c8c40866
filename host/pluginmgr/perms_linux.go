package pluginmgr

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/rrun-project/rrun/plugins/api"
)

// CheckPermissions refuses a plugin executable that someone other than the
// user or root could have replaced: group/world-writable, or owned by
// another user. It must run outside the session, where owners are real.
func CheckPermissions(path string) error {
	return checkPermissions(path, false)
}

// overflowUID is how a user namespace shows an owner it does not map.
const overflowUID = 65534

// CheckPermissionsJoined is CheckPermissions for a command that joined the
// session holder, where the user is uid 0 and host root (like any owner
// outside the mapping) shows as the overflow uid: that owner is accepted
// only for plugins installed under /usr, which no other user can write.
func CheckPermissionsJoined(path string) error {
	return checkPermissions(path, strings.HasPrefix(filepath.Clean(path), "/usr/"))
}

func checkPermissions(path string, systemDir bool) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("failed to stat plugin %s: %w", path, err)
	}
	sys, _ := st.Sys().(*syscall.Stat_t)
	switch {
	case st.Mode()&0o022 != 0:
		return api.Errorf(api.ErrPermissionDenied, fmt.Sprintf("chmod go-w %s", path),
			"refusing plugin %s: it is writable by group or others (mode %v)", path, st.Mode().Perm())
	case sys != nil && int(sys.Uid) != os.Getuid() && sys.Uid != 0 && !(systemDir && sys.Uid == overflowUID):
		return api.Errorf(api.ErrPermissionDenied, fmt.Sprintf("install it as yourself or root (it is owned by uid %d)", sys.Uid),
			"refusing plugin %s: it is owned by another user", path)
	case st.Mode()&0o111 == 0:
		return api.Errorf(api.ErrPermissionDenied, fmt.Sprintf("chmod +x %s", path), "refusing plugin %s: it is not executable", path)
	}
	return nil
}
