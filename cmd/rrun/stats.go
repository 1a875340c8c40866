package main

import (
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/cgroups"
	"github.com/rrun-project/rrun/host/state"
)

func newStatsCommand() *cobra.Command {
	var noStream bool
	cmd := &cobra.Command{
		Use:   "stats [--no-stream] [CONTAINER...]",
		Short: "Display a live stream of container resource usage statistics (needs a delegated cgroup v2)",
		RunE: func(_ *cobra.Command, args []string) error {
			return runStats(args, noStream)
		},
	}
	cmd.Flags().BoolVar(&noStream, "no-stream", false, "Disable streaming stats and only pull the first result")
	return cmd
}

// runStats prints, every second (once with --no-stream), the cgroup
// numbers of the given containers, or of every running one.
func runStats(refs []string, noStream bool) error {
	h := cgroups.RealHost()
	d, err := h.Delegated(h.Detect(), nil)
	if err != nil {
		return err
	}
	_, store, err := loadStore()
	if err != nil {
		return err
	}
	prev := map[string]cgroups.Stats{}
	for {
		recs, err := statsTargets(store, refs)
		if err != nil {
			return err
		}
		printStats(h, d, recs, prev)
		if noStream {
			return nil
		}
		time.Sleep(time.Second)
	}
}

func statsTargets(store *state.Store, refs []string) ([]state.Record, error) {
	if len(refs) == 0 {
		all, err := store.List()
		var running []state.Record
		for _, r := range all {
			if r.Status == state.StatusRunning {
				running = append(running, r)
			}
		}
		return running, err
	}
	var out []state.Record
	for _, ref := range refs {
		r, err := store.Get(ref)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// printStats prints one table; CPU % is over the time since the previous one.
func printStats(h cgroups.Host, d cgroups.Delegation, recs []state.Record, prev map[string]cgroups.Stats) {
	w := tabwriter.NewWriter(os.Stdout, 0, 8, 3, ' ', 0)
	fmt.Fprintln(w, "CONTAINER ID\tNAME\tCPU %\tMEM USAGE / LIMIT\tPIDS")
	for _, r := range recs {
		rel := d.Base + "/" + cgroups.NameFor(r.ID)
		if !h.Exists(d, rel) {
			fmt.Fprintf(w, "%s\t%s\t--\t--\t--\n", r.ShortID(), r.Name)
			continue
		}
		s := h.ReadStats(d, rel)
		cpu := 0.0
		if p, ok := prev[r.ID]; ok {
			cpu = float64(s.CPUUsec-p.CPUUsec) / 1e6 * 100
		}
		prev[r.ID] = s
		fmt.Fprintf(w, "%s\t%s\t%.2f%%\t%s / %s\t%d\n", r.ShortID(), r.Name, cpu, memSize(s.MemoryBytes), memLimit(s.MemoryLimit), s.Pids)
	}
	w.Flush()
}

func memSize(b uint64) string {
	return fmt.Sprintf("%.1fMiB", float64(b)/(1<<20))
}

func memLimit(b uint64) string {
	if b == 0 {
		return "unlimited"
	}
	return memSize(b)
}
