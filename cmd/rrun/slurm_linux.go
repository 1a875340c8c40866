package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/session"
	"github.com/rrun-project/rrun/plugins/api"
)

// slurmDirs creates the per-node dirs the plugin's dir= pattern names
// (RRUN_SLURM_DIR: data/ and run/, which it passes as XDG_DATA_HOME and
// XDG_RUNTIME_DIR) and, given a job, marks it as having a named container on
// this node: the epilog looks for jobs/JOB (without one it costs nothing)
// and runs the rrun binary the marker names, as the epilog has no job PATH
// to find it with. The binary is recorded per job: one record per node and
// user would name whatever rrun the user's latest job ran, which may be gone
// (another checkout, an upgrade) by the time this job ends.
func slurmDirs(job string) error {
	dir := os.Getenv("RRUN_SLURM_DIR")
	for _, d := range []string{os.Getenv("XDG_DATA_HOME"), os.Getenv("XDG_RUNTIME_DIR")} {
		if d != "" {
			if err := os.MkdirAll(d, 0o700); err != nil {
				return fmt.Errorf("failed to create %s: %w", d, err)
			}
		}
	}
	if dir == "" || job == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Join(dir, "jobs"), 0o700); err != nil {
		return fmt.Errorf("failed to create %s/jobs: %w", dir, err)
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("failed to find the rrun binary: %w", err)
	}
	tmp := filepath.Join(dir, "jobs", fmt.Sprintf(".%s-%d", job, os.Getpid()))
	if err := os.WriteFile(tmp, []byte(exe), 0o600); err != nil {
		return fmt.Errorf("failed to mark job %s: %w", job, err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "jobs", job)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("failed to mark job %s: %w", job, err)
	}
	return nil
}

// slurmLock takes an exclusive flock named name in rrun's data dir (so
// steps of one node serialise on it) and returns its release.
func slurmLock(name string) (func(), error) {
	dirs, err := resolveSlurmDataDir()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dirs, 0o700); err != nil {
		return nil, fmt.Errorf("failed to create %s: %w", dirs, err)
	}
	f, err := os.OpenFile(filepath.Join(dirs, name+".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("failed to open lock %s: %w", name, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("failed to lock %s: %w", name, err)
	}
	return func() { f.Close() }, nil
}

// removeSlurmLock removes the file of lock name, once nobody needs it.
func removeSlurmLock(name string) {
	if dir, err := resolveSlurmDataDir(); err == nil {
		_ = os.Remove(filepath.Join(dir, name+".lock")) // a lock file left behind costs nothing but a name
	}
}

func resolveSlurmDataDir() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "rrun", "slurm"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("failed to find the home directory: %w", err)
	}
	return filepath.Join(home, ".local", "share", "rrun", "slurm"), nil
}

// findSlurmPause finds the holder binary `make slurm` builds.
func findSlurmPause() (string, error) {
	var dirs []string
	if exe, err := os.Executable(); err == nil {
		dirs = append(dirs, filepath.Dir(exe))
	}
	dirs = append(dirs, "/usr/local/libexec/rrun", "/usr/libexec/rrun")
	for _, d := range dirs {
		p := filepath.Join(d, slurmPauseName)
		if unix.Access(p, unix.X_OK) == nil {
			return p, nil
		}
	}
	return "", api.Errorf(api.ErrNotFound, "install it next to rrun (make slurm builds bin/"+slurmPauseName+")",
		"%s not found in %s", slurmPauseName, strings.Join(dirs, ", "))
}

// withDoctorFix adds, to a failure to start the container, the first thing
// rrun doctor finds missing on this node and its fix.
func withDoctorFix(err error) error {
	out, _ := selfRun("doctor") // doctor exits non-zero exactly when it found something: its text is the answer
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, "✗") {
			continue
		}
		msg := strings.Join(strings.Fields(strings.TrimPrefix(l, "✗")), " ")
		if i+1 < len(lines) && strings.Contains(lines[i+1], "fix:") {
			msg += "; " + strings.TrimSpace(lines[i+1])
		}
		return fmt.Errorf("%w (rrun doctor: %s)", err, msg)
	}
	return err
}

// pinSessionHolder keeps the node's session holder (and with it the pool
// and the warm plugins the holder's idle timeout would end) up while the
// step's slurmstepd runs: a step that runs longer than the idle timeout
// would otherwise leave the node's next step to start them all again.
// Best effort: without the pin a long step costs the next one a cold start.
func pinSessionHolder(stepd int) {
	if os.Getenv("RRUN_HOLDER") == "0" {
		return
	}
	if dirs, err := config.ResolveDirs(); err == nil {
		_ = session.PinHolder(dirs.Run, stepd)
	}
}
