package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/cgroups"
	"github.com/rrun-project/rrun/host/format"
	"github.com/rrun-project/rrun/host/state"
)

func newStatsCommand() *cobra.Command {
	var noStream bool
	var f string
	cmd := &cobra.Command{
		Use:   "stats [--no-stream] [CONTAINER...]",
		Short: "Display a live stream of container resource usage statistics (needs a delegated cgroup v2)",
		RunE: func(_ *cobra.Command, args []string) error {
			if _, err := format.Parse(f); err != nil {
				return err
			}
			return runStats(args, noStream, f)
		},
	}
	cmd.Flags().BoolVar(&noStream, "no-stream", false, "Disable streaming stats and only pull the first result")
	cmd.Flags().StringVar(&f, "format", "", "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template")
	return cmd
}

// runStats prints, every second (once with --no-stream), the cgroup
// numbers of the given containers, or of every running one.
func runStats(refs []string, noStream bool, f string) error {
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
		if err := printStats(h, d, recs, prev, f); err != nil {
			return err
		}
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

// statsRow is one container of `stats`, with docker's field names.
type statsRow struct {
	Container, Name, ID, CPUPerc, MemUsage, PIDs string
}

const statsDefault = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.PIDs}}"

var statsHeaders = map[string]string{"ID": "CONTAINER ID", "CPUPerc": "CPU %", "MemUsage": "MEM USAGE / LIMIT", "PIDs": "PIDS"}

// printStats prints one table; CPU % is over the time since the previous one.
func printStats(h cgroups.Host, d cgroups.Delegation, recs []state.Record, prev map[string]cgroups.Stats, f string) error {
	var rows []statsRow
	for _, r := range recs {
		row := statsRow{Container: r.ShortID(), ID: r.ShortID(), Name: r.Name, CPUPerc: "--", MemUsage: "--", PIDs: "--"}
		rel := d.Base + "/" + cgroups.NameFor(r.ID)
		if h.Exists(d, rel) {
			s := h.ReadStats(d, rel)
			cpu := 0.0
			if p, ok := prev[r.ID]; ok {
				cpu = float64(s.CPUUsec-p.CPUUsec) / 1e6 * 100
			}
			prev[r.ID] = s
			row.CPUPerc, row.PIDs = fmt.Sprintf("%.2f%%", cpu), fmt.Sprint(s.Pids)
			row.MemUsage = memSize(s.MemoryBytes) + " / " + memLimit(s.MemoryLimit)
		}
		rows = append(rows, row)
	}
	return format.List(os.Stdout, f, statsDefault, statsHeaders, rows)
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
