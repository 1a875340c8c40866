package container

import (
	"os"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rrun-project/rrun/plugins/api"
)

// defaultCaps is rootless podman's default capability set
// (containers/common 0.50, podman 4.3): docker's minus MKNOD, NET_RAW and
// AUDIT_WRITE, which --cap-add restores.
var defaultCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID",
	"CAP_SYS_CHROOT",
}

// knownCaps are the Linux capabilities by number (linux/capability.h).
var knownCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK",
	"CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
	"CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
	"CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
}

// allCaps is what ALL means: the known capabilities this kernel has.
func allCaps() []string {
	b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err != nil {
		return knownCaps
	}
	last, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || last+1 >= len(knownCaps) {
		return knownCaps
	}
	return knownCaps[:last+1]
}

// normalizeCaps turns cap-add/cap-drop values into CAP_ names; all says
// whether ALL was among them.
func normalizeCaps(flag string, vals []string) (caps []string, all bool, err error) {
	for _, v := range vals {
		c := strings.ToUpper(strings.TrimSpace(v))
		if c == "ALL" {
			all = true
			continue
		}
		if !strings.HasPrefix(c, "CAP_") {
			c = "CAP_" + c
		}
		if !slices.Contains(knownCaps, c) {
			return nil, false, api.Errorf(api.ErrInvalidArgument, "see capabilities(7) for the names, or use ALL",
				"unknown capability %q in %s", v, flag)
		}
		caps = append(caps, c)
	}
	return caps, all, nil
}

// tweakCaps applies --cap-add and --cap-drop to docker's defaults with
// moby's rules: add ALL wins (minus the drops), then drop ALL (keeping the
// adds), else defaults minus drops plus adds.
func tweakCaps(adds, drops []string) ([]string, error) {
	drop, dropAll, err := normalizeCaps("--cap-drop", drops)
	if err != nil {
		return nil, err
	}
	add, addAll, err := normalizeCaps("--cap-add", adds)
	if err != nil {
		return nil, err
	}
	var caps []string
	switch {
	case addAll:
		for _, c := range allCaps() {
			if !slices.Contains(drop, c) {
				caps = append(caps, c)
			}
		}
		return caps, nil
	case dropAll:
		caps = []string{}
	default:
		for _, c := range defaultCaps {
			if !slices.Contains(drop, c) {
				caps = append(caps, c)
			}
		}
	}
	for _, c := range add {
		if !slices.Contains(caps, c) {
			caps = append(caps, c)
		}
	}
	return caps, nil
}

// capabilities is the container's capability set: every one with
// --privileged (docker's rule), else the defaults with --cap-add/--cap-drop.
func (o *RunOptions) capabilities() ([]string, error) {
	caps, err := tweakCaps(o.CapAdd, o.CapDrop)
	if err != nil || !o.Privileged {
		return caps, err
	}
	return allCaps(), nil
}

// processCaps follows moby's SetCapabilities: root gets the set in
// bounding, effective and permitted; any other user only in bounding, as
// execve would leave it. Inheritable and ambient stay empty.
func processCaps(caps []string, uid uint32) *specs.LinuxCapabilities {
	if uid == 0 {
		return &specs.LinuxCapabilities{Bounding: caps, Effective: slices.Clone(caps), Permitted: slices.Clone(caps)}
	}
	return &specs.LinuxCapabilities{Bounding: caps}
}
