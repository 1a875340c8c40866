package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

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

// slurmLockHeld reports whether another process holds the lock name.
func slurmLockHeld(name string) bool {
	dir, err := resolveSlurmDataDir()
	if err != nil {
		return false
	}
	f, err := os.Open(filepath.Join(dir, name+".lock"))
	if err != nil {
		return false // no lock file: nobody holds it
	}
	defer f.Close()
	return unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) == unix.EWOULDBLOCK
}

// removeSlurmLock removes the file of lock name, once nobody needs it.
func removeSlurmLock(name string) {
	if dir, err := resolveSlurmDataDir(); err == nil {
		_ = os.Remove(filepath.Join(dir, name+".lock")) // a lock file left behind costs nothing but a name
	}
}

func watchLockName(container string) string { return "w-" + container }

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

// startSlurmWatch starts `rrun __slurm-watch PID NAME` detached, which
// removes the container once slurmstepd PID has exited: at the step's end,
// after scancel or a time limit, and when slurmstepd itself is killed.
func startSlurmWatch(stepd int, name string) error {
	if err := startSlurmDetached([]string{slurmWatchArg, strconv.Itoa(stepd), name}); err != nil {
		return fmt.Errorf("failed to start the step's watcher: %w", err)
	}
	return nil
}

// slurmWatch waits for process pid to exit, then removes the container.
// It holds the lock w-NAME meanwhile: a prepare on the node leaves the
// container to it (reapOrphanSteps).
func slurmWatch(pid int, name string) error {
	unlock, err := slurmLock(watchLockName(name))
	if err != nil {
		return err
	}
	defer unlock()
	defer removeSlurmLock(watchLockName(name)) // before the unlock: a prober that opened it meanwhile sees it held
	fd, err := unix.PidfdOpen(pid, 0)
	if err == nil {
		waitKeepingHolder(fd)
		unix.Close(fd)
	} else if err != unix.ESRCH {
		return fmt.Errorf("failed to watch slurmstepd (pid %d): %w", pid, err)
	}
	return removeStepContainer(name)
}

// waitKeepingHolder waits until the process of pidfd fd exits. Meanwhile,
// when the step uses the node's session holder, it touches the holder's
// record three times per idle timeout: a step that runs longer than that
// would otherwise leave the node's next step to start the holder, its pool
// and its warm plugins again.
func waitKeepingHolder(fd int) {
	runDir, every := "", time.Duration(0)
	if dirs, err := config.ResolveDirs(); err == nil && os.Getenv("RRUN_HOLDER") != "0" {
		if idle, err := config.SessionIdleTimeout(dirs); err == nil && idle > 0 {
			runDir, every = dirs.Run, max(idle/3, time.Second)
		}
	}
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		timeout := -1
		if runDir != "" {
			timeout = int(every.Milliseconds())
		}
		n, err := unix.Poll(fds, timeout)
		switch {
		case err == unix.EINTR:
		case err == nil && n == 0:
			session.TouchHolder(runDir)
		default:
			return
		}
	}
}
