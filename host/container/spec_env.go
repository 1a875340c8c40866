package container

import (
	"os"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// processEnv applies docker's rule: the image's Env, then -e values by key
// (a bare KEY takes the caller's value, or is dropped when it has none),
// PATH when nothing set it, HOSTNAME, and TERM=xterm with a terminal.
func processEnv(img ocispec.ImageConfig, userEnv []string, hostname string, tty bool) []string {
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
	if tty && !hasKey(env, "TERM") {
		env = append(env, "TERM=xterm")
	}
	return env
}

// ConfigEnv is docker's Config.Env of a container: the user's variables
// (-e, --env-file; a bare KEY resolved as for the process), then the
// image's whose key the user did not set (docker's merge). HOSTNAME, the
// default PATH and TERM are the process's, not the config's.
func ConfigEnv(imageEnv, userEnv []string) []string {
	var env []string
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
	for _, kv := range imageEnv {
		if key, _, _ := strings.Cut(kv, "="); !hasKey(env, key) {
			env = append(env, kv)
		}
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
