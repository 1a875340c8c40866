package main

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"text/template"
	"time"

	units "github.com/docker/go-units"
	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/state"
	"github.com/rrun-project/rrun/plugins/api"
)

// psRow is one container as `ps` and its --format templates see it.
type psRow struct {
	ID, Image, Command, CreatedAt, RunningFor, Status, Names, State string
	Labels                                                          map[string]string
	rec                                                             state.Record
	exitCode                                                        int
}

func newPsCommand() *cobra.Command {
	var all, quiet bool
	var format string
	var filters []string
	cmd := &cobra.Command{
		Use: "ps [-a] [-q] [--filter K=V] [--format TEMPLATE]", Aliases: []string{"ls"}, Short: "List containers", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			rows, err := psRows(all || len(filters) > 0, filters)
			if err != nil {
				return err
			}
			return printPs(rows, quiet, format)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&all, "all", "a", false, "show all containers (default: running ones)")
	f.BoolVarP(&quiet, "quiet", "q", false, "only show ids")
	f.StringVar(&format, "format", "", "Go template, e.g. '{{.ID}} {{.Names}} {{.Status}}'")
	f.StringArrayVarP(&filters, "filter", "f", nil, "filter: status=, name=, id=, label=K[=V], ancestor=")
	return cmd
}

func psRows(all bool, filters []string) ([]psRow, error) {
	cfg, store, err := loadStore()
	if err != nil {
		return nil, err
	}
	recs, err := store.List()
	if err != nil {
		return nil, err
	}
	var rows []psRow
	for _, r := range recs {
		row := newPsRow(cfg, r)
		if (all || row.State == state.StatusRunning) && matches(row, filters) {
			rows = append(rows, row)
		}
	}
	return rows, nil
}

func newPsRow(cfg config.Config, r state.Record) psRow {
	st, code := status(cfg, r)
	row := psRow{ID: r.ShortID(), Image: r.Image, Command: quoteCommand(r), Names: r.Name, State: st,
		CreatedAt: r.Created.Local().Format("2006-01-02 15:04:05 -0700 MST"), Labels: r.Options.Labels, rec: r, exitCode: code,
		RunningFor: units.HumanDuration(time.Since(r.Created)) + " ago"}
	switch st {
	case state.StatusRunning:
		row.Status = "Up " + units.HumanDuration(time.Since(r.StartedAt))
	case state.StatusExited:
		row.Status = fmt.Sprintf("Exited (%d) %s ago", code, units.HumanDuration(time.Since(finished(r))))
	default:
		row.Status = "Created"
	}
	return row
}

func finished(r state.Record) time.Time {
	if r.FinishedAt.IsZero() {
		return r.StartedAt
	}
	return r.FinishedAt
}

func quoteCommand(r state.Record) string {
	args := r.Args
	if len(args) == 0 {
		args = r.Options.Cmd
	}
	c := strings.Join(args, " ")
	if len(c) > 20 {
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
			got, has := row.Labels[lk]
			ok = has && (!hasV || got == lv)
		}
		if !ok {
			return false
		}
	}
	return true
}

func printPs(rows []psRow, quiet bool, format string) error {
	if quiet {
		for _, r := range rows {
			fmt.Println(r.ID)
		}
		return nil
	}
	if format != "" {
		tmpl, err := template.New("ps").Parse(strings.TrimPrefix(format, "table ") + "\n")
		if err != nil {
			return api.Errorf(api.ErrInvalidArgument, "see https://pkg.go.dev/text/template", "bad --format: %v", err)
		}
		for _, r := range rows {
			if err := tmpl.Execute(os.Stdout, r); err != nil {
				return api.Errorf(api.ErrInvalidArgument, "fields: .ID .Image .Command .CreatedAt .RunningFor .Status .Names .State .Labels", "bad --format: %v", err)
			}
		}
		return nil
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 8, 3, ' ', 0)
	fmt.Fprintln(w, "CONTAINER ID\tIMAGE\tCOMMAND\tCREATED\tSTATUS\tPORTS\tNAMES")
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t\t%s\n", r.ID, r.Image, r.Command, r.RunningFor, r.Status, r.Names)
	}
	return w.Flush()
}
