package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/host/session/join"
	"github.com/rrun-project/rrun/host/state"
	"github.com/rrun-project/rrun/host/trace"
	"github.com/rrun-project/rrun/plugins/api"
)

// The hidden verbs the Slurm SPANK plugin (integrations/slurm, docs/slurm.md)
// runs as the job's user on each node: __slurm-prepare starts the container
// a step's tasks join (joined to the node's session holder, it runs the
// container and becomes its monitor itself; else it drives `rrun run -d`
// as a child), __slurm-cleanup removes containers. A step's container is
// an ordinary detached container (rrun ps shows it; rrun's crash recovery
// covers it).
const (
	slurmPrepareArg = "__slurm-prepare"
	slurmCleanupArg = "__slurm-cleanup"
	// slurmJobLabel marks the containers of a Slurm job.
	slurmJobLabel = "rrun.slurm.job"
	// slurmStepdLabel names the slurmstepd a step's container serves
	// (stepdLabel): the plugin kills the container's holder when the step
	// ends (slurm_spank_exit); when slurmstepd died without that, the
	// next prepare on the node removes the container.
	slurmStepdLabel = "rrun.slurm.stepd"
	// slurmPauseName is the holder the plugin builds (make slurm), looked for
	// next to the rrun binary and in the libexec dirs.
	slurmPauseName = "rrun-slurm-pause"
	slurmPauseDest = "/.rrun-slurm/pause"
)

type slurmPrepareFlags struct {
	name, job, mounts, workdir     string
	user                           string // UID:GID of the job: the tasks' ids inside without --remap-root
	remapRoot, readonly, reuse, ep bool
	stepd                          int // slurmstepd's pid: the container goes when it does (0: kept, for --container-name)
}

func newSlurmPrepareCommand() *cobra.Command {
	var f slurmPrepareFlags
	cmd := &cobra.Command{
		Use: slurmPrepareArg + " [OPTIONS] IMAGE", Hidden: true, Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error { return slurmPrepare(f, args[0]) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.name, "name", "", "container name")
	fl.StringVar(&f.job, "job", "", "Slurm job id")
	fl.StringVar(&f.mounts, "mounts", "", "SRC:DST[:ro],...")
	fl.StringVar(&f.workdir, "workdir", "", "working directory of the tasks (default: the image's)")
	fl.BoolVar(&f.remapRoot, "remap-root", false, "uid 0 inside (default: your own uid)")
	fl.StringVar(&f.user, "user", "", "UID:GID of the job's user (without --remap-root)")
	fl.BoolVar(&f.readonly, "readonly", false, "read-only root filesystem")
	fl.BoolVar(&f.reuse, "reuse", false, "reuse a running container of this name")
	fl.BoolVar(&f.ep, "entrypoint", false, "also print the image's entrypoint")
	fl.IntVar(&f.stepd, "stepd", 0, "remove the container when this process (slurmstepd) exits")
	return cmd
}

// slurmPrepare makes (or, with --reuse, finds) the step's container and
// prints the holder's host pid ("pid N"), the confinement the tasks take on
// (slurmConfinement), with --entrypoint the image's entrypoint
// ("entrypoint ARG" lines), and "ready". The tasks take the environment and
// the working directory from the holder itself (/proc/N/environ and cwd).
func slurmPrepare(f slurmPrepareFlags, image string) error {
	oneProc()
	job := ""
	if f.reuse {
		job = f.job // only a named container waits for the job's epilog; a step's goes with the step
	}
	if err := slurmDirs(job); err != nil {
		return err
	}
	slurmSessionMode(f)
	reapOrphanSteps()
	if f.reuse {
		// Steps of one job may start a named container at once; a step's
		// own name is unique, so it takes no lock (and leaves no lock file).
		unlock, err := slurmLock("c-" + f.name)
		if err != nil {
			return err
		}
		defer unlock()
	}
	announce := func(pid int) error { return slurmAnnounce(f, image, pid) }
	var first error
	if f.stepd > 0 && join.Joined() {
		// A step's container lives as long as the step, and goes with it:
		// this process stays its monitor (docs/slurm.md, Cost per step)
		// unless the job asks for the small one.
		monitorStays = os.Getenv("RRUN_SMALL_MONITOR") != "1"
		pinSessionHolder(f.stepd)
		var announced bool
		announced, first = slurmMonitorHere(f, image, announce)
		if announced {
			// This process was the container's monitor until it ended
			// (no rrun-monitor to hand it to); its stdio is the log now.
			// A pre-started one may serve again (reusable).
			var code exitCode // the holder's, killed at the step's end: 137
			servedForeground = servedClient > 0 && monitorStays && (first == nil || errors.As(first, &code))
			return first
		}
	}
	pid, err := slurmContainer(f, image, first)
	if err != nil {
		return err
	}
	return announce(pid)
}

// slurmAnnounce prints what the plugin reads (see slurmPrepare), and last
// "ready": the plugin does not wait for this process's exit status.
func slurmAnnounce(f slurmPrepareFlags, image string, pid int) error {
	fmt.Fprintf(os.Stdout, "pid %d\n", pid)
	if err := slurmConfinement(os.Stdout, f.name, pid); err != nil {
		return err
	}
	trace.Mark("slurm: confinement read")
	if f.ep {
		img, err := slurmImage(image)
		if err != nil {
			return err
		}
		for _, a := range img.Entrypoint {
			fmt.Fprintf(os.Stdout, "entrypoint %s\n", a)
		}
	}
	fmt.Fprintln(os.Stdout, "ready")
	return nil
}

// slurmMonitorHere starts a step's container from this process, which the
// C constructor joined to the node's running session holder, and becomes
// its monitor, as `rrun run -d`'s detached monitor would: two starts of
// the rrun binary per step and node fewer (the run's and its monitor's).
// Once the container runs it announces it, moves its own stdio onto the
// container's monitor.log (the plugin then reads EOF: it started this
// process in a session of its own and does not wait for it) and goes on
// as the monitor: to the container's end for a step's container
// (monitorStays), else until it hands the container to rrun-monitor. It returns
// announced false with the error when the container did not start (a
// missing image, say): the caller then goes the usual way, which pulls.
func slurmMonitorHere(f slurmPrepareFlags, image string, announce func(pid int) error) (announced bool, err error) {
	args, err := slurmRunArgs(f, image)
	if err != nil {
		return false, err
	}
	run := runCommandFor(func(o *container.RunOptions) error {
		_, err := createAndStart(o, func(cfg config.Config, store *state.Store, rec state.Record, owner *state.Owner) error {
			net, err := planDetached(cfg, store, rec)
			if err != nil {
				return err
			}
			monitorOwner, monitorOwnerFD = owner, int(owner.File().Fd())
			cfg = withConfigOf(cfg, rec)
			logPath := filepath.Join(cfg.Dirs.Data, "containers", rec.ID, "monitor.log")
			return monitorInSession(cfg, store, rec, net, false, func(err error) {
				if err != nil || announced {
					return
				}
				announced = true
				trace.Mark("slurm: holder container runs")
				pid := slurmPid(f.name)
				aerr := announce(pid)
				if aerr != nil {
					fmt.Fprintf(os.Stderr, "rrun: %v\n", aerr) // no "ready": the plugin fails the step
				}
				if err := moveStdio(logPath); err != nil {
					warnf("%v", err)
				}
				// Served by a pre-started rrun: its client holds the
				// plugin's pipes too, and exits now.
				releaseClient(0)
				if aerr != nil && pid > 0 {
					_ = unix.Kill(pid, unix.SIGKILL) // nobody will: this monitor then removes the container (--rm)
				}
			})
		})
		return err
	})
	run.SetArgs(args[1:])
	run.SilenceUsage, run.SilenceErrors = true, true
	err = run.Execute()
	return announced, err
}

// moveStdio points fds 1 and 2 at the file path (appended to) and fd 0 at
// /dev/null: whoever reads this process's output sees its end.
func moveStdio(path string) error {
	logf, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("failed to open %s: %w", path, err)
	}
	defer logf.Close()
	null, err := os.Open(os.DevNull)
	if err != nil {
		return fmt.Errorf("failed to open %s: %w", os.DevNull, err)
	}
	defer null.Close()
	for fd, f := range []*os.File{null, logf, logf} {
		if err := unix.Dup2(int(f.Fd()), fd); err != nil {
			return fmt.Errorf("failed to move fd %d: %w", fd, err)
		}
	}
	return nil
}

// slurmContainer returns the host pid of the container's holder, started
// now unless --reuse finds it running. The common case, an image in the
// store, costs one `rrun run -d`; a missing one is pulled (once per node)
// and the run repeated. first is the error of a run tried already.
func slurmContainer(f slurmPrepareFlags, image string, first error) (int, error) {
	if f.reuse {
		if pid := slurmPid(f.name); pid > 0 {
			return pid, nil
		}
		_, _ = selfRun("rm", "-f", f.name) // a stopped one of an earlier step: its absence is what we want
	}
	args, err := slurmRunArgs(f, image)
	if err != nil {
		return 0, err
	}
	if err := slurmRunOrPull(f.name, image, args, first); err != nil {
		_, _ = selfRun("rm", "-f", f.name) // leave nothing of a step that did not start
		return 0, err
	}
	trace.Mark("slurm: holder container runs")
	if f.stepd > 0 {
		pinSessionHolder(f.stepd)
	}
	pid := slurmPid(f.name)
	if pid <= 0 {
		return 0, api.Errorf(api.ErrInternal, "see rrun logs "+f.name, "the container %s of image %s stopped at once", f.name, image)
	}
	return pid, nil
}

// slurmRunOrPull runs the holder (unless first is the error of a run tried
// already); when that fails, it pulls the image if it is missing and runs
// it again. The image may also have arrived meanwhile (a concurrent step
// of the node pulled it after this run failed for its absence): the run
// is tried again then too. A second failure gets the first fix rrun doctor
// knows for this node.
func slurmRunOrPull(name, image string, args []string, first error) error {
	err := first
	if err == nil {
		if _, err = selfRun(args...); err == nil {
			return nil
		}
	}
	if _, ierr := inspectImageConfig(image); ierr != nil {
		if _, err := slurmImage(image); err != nil {
			return err
		}
	}
	_, _ = selfRun("rm", "-f", name) // the record of the failed first run, if it left one
	if _, err := selfRun(args...); err != nil {
		return withDoctorFix(err)
	}
	return nil
}

// slurmRunArgs is the `rrun run -d` of a step's holder container.
func slurmRunArgs(f slurmPrepareFlags, image string) ([]string, error) {
	pause, err := findSlurmPause()
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname() // an empty name leaves rrun's default
	args := []string{"run", "-d", "--pull", "never", "--name", f.name, "--network", "host", "--label", slurmJobLabel + "=" + f.job,
		"-v", pause + ":" + slurmPauseDest + ":ro", "--entrypoint", slurmPauseDest}
	if f.stepd > 0 {
		// A step's container removes itself once the plugin kills its
		// holder at the step's end: the monitor does it with the warm
		// plugins, no session of its own.
		args = append(args, "--rm", "--label", slurmStepdLabel+"="+stepdLabel(f.stepd))
	}
	if host != "" {
		args = append(args, "--hostname", host)
	}
	if !f.remapRoot {
		// keep-id's default user is the caller's uid, which is 0 when this
		// rrun already runs inside the user's session: name the job's.
		args = append(args, "--userns", "keep-id")
		if f.user != "" {
			args = append(args, "--user", f.user)
		}
	}
	if f.readonly {
		args = append(args, "--read-only")
	}
	if f.workdir != "" {
		args = append(args, "-w", f.workdir)
	}
	for _, m := range strings.Split(f.mounts, ",") {
		if m = strings.TrimSpace(m); m != "" {
			args = append(args, "-v", m)
		}
	}
	// The holder's argument is the container's name: `ps` on the node
	// tells which job and step each holder serves.
	return append(args, image, f.name), nil
}

// slurmPid is the host pid of a running container's init, or 0. It reads
// the record here rather than through `rrun inspect`: one process less per
// step.
func slurmPid(name string) int {
	_, store, err := openStore()
	if err != nil {
		return 0
	}
	r, err := store.Get(name)
	if err != nil || !store.Alive(r) {
		return 0
	}
	return hostPid(r)
}
