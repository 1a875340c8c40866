package native

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rrun-project/rrun/plugins/api"
)

// seccompFileName, in a container's run dir, keeps its compiled filter for
// the processes Exec starts later, possibly from another plugin process.
const seccompFileName = "seccomp.json"

// containerSeccomp compiles the spec's filter; nil when the spec has none.
func containerSeccomp(id string, spec *specs.Spec) (*seccompProgram, error) {
	if spec.Linux == nil || spec.Linux.Seccomp == nil {
		return nil, nil
	}
	p, err := newSeccompProgram(spec.Linux.Seccomp)
	if err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "fix the profile, or run with --security-opt seccomp=unconfined",
			"container %s: invalid seccomp profile: %v", id, err)
	}
	return p, nil
}

// saveSeccomp writes the filter next to the container's state.
func saveSeccomp(dir string, p *seccompProgram) error {
	if p == nil {
		return nil
	}
	data, err := json.Marshal(p)
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, seccompFileName), data, 0o600)
	}
	if err != nil {
		return fmt.Errorf("failed to save the seccomp filter: %w", err)
	}
	return nil
}

// readSeccomp returns the filter saveSeccomp wrote; nil for a container
// without one.
func readSeccomp(dir string) (*seccompProgram, error) {
	data, err := os.ReadFile(filepath.Join(dir, seccompFileName))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	var p seccompProgram
	if err == nil {
		err = json.Unmarshal(data, &p)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read the seccomp filter: %w", err)
	}
	return &p, nil
}
