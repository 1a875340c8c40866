package native

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/rrun-project/rrun/plugins/api"
	"github.com/rrun-project/rrun/plugins/isolation/native/nsinit"
)

// NsinitEnv names the variable that overrides which program the backend
// starts as a container's init and exec processes. Tests set it to their
// own binary, whose main dispatches nsinit.InitArg to nsinit.Main.
const NsinitEnv = "RRUN_NSINIT"

// nsinitName is the program make build puts next to rrun.
const nsinitName = "rrun-nsinit"

// nsinitDirs are where an installed rrun-nsinit may live, after the
// directory of the plugin's own executable.
var nsinitDirs = []string{"/usr/local/libexec/rrun", "/usr/libexec/rrun"}

// findNsinit returns the program to start: $RRUN_NSINIT, else the first
// rrun-nsinit next to the plugin's executable or in nsinitDirs. The error
// names the places looked at and the fix.
func findNsinit() (string, error) {
	if p := os.Getenv(NsinitEnv); p != "" {
		return p, nil
	}
	dirs := nsinitDirs
	if exe, err := os.Executable(); err == nil {
		dirs = append([]string{filepath.Dir(exe)}, dirs...)
	}
	for _, d := range dirs {
		p := filepath.Join(d, nsinitName)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", api.Errorf(api.ErrFailedPrecondition, "run make build, which puts rrun-nsinit next to bin/rrun",
		"isolation native: %s not found in %s", nsinitName, strings.Join(dirs, ", "))
}

// nsinitArgs are the arguments of the init (exec: of an exec process).
func nsinitArgs(exec bool) []string {
	if exec {
		return []string{nsinitName, nsinit.InitArg, nsinit.ExecArg}
	}
	return []string{nsinitName, nsinit.InitArg}
}
