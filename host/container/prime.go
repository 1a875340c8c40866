package container

import (
	"encoding/json"

	"github.com/moby/profiles/seccomp"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Prime runs, on sample values, the encodings a run meets first: its
// spec with docker's seccomp profile, and the image config it decodes. In
// a fresh process the first json.Marshal of a spec takes ~2 ms (encoding/json
// builds its per-type encoders; the next takes 0.05 ms), so a pre-started
// rrun calls this while it waits for its command. It has no effect but
// those caches.
func Prime() {
	spec := &specs.Spec{
		Version: specs.Version,
		Process: &specs.Process{
			Args: []string{"true"}, Env: []string{"PATH=/bin"}, Cwd: "/",
			Capabilities: &specs.LinuxCapabilities{Bounding: defaultCaps, Effective: defaultCaps, Permitted: defaultCaps},
			Rlimits:      []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1, Soft: 1}},
		},
		Root:   &specs.Root{Path: "rootfs"},
		Mounts: []specs.Mount{{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid"}}},
		Linux: &specs.Linux{
			Namespaces: []specs.LinuxNamespace{{Type: specs.PIDNamespace}}, Devices: defaultDevices(),
			MaskedPaths: maskedPaths, ReadonlyPaths: readonlyPaths, Sysctl: map[string]string{"net.ipv4.ping_group_range": "0 0"},
		},
		Annotations: map[string]string{"a": "b"},
	}
	if s, err := seccomp.GetDefaultProfile(spec); err == nil {
		spec.Linux.Seccomp = s
	}
	_, _ = json.Marshal(spec)
	var img ocispec.Image
	_ = json.Unmarshal([]byte(`{"architecture":"amd64","os":"linux","config":{"User":"0","Env":["A=B"],"Entrypoint":["sh"],`+
		`"Cmd":["sh"],"WorkingDir":"/","Labels":{"a":"b"},"ExposedPorts":{"80/tcp":{}},"Volumes":{"/v":{}},"StopSignal":"TERM"},`+
		`"rootfs":{"type":"layers","diff_ids":["sha256:00"]},"history":[{"created_by":"x"}]}`), &img)
}
