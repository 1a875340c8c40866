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
	for _, s := range UserNSSettings {
		if readSysctl(s.Path()) == s.Blocks {
			return s.Problem + " (fix: " + s.Fix + ")"
		}
	}
	return "the kernel or a security policy (seccomp, container runtime) refused it; if rrun runs inside a container, that container must allow unshare(CLONE_NEWUSER)"
}
