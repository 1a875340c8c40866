package session

import (
	"errors"
	"fmt"
	"os/exec"
	"os/user"
	"strconv"

	"github.com/rootless-containers/rootlesskit/v3/pkg/parent/idtools"

	"github.com/rrun-project/rrun/host/network"
)

// Plan is how a session will map ids, decided before it starts.
type Plan struct {
	Mapping string // MappingSubuid or MappingSingle
	Warning string // said once to the user when not empty
	// Network is the container's network, which the session's network
	// namespace becomes; nil keeps the user's own (the host network).
	Network *network.Plan
}

// PlanMapping picks the subuid mapping when the user has ranges in
// /etc/subuid and /etc/subgid and newuidmap/newgidmap exist, and a
// single-uid mapping otherwise, with a warning naming the fix.
func PlanMapping() Plan {
	u, err := user.Current()
	if err != nil {
		return Plan{Mapping: MappingSingle, Warning: fmt.Sprintf("cannot look up the current user (%v); running with a single-uid mapping", err)}
	}
	uid, _ := strconv.Atoi(u.Uid)
	if _, _, err := idtools.GetSubIDRanges(uid, u.Username); err != nil {
		return Plan{Mapping: MappingSingle, Warning: fmt.Sprintf(
			"no subordinate uid/gid range for user %s (see /etc/subuid and /etc/subgid); running with a single-uid mapping: "+
				"your uid %s is the container's user (root, or the image's or -u's uid and gid when not 0), "+
				"and files of other owners in images belong to it (fix: %s)",
			u.Username, u.Uid, addSubIDsFix(u.Username))}
	}
	for _, tool := range []string{"newuidmap", "newgidmap"} {
		if _, err := exec.LookPath(tool); err != nil {
			return Plan{Mapping: MappingSingle, Warning: fmt.Sprintf(
				"%s not found; running with a single-uid mapping (fix: sudo apt-get install uidmap)", tool)}
		}
	}
	return Plan{Mapping: MappingSubuid}
}

// errNoUserNS explains why the kernel refused to make a user namespace.
func errNoUserNS(cause error) error {
	return &NoUserNSError{Cause: cause, Reason: userNSRefusalReason()}
}

// NoUserNSError says unprivileged user namespaces are not allowed here.
type NoUserNSError struct {
	Cause  error
	Reason string
}

func (e *NoUserNSError) Error() string {
	return fmt.Sprintf("cannot create a user namespace: %s (%v)", e.Reason, e.Cause)
}

func (e *NoUserNSError) Unwrap() error { return e.Cause }

// IsNoUserNS reports whether err means user namespaces are unavailable.
func IsNoUserNS(err error) bool {
	var e *NoUserNSError
	return errors.As(err, &e)
}
