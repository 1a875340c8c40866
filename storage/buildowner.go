package storage

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	cstore "go.podman.io/storage"
)

// A build rootfs layer records the process that mounted it ("pid START",
// START from /proc/PID/stat), so that a prune can tell a build running now
// from one killed with its mounts: c/storage's mount count of the killed
// one stays above zero.

// ownerTag names this process.
func ownerTag() string {
	return fmt.Sprintf("%d %s", os.Getpid(), procStart(os.Getpid()))
}

// procStart is field 22 of /proc/PID/stat, the start time; "" when the
// process does not exist.
func procStart(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		if f := strings.Fields(s[i+1:]); len(f) > 19 {
			return f[19]
		}
	}
	return ""
}

// ownerAlive reports whether the process tag names still runs.
func ownerAlive(tag string) bool {
	f := strings.Fields(tag)
	if len(f) != 2 {
		return false
	}
	pid, err := strconv.Atoi(f[0])
	return err == nil && procStart(pid) == f[1]
}

// staleMount reports whether l is a build rootfs whose mounting process
// is gone; its mount count is then forgotten so that it can be deleted.
func staleMount(st cstore.Store, l cstore.Layer) bool {
	if !hasPrefixName(l, buildRootfsPrefix) || ownerAlive(l.Metadata) {
		return false
	}
	_, _ = st.Unmount(l.ID, true) // the mount went with its namespace; only the count is left
	return true
}

func hasPrefixName(l cstore.Layer, prefix string) bool {
	for _, n := range l.Names {
		if strings.HasPrefix(n, prefix) {
			return true
		}
	}
	return false
}
