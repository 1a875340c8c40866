package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/plugins/api"
)

// The hidden verbs the Slurm SPANK plugin (integrations/slurm, docs/slurm.md)
// runs as the job's user on each node: __slurm-prepare starts the container
// a step's tasks join, __slurm-cleanup removes it. They drive rrun's public
// verbs as child processes, so a step's container is an ordinary detached
// container (rrun ps shows it; rrun's crash recovery covers it).
const (
	slurmPrepareArg = "__slurm-prepare"
	slurmCleanupArg = "__slurm-cleanup"
	slurmWatchArg   = "__slurm-watch"
	// slurmJobLabel marks the containers of a Slurm job.
	slurmJobLabel = "rrun.slurm.job"
	// slurmPauseName is the holder the plugin builds (make slurm), looked for
	// next to the rrun binary and in the libexec dirs.
	slurmPauseName = "rrun-slurm-pause"
	slurmPauseDest = "/.rrun-slurm/pause"
)

type slurmPrepareFlags struct {
	name, job, mounts, workdir     string
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
	fl.BoolVar(&f.readonly, "readonly", false, "read-only root filesystem")
	fl.BoolVar(&f.reuse, "reuse", false, "reuse a running container of this name")
	fl.BoolVar(&f.ep, "entrypoint", false, "also print the image's entrypoint")
	fl.IntVar(&f.stepd, "stepd", 0, "remove the container when this process (slurmstepd) exits")
	return cmd
}

func newSlurmWatchCommand() *cobra.Command {
	return &cobra.Command{
		Use: slurmWatchArg + " PID NAME", Hidden: true, Args: cobra.ExactArgs(2),
		RunE: func(_ *cobra.Command, args []string) error {
			pid, err := strconv.Atoi(args[0])
			if err != nil {
				return fmt.Errorf("failed to read pid %q: %w", args[0], err)
			}
			return slurmWatch(pid, args[1])
		},
	}
}

func newSlurmCleanupCommand() *cobra.Command {
	var job string
	cmd := &cobra.Command{
		Use: slurmCleanupArg + " --job ID [NAME]", Hidden: true, Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error { return slurmCleanup(job, args) },
	}
	cmd.Flags().StringVar(&job, "job", "", "Slurm job id: without NAME, every container of the job")
	return cmd
}

// slurmPrepare makes (or, with --reuse, finds) the step's container and
// prints the holder's host pid ("pid N"), and with --entrypoint the image's
// entrypoint ("entrypoint ARG" lines). The tasks take the environment and
// the working directory from the holder itself (/proc/N/environ and cwd).
func slurmPrepare(f slurmPrepareFlags, image string) error {
	job := ""
	if f.reuse {
		job = f.job // only a named container waits for the job's epilog; a step's goes with its watcher
	}
	if err := slurmDirs(job); err != nil {
		return err
	}
	unlock, err := slurmLock("c-" + f.name)
	if err != nil {
		return err
	}
	defer unlock()
	pid, err := slurmContainer(f, image)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stdout, "pid %d\n", pid)
	if !f.ep {
		return nil
	}
	img, err := slurmImage(image)
	if err != nil {
		return err
	}
	for _, a := range img.Entrypoint {
		fmt.Fprintf(os.Stdout, "entrypoint %s\n", a)
	}
	return nil
}

// slurmContainer returns the host pid of the container's holder, started
// now unless --reuse finds it running. The common case, an image in the
// store, costs one `rrun run -d`; a missing one is pulled (once per node)
// and the run repeated.
func slurmContainer(f slurmPrepareFlags, image string) (int, error) {
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
	if err := slurmRunOrPull(f.name, image, args); err != nil {
		_, _ = selfRun("rm", "-f", f.name) // leave nothing of a step that did not start
		return 0, err
	}
	if f.stepd > 0 {
		if err := startSlurmWatch(f.stepd, f.name); err != nil {
			_, _ = selfRun("rm", "-f", f.name) // the error that matters is the watcher's
			return 0, err
		}
	}
	pid := slurmPid(f.name)
	if pid <= 0 {
		return 0, api.Errorf(api.ErrInternal, "see rrun logs "+f.name, "the container %s of image %s stopped at once", f.name, image)
	}
	return pid, nil
}

// slurmRunOrPull runs the holder; when that fails because the image is
// missing, it pulls the image and runs it again. Any other failure gets the
// first fix rrun doctor knows for this node.
func slurmRunOrPull(name, image string, args []string) error {
	_, err := selfRun(args...)
	if err == nil {
		return nil
	}
	if _, ierr := inspectImageConfig(image); ierr == nil {
		return withDoctorFix(err)
	}
	if _, err := slurmImage(image); err != nil {
		return err
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
	if host != "" {
		args = append(args, "--hostname", host)
	}
	if !f.remapRoot {
		args = append(args, "--userns", "keep-id")
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
	return append(args, image), nil
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

// slurmCleanup removes one container, or every container of the job.
func slurmCleanup(job string, names []string) error {
	if len(names) == 0 {
		out, err := selfRun("ps", "-aq", "--filter", "label="+slurmJobLabel+"="+job)
		if err != nil {
			return err
		}
		names = strings.Fields(out)
	}
	for _, n := range names {
		// A step's watcher may have removed it meanwhile: gone is what we want.
		if _, err := selfRun("rm", "-f", n); err != nil && !strings.Contains(err.Error(), "no such container") {
			return err
		}
	}
	if dir := os.Getenv("RRUN_SLURM_DIR"); dir != "" && len(names) == 0 && job != "" {
		_ = os.Remove(filepath.Join(dir, "jobs", job)) // a leftover marker costs one empty epilog run
	}
	return nil
}

// selfRun runs this rrun binary with args and returns its stdout; its error
// is the last line rrun printed on stderr.
func selfRun(args ...string) (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("failed to find the rrun binary: %w", err)
	}
	var out, errb bytes.Buffer
	cmd := exec.Command(exe, withGlobals(args)...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		line := lastLine(errb.String())
		if line == "" {
			line = err.Error()
		}
		return out.String(), api.Errorf(api.ErrFailedPrecondition, "", "%s", strings.TrimPrefix(line, "rrun: "))
	}
	return out.String(), nil
}

// withGlobals prefixes args with this command's --storage and --isolation,
// so --container-storage and --container-isolation reach every verb.
func withGlobals(args []string) []string {
	var g []string
	if globals.storage != "" {
		g = append(g, "--storage", globals.storage)
	}
	if globals.isolation != "" {
		g = append(g, "--isolation", globals.isolation)
	}
	return append(g, args...)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// slurmImageConfig is what the plugin takes from the image's config.
type slurmImageConfig struct {
	Entrypoint []string
}

// slurmImage inspects the image, pulling it first when it is missing; one
// pull per node and image however many steps start at once.
func slurmImage(ref string) (slurmImageConfig, error) {
	if c, err := inspectImageConfig(ref); err == nil {
		return c, nil
	}
	unlock, err := slurmLock("pull-" + strings.NewReplacer("/", "_", ":", "_", "@", "_").Replace(ref))
	if err != nil {
		return slurmImageConfig{}, err
	}
	defer unlock()
	if c, err := inspectImageConfig(ref); err == nil {
		return c, nil // a concurrent step pulled it
	}
	args := []string{"pull", "-q", ref}
	if loopbackRegistry(ref) {
		args = append(args, "--tls-verify=false") // as docker: 127.0.0.0/8 is an insecure registry by default
	}
	if _, err := selfRun(args...); err != nil {
		return slurmImageConfig{}, err // rrun pull's own line names the image and the fix
	}
	return inspectImageConfig(ref)
}

func inspectImageConfig(ref string) (slurmImageConfig, error) {
	out, err := selfRun("image", "inspect", ref)
	if err != nil {
		return slurmImageConfig{}, err
	}
	var imgs []struct{ Config slurmImageConfig }
	if err := json.Unmarshal([]byte(out), &imgs); err != nil || len(imgs) == 0 {
		return slurmImageConfig{}, fmt.Errorf("failed to read rrun image inspect %s: %v", ref, err)
	}
	return imgs[0].Config, nil
}

func loopbackRegistry(ref string) bool {
	host, _, _ := strings.Cut(ref, "/")
	if !strings.ContainsAny(host, ".:") && host != "localhost" {
		return false
	}
	h := host
	if i := strings.LastIndex(h, ":"); i > 0 && !strings.HasSuffix(h, "]") {
		h = h[:i]
	}
	return h == "localhost" || strings.HasPrefix(h, "127.") || h == "[::1]"
}
