package doctor

import (
	"fmt"
	"strings"

	"github.com/rrun-project/rrun/host/session"
)

// checkUserNS reads the sysctls that can forbid unprivileged user
// namespaces and tries to make one. A blocking sysctl fails the check even
// when the try works: AppArmor's restriction lets the namespace be made but
// takes every capability away inside it.
func checkUserNS(h *Host) Result {
	var seen []string
	var blocking *session.UserNSSetting
	for i, s := range session.UserNSSettings {
		v, found := h.readFile(s.Path())
		if !found {
			continue
		}
		seen = append(seen, s.Name+"="+v)
		if v == s.Blocks && blocking == nil {
			blocking = &session.UserNSSettings[i]
		}
	}
	evidence := strings.Join(seen, ", ")
	tryErr := h.TryUserNS()
	if tryErr == nil {
		evidence = join(evidence, "a new user namespace with a one-uid map: ok")
	} else {
		evidence = join(evidence, fmt.Sprintf("a new user namespace: %v", tryErr))
	}
	switch {
	case blocking != nil:
		return fail(join(blocking.Problem, evidence), sysctlFix(*blocking))
	case tryErr != nil:
		return fail(evidence, "allow unshare(CLONE_NEWUSER) for this user (a seccomp filter refuses it): "+outerSeccomp.String())
	}
	return ok(evidence)
}

func sysctlFix(s session.UserNSSetting) string {
	return fmt.Sprintf("%s (to keep it after a reboot: echo '%s=%s' | sudo tee /etc/sysctl.d/90-rrun.conf)",
		s.Fix, s.Name, s.Allows)
}

// join joins the non-empty parts with "; ".
func join(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "; ")
}
