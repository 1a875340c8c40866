package session

import (
	"os"
	"strings"
)

func readSysctl(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// userNSRefusalReason names the host setting that forbids unprivileged user
// namespaces, with the command that allows them.
func userNSRefusalReason() string {
	switch {
	case readSysctl("/proc/sys/kernel/unprivileged_userns_clone") == "0":
		return "unprivileged user namespaces are disabled (fix: sudo sysctl -w kernel.unprivileged_userns_clone=1)"
	case readSysctl("/proc/sys/user/max_user_namespaces") == "0":
		return "user.max_user_namespaces is 0 (fix: sudo sysctl -w user.max_user_namespaces=28633)"
	case readSysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == "1":
		return "AppArmor restricts unprivileged user namespaces (fix: sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile for rrun)"
	}
	return "the kernel or a security policy (seccomp, container runtime) refused it; if rrun runs inside a container, that container must allow unshare(CLONE_NEWUSER)"
}
