package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	units "github.com/docker/go-units"
	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/host/format"
	"github.com/rrun-project/rrun/host/session"
	"github.com/rrun-project/rrun/host/state"
)

// psRow is one container as `ps` and its --format templates see it: docker's
// field names (.Labels is "k=v,k2=v2"; .Label "k" one value).
type psRow struct {
	ID, Image, Command, CreatedAt, RunningFor, Ports, State, Status, Names, Labels, Mounts, Networks string
	Size                                                                                             string // with -s
	rec                                                                                              state.Record
	exitCode                                                                                         int
}

// Label is the value of one label, as docker's {{.Label "k"}}.
func (r psRow) Label(k string) string { return r.rec.Options.Labels[k] }

// psDefault is docker's default ps table.
const psDefault = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"

// psHeaders are docker's headers where they are not the field's name.
var psHeaders = map[string]string{"ID": "CONTAINER ID", "RunningFor": "CREATED", "CreatedAt": "CREATED AT"}

// psFlags are `rrun ps`' options, as docker's.
type psFlags struct {
	all, quiet, noTrunc, latest, size bool
	last                              int
	format                            string
	filters                           []string
}

func newPsCommand() *cobra.Command {
	var p psFlags
	cmd := &cobra.Command{
		Use: "ps [OPTIONS]", Aliases: []string{"ls"}, Short: "List containers", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if p.latest {
				p.last = 1
			}
			// docker measures sizes when -s is given or the template uses .Size.
			if p.size = p.size || strings.Contains(p.format, ".Size"); p.size && !p.quiet {
				return psWithSizes(p)
			}
			rows, err := psSelect(p)
			if err != nil {
				return err
			}
			return printPs(rows, p)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&p.all, "all", "a", false, "Show all containers (default shows just running)")
	f.BoolVarP(&p.quiet, "quiet", "q", false, "Only display container IDs")
	f.BoolVar(&p.noTrunc, "no-trunc", false, "Don't truncate output")
	f.IntVarP(&p.last, "last", "n", -1, "Show n last created containers (includes all states)")
	f.BoolVarP(&p.latest, "latest", "l", false, "Show the latest created container (includes all states)")
	f.BoolVarP(&p.size, "size", "s", false, "Display total file sizes")
	f.StringVar(&p.format, "format", "", "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template")
	f.StringArrayVarP(&p.filters, "filter", "f", nil, "Filter output based on conditions provided: status=, name=, id=, label=K[=V], ancestor=")
	return cmd
}

// psRows are the containers filters select (all states, or running ones).
func psRows(all bool, filters []string) ([]psRow, error) {
	return psSelect(psFlags{all: all, filters: filters, last: -1})
}

// psSelect is the containers p selects, newest first.
func psSelect(p psFlags) ([]psRow, error) {
	cfg, store, err := loadStore()
	if err != nil {
		return nil, err
	}
	recs, err := store.List()
	if err != nil {
		return nil, err
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].Created.After(recs[j].Created) })
	all := p.all || len(p.filters) > 0 || p.last >= 0
	var rows []psRow
	for _, r := range recs {
		if p.last >= 0 && len(rows) == p.last {
			break
		}
		row := newPsRow(cfg, store, r, p.noTrunc)
		if (all || row.State == state.StatusRunning) && matches(row, p.filters) {
			rows = append(rows, row)
		}
	}
	return rows, nil
}

func newPsRow(cfg config.Config, store *state.Store, r state.Record, noTrunc bool) psRow {
	st, code := status(cfg, r)
	row := psRow{ID: r.ShortID(), Image: r.Image, Command: quoteCommand(r, noTrunc), Names: r.Name, State: st,
		CreatedAt: r.Created.Local().Format("2006-01-02 15:04:05 -0700 MST"), Labels: joinLabels(r.Options.Labels), rec: r, exitCode: code,
		RunningFor: units.HumanDuration(time.Since(r.Created)) + " ago", Mounts: strings.Join(mountNames(cfg, r), ","),
		Networks: networkMode(r.Options.Network)}
	if noTrunc {
		row.ID = r.ID
	}
	switch st {
	case state.StatusRunning:
		row.Status = "Up " + units.HumanDuration(time.Since(r.StartedAt))
		row.Ports = portsColumn(cfg, store, r)
	case state.StatusExited:
		row.Status = fmt.Sprintf("Exited (%d) %s ago", code, units.HumanDuration(time.Since(finished(r))))
	default:
		row.Status = "Created"
	}
	return row
}

// portsColumn is docker's PORTS: "0.0.0.0:8080->80/tcp, 0.0.0.0:8443->443/tcp".
func portsColumn(cfg config.Config, store *state.Store, r state.Record) string {
	ms, _ := publishedPorts(cfg, store, r) // no plan (yet) is no published port
	var out []string
	for _, m := range ms {
		out = append(out, m.HostAddr()+"->"+m.Key())
	}
	return strings.Join(out, ", ")
}

func joinLabels(l map[string]string) string {
	var out []string
	for k, v := range l {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// mountNames are the volume names or host paths of r's mounts, as docker's .Mounts.
func mountNames(cfg config.Config, r state.Record) []string {
	var out []string
	for _, m := range dockerMounts(cfg, r) {
		out = append(out, firstNonEmpty(m.Name, m.Destination))
	}
	return out
}

func finished(r state.Record) time.Time {
	if r.FinishedAt.IsZero() {
		return r.StartedAt
	}
	return r.FinishedAt
}

func quoteCommand(r state.Record, noTrunc bool) string {
	args := r.Args
	if len(args) == 0 {
		args = r.Options.Cmd
	}
	c := strings.Join(args, " ")
	if !noTrunc && len(c) > 20 {
		c = c[:19] + "…"
	}
	return `"` + c + `"`
}

func matches(row psRow, filters []string) bool {
	for _, f := range filters {
		k, v, _ := strings.Cut(f, "=")
		ok := true
		switch k {
		case "status":
			ok = row.State == v || (v == "exited" && row.State == state.StatusExited)
		case "name":
			ok = strings.Contains(row.Names, v)
		case "id":
			ok = strings.HasPrefix(row.rec.ID, v)
		case "ancestor":
			ok = row.Image == v || strings.HasPrefix(row.rec.ImageID, v)
		case "label":
			lk, lv, hasV := strings.Cut(v, "=")
			got, has := row.rec.Options.Labels[lk]
			ok = has && (!hasV || got == lv)
		}
		if !ok {
			return false
		}
	}
	return true
}

func printPs(rows []psRow, p psFlags) error {
	if p.quiet {
		for _, r := range rows {
			fmt.Println(r.ID)
		}
		return nil
	}
	def := psDefault
	if p.size {
		def += "\t{{.Size}}"
	}
	return format.List(os.Stdout, p.format, def, psHeaders, rows)
}

// psWithSizes is `ps -s`: the rows with docker's SIZE, measured by the
// storage plugin inside a session.
func psWithSizes(p psFlags) error {
	if !session.Inside() {
		if _, _, err := loadStore(); err != nil { // reconcile, outside
			return err
		}
	}
	return inSession(needs{storage: true}, func(ctx context.Context, b *container.Backends) error {
		rows, err := psSelect(p)
		if err != nil {
			return err
		}
		ids := make([]string, len(rows))
		for i, r := range rows {
			ids[i] = r.rec.ID
		}
		sizes, err := rootfsSizes(ctx, b, ids, "measure containers")
		if err != nil {
			return err
		}
		for i := range rows {
			rows[i].Size = sizeColumn(sizes[rows[i].rec.ID])
		}
		return printPs(rows, p)
	})
}
