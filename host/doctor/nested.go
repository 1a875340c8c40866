package doctor

import "fmt"

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
// namespace, as every rrun session does. Inside a container whose /proc
// has paths masked by bind mounts, the kernel refuses it (EPERM).
func checkProc(h *Host) Result {
	if h.ProbeProc == nil {
		return Result{Status: StatusSkip, Evidence: "not probed"}
	}
	if err := h.TryUserNS(); err != nil {
		return Result{Status: StatusSkip, Evidence: "no user namespace to try it in (see the userns check)"}
	}
	if err := h.ProbeProc(); err != nil {
		return fail(fmt.Sprintf("mount -t proc in a new user and pid namespace: %v", err),
			"the kernel refuses a new /proc while parts of this one are masked: "+outerProc.String())
	}
	return ok("mount -t proc in a new user and pid namespace: ok")
}
