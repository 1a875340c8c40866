package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/plugins/api"
)

func newSlurmCleanupCommand() *cobra.Command {
	var job string
	var steps bool
	cmd := &cobra.Command{
		Use: slurmCleanupArg + " --job ID [NAME] | --steps NAME...", Hidden: true,
		RunE: func(_ *cobra.Command, args []string) error {
			if steps {
				return slurmCleanupSteps(args)
			}
			if len(args) > 1 {
				return fmt.Errorf("failed to parse arguments: at most one NAME with --job")
			}
			return slurmCleanup(job, args)
		},
	}
	cmd.Flags().StringVar(&job, "job", "", "Slurm job id: without NAME, every container of the job")
	cmd.Flags().BoolVar(&steps, "steps", false, "NAME... are step containers (run with --rm) left by a killed slurmstepd")
	return cmd
}

// slurmCleanupSteps removes step containers a killed slurmstepd left.
func slurmCleanupSteps(names []string) error {
	var first error
	for _, n := range names {
		if err := removeStepContainer(n); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// slurmCleanup removes one container, or every container of the job.
func slurmCleanup(job string, names []string) error {
	wholeJob := len(names) == 0
	if wholeJob {
		out, err := selfRun("ps", "-a", "--format", "{{.Names}}", "--filter", "label="+slurmJobLabel+"="+job)
		if err != nil {
			return err
		}
		names = strings.Fields(out)
	}
	for _, n := range names {
		// A step's monitor may have removed it meanwhile: gone is what we want.
		if _, err := selfRun("rm", "-f", n); err != nil && !strings.Contains(err.Error(), "no such container") {
			return err
		}
		removeSlurmLock("c-" + n) // a named container's prepare lock
	}
	if dir := os.Getenv("RRUN_SLURM_DIR"); dir != "" && wholeJob && job != "" {
		_ = os.Remove(filepath.Join(dir, "jobs", job)) // a leftover marker costs one empty epilog run
	}
	return nil
}

// selfRun runs this rrun binary with args and returns its stdout; its error
// is the last line rrun printed on stderr, and its warnings are printed
// again on this process's stderr. It runs /proc/self/exe, not the
// binary's path: the epilog or a later step still removes the containers
// when the rrun that started them has been removed or replaced meanwhile.
func selfRun(args ...string) (string, error) {
	var out, errb bytes.Buffer
	cmd := exec.Command("/proc/self/exe", withGlobals(args)...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if os.Getenv("RRUN_TRACE") == "1" {
		cmd.Stderr = io.MultiWriter(&errb, os.Stderr) // the child's trace lines too
	}
	if err := cmd.Run(); err != nil {
		line := lastLine(errb.String())
		if line == "" {
			line = err.Error()
		}
		return out.String(), api.Errorf(api.ErrFailedPrecondition, "", "%s", strings.TrimPrefix(line, "rrun: "))
	}
	for _, l := range strings.Split(errb.String(), "\n") {
		if strings.HasPrefix(l, "rrun: warning: ") && os.Getenv("RRUN_TRACE") != "1" {
			fmt.Fprintln(os.Stderr, l) // a warning of a command that worked still reaches the node's log
		}
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
