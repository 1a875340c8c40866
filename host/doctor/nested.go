package doctor

import (
	"errors"
	"fmt"
)

// errSyscallFiltered marks a probe failure of a syscall a container's
// seccomp filter refuses (sethostname), as opposed to a masked /proc.
var errSyscallFiltered = errors.New("refused by a seccomp filter")

// outerOptions names, for each kind of outer container, the option that
// lifts a restriction rrun meets when it runs inside one.
type outerOptions struct{ rrun, docker, podman, kubernetes string }

func (o outerOptions) String() string {
	return fmt.Sprintf("if rrun runs in a container, start that container with %s (rrun), %s (docker), %s (podman), "+
		"or in Kubernetes %s", o.rrun, o.docker, o.podman, o.kubernetes)
}

// Outer options for the two restrictions of a container that stop rrun:
// a seccomp filter that refuses new user namespaces, and masked /proc
// paths, which make the kernel refuse a new /proc.
var (
	outerSeccomp = outerOptions{"--privileged", "--security-opt seccomp=unconfined",
		"--security-opt seccomp=unconfined", "securityContext.seccompProfile.type: Unconfined"}
	outerProc = outerOptions{"--privileged", "--security-opt systempaths=unconfined",
		"--security-opt unmask=ALL", "securityContext.procMount: Unmasked (with hostUsers: false)"}
)

// checkProc mounts a /proc for a new pid namespace inside a new user
// namespace, as every rrun session does, and sets a hostname, as a
// container's init does. Inside a container whose /proc has paths masked
// by bind mounts, the kernel refuses the mount (EPERM); a container's
// seccomp filter (podman's default) may refuse sethostname.
func checkProc(h *Host) Result {
	if h.ProbeProc == nil {
		return Result{Status: StatusSkip, Evidence: "not probed"}
	}
	if err := h.TryUserNS(); err != nil {
		return Result{Status: StatusSkip, Evidence: "no user namespace to try it in (see the userns check)"}
	}
	err := h.ProbeProc()
	switch {
	case errors.Is(err, errSyscallFiltered):
		return fail(fmt.Sprintf("mount -t proc in a new user and pid namespace: ok; %v", err),
			"a seccomp filter refuses what a container's init does (it allows those calls only with CAP_SYS_ADMIN outside): "+outerSeccomp.String())
	case err != nil:
		return fail(fmt.Sprintf("mount -t proc in a new user and pid namespace: %v", err),
			"the kernel refuses a new /proc while parts of this one are masked: "+outerProc.String())
	}
	return ok("mount -t proc and sethostname in new user, pid and uts namespaces: ok")
}
