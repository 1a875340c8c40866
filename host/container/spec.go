package container

import (
	"fmt"
	"os"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rrun-project/rrun/plugins/api"
)

const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// processArgs applies docker's rule: ENTRYPOINT + (the user's command, or CMD).
func processArgs(img ocispec.ImageConfig, userCmd []string) ([]string, error) {
	cmd := img.Cmd
	if len(userCmd) > 0 {
		cmd = userCmd
	}
	args := append(append([]string{}, img.Entrypoint...), cmd...)
	if len(args) == 0 {
		return nil, api.Errorf(api.ErrInvalidArgument, "give a command after the image name",
			"no command specified: the image has no ENTRYPOINT or CMD")
	}
	return args, nil
}

// processEnv applies docker's rule: the image's Env, then -e values by key
// (a bare KEY takes the caller's value, or is dropped when it has none),
// PATH when nothing set it, and HOSTNAME.
func processEnv(img ocispec.ImageConfig, userEnv []string, hostname string) []string {
	env := []string{"HOSTNAME=" + hostname}
	env = mergeEnv(env, img.Env)
	for _, kv := range userEnv {
		if !strings.Contains(kv, "=") {
			v, ok := os.LookupEnv(kv)
			if !ok {
				continue
			}
			kv += "=" + v
		}
		env = mergeEnv(env, []string{kv})
	}
	if !hasKey(env, "PATH") {
		env = append(env, defaultPath)
	}
	return env
}

func mergeEnv(env, add []string) []string {
	for _, kv := range add {
		key, _, _ := strings.Cut(kv, "=")
		replaced := false
		for i, old := range env {
			if k, _, _ := strings.Cut(old, "="); k == key {
				env[i], replaced = kv, true
			}
		}
		if !replaced {
			env = append(env, kv)
		}
	}
	return env
}

func hasKey(env []string, key string) bool {
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k == key {
			return true
		}
	}
	return false
}

// buildSpec makes the OCI runtime spec the isolation backend executes.
func buildSpec(img ocispec.Image, o RunOptions, id string, user specs.User) (*specs.Spec, error) {
	args, err := processArgs(img.Config, o.Cmd)
	if err != nil {
		return nil, err
	}
	hostname := id[:12]
	cwd := img.Config.WorkingDir
	if cwd == "" {
		cwd = "/"
	}
	return &specs.Spec{
		Version:  specs.Version,
		Hostname: hostname,
		Root:     &specs.Root{Path: "rootfs"},
		Process: &specs.Process{
			Args: args,
			Env:  processEnv(img.Config, o.Env, hostname),
			Cwd:  cwd,
			User: user,
		},
		Mounts: defaultMounts(),
		Linux: &specs.Linux{
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace}, {Type: specs.MountNamespace},
				{Type: specs.UTSNamespace}, {Type: specs.IPCNamespace},
			},
			Devices:       defaultDevices(),
			MaskedPaths:   maskedPaths,
			ReadonlyPaths: readonlyPaths,
		},
		Annotations: map[string]string{"io.rrun.image": o.Image},
	}, nil
}

func specJSONError(err error) error {
	return fmt.Errorf("failed to encode the runtime spec: %w", err)
}
