package container

import (
	"fmt"
	"os"

	"github.com/rrun-project/rrun/host/session"
	"github.com/spf13/pflag"
)

// UserNSKeepID maps the invoking user's uid and gid to the same ids in the
// container (see spec_userns.go).
const UserNSKeepID = "keep-id"

func addUserNSFlag(fs *pflag.FlagSet, o *RunOptions) {
	fs.StringVar(&o.UserNS, "userns", "", `User namespace to use ("keep-id": your uid and gid are the same inside)`)
}

// checkUserNS accepts "" (the session's mapping), "host" (the same) and
// keep-id, which without -u runs the command as the invoking user, as
// podman does.
func (o *RunOptions) checkUserNS() error {
	switch o.UserNS {
	case "", "host":
		return nil
	case UserNSKeepID:
		if o.User == "" {
			uid, gid := invokingIDs()
			o.User = fmt.Sprintf("%d:%d", uid, gid)
		}
		return nil
	}
	return invalid("use --userns=keep-id, or no --userns", "invalid --userns %q", o.UserNS)
}

// invokingIDs are the uid and gid of the user who ran rrun: inside a
// session (joined or cold), where this process is uid 0, the host ids the
// session recorded; outside, the process's own.
func invokingIDs() (uid, gid int) {
	if session.Inside() {
		return session.HostIDs()
	}
	return os.Getuid(), os.Getgid()
}
