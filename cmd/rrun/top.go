package main

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/proc"
	"github.com/rrun-project/rrun/host/state"
)

func newTopCommand() *cobra.Command {
	return &cobra.Command{
		Use: "top CONTAINER [ps OPTIONS]", Short: "Show the processes of a running container (host pids, as docker)", Args: cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return forEach(args[:1], func(cfg config.Config, _ *state.Store, r state.Record) error {
				if st, _ := status(cfg, r); st != state.StatusRunning {
					return notRunning(r, fmt.Errorf("%w", errNotRunning))
				}
				pids := containerPids(r)
				if len(pids) == 0 {
					return notRunning(r, errNotRunning)
				}
				psArgs := []string{"-f"}
				if len(args) > 1 {
					psArgs = args[1:]
				}
				cmd := exec.Command("ps", append(psArgs, "-p", strings.Join(pids, ","))...)
				cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
				return cmd.Run()
			})
		},
	}
}

// containerPids are the host pids of the processes in the container's pid
// namespace, whose inode the monitor recorded.
func containerPids(r state.Record) []string {
	pids, _ := containerProcs(r)
	return pids
}

// containerProcs returns the host pids of the container's pid namespace and
// the one of its init (0: none). A namespace whose init did not start when
// the container's did (the record's PidStart) is another's that reused the
// inode of the container's dead one: none.
func containerProcs(r state.Record) ([]string, int) {
	if r.PidNS == 0 {
		return nil, 0
	}
	want := fmt.Sprintf("pid:[%d]", r.PidNS)
	var out []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		if link, err := os.Readlink("/proc/" + e.Name() + "/ns/pid"); err == nil && link == want {
			out = append(out, e.Name())
		}
	}
	initPid := 0
	for _, p := range out {
		if nsPid1(p) {
			initPid, _ = strconv.Atoi(p)
			break
		}
	}
	if r.PidStart != 0 && (initPid == 0 || proc.Start(initPid) != r.PidStart) {
		return nil, 0
	}
	return out, initPid
}

// nsPid1 reports whether host pid p is pid 1 of its innermost pid
// namespace (the last NSpid of /proc/p/status).
func nsPid1(p string) bool {
	data, err := os.ReadFile("/proc/" + p + "/status")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "NSpid:" {
			return f[len(f)-1] == "1"
		}
	}
	return false
}

// hostPid is the host pid of the container's init: the one of its pid
// namespace whose pid there is 1. A container started in a joined session
// recorded it as its pid (the holder has no pid namespace of its own): when
// that process is still the recorded init (start time, pid namespace), no
// scan of /proc is needed. A cold session's pid is of its own namespace.
func hostPid(r state.Record) int {
	if r.Pid > 0 && r.PidStart != 0 && proc.Start(r.Pid) == r.PidStart &&
		proc.PidNS(r.Pid) == r.PidNS && nsPid1(strconv.Itoa(r.Pid)) {
		return r.Pid
	}
	_, initPid := containerProcs(r)
	return initPid
}
