package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"text/template"
	"time"

	units "github.com/docker/go-units"
	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/plugins/api"
)

// historyRow is one line of `rrun history`: the fields --format sees.
type historyRow struct {
	ID, CreatedSince, CreatedAt, CreatedBy, Size, Comment string
}

const historyFields = "fields: .ID .CreatedSince .CreatedAt .CreatedBy .Size .Comment"

func newHistoryCommand() *cobra.Command {
	var noTrunc, quiet bool
	var format string
	cmd := &cobra.Command{
		Use:   "history [OPTIONS] IMAGE",
		Short: "Show the history of an image",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			tmpl, err := parseFormat(format)
			if err != nil {
				return err
			}
			return inSession(needs{storage: true}, func(ctx context.Context, b *container.Backends) error {
				rows, err := historyRows(ctx, b.Storage, args[0], noTrunc)
				if err != nil {
					return err
				}
				return printHistory(rows, quiet, tmpl)
			})
		},
	}
	cmd.Flags().BoolVar(&noTrunc, "no-trunc", false, "do not truncate the output")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "only show image IDs")
	cmd.Flags().StringVar(&format, "format", "", "Go template per entry, e.g. '{{.CreatedBy}} {{.Size}}'")
	cmd.Flags().BoolP("human", "H", true, "print sizes and dates in human readable format")
	return cmd
}

func parseFormat(format string) (*template.Template, error) {
	if format == "" || format == "table" {
		return nil, nil
	}
	t, err := template.New("format").Parse(strings.TrimPrefix(format, "table ") + "\n")
	if err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, historyFields, "invalid --format template: %v", err)
	}
	return t, nil
}

// historyRows reads the image's history, newest first, with the size of
// each entry's layer.
func historyRows(ctx context.Context, s api.Storage, ref string, noTrunc bool) ([]historyRow, error) {
	img, err := container.Inspect(ctx, s, ref)
	if err != nil {
		return nil, err
	}
	sizes := layerSizes(ctx, s, img.TopLayer)
	var rows []historyRow
	layer := len(sizes) - 1
	hist := img.Config.History
	for i := len(hist) - 1; i >= 0; i-- {
		h := hist[i]
		row := historyRow{ID: "<missing>", CreatedBy: h.CreatedBy, Comment: h.Comment, Size: "0B"}
		if i == len(hist)-1 {
			row.ID = shortID(img.ID)
			if noTrunc {
				row.ID = "sha256:" + img.ID
			}
		}
		if h.Created != nil {
			row.CreatedSince, row.CreatedAt = created(*h.Created), h.Created.Format(time.RFC3339)
		}
		if !h.EmptyLayer && layer >= 0 {
			row.Size = units.HumanSizeWithPrecision(float64(sizes[layer]), 3)
			layer--
		}
		if !noTrunc && len(row.CreatedBy) > 45 {
			row.CreatedBy = row.CreatedBy[:44] + "…"
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// layerSizes are the sizes of top's chain, bottom first; empty when the
// storage plugin cannot report layers.
func layerSizes(ctx context.Context, s api.Storage, top string) []int64 {
	c, ok := s.(api.Committer)
	if !ok {
		return nil
	}
	var sizes []int64
	for id := top; id != ""; {
		l, err := c.InspectLayer(ctx, id, "")
		if err != nil {
			return nil
		}
		sizes = append([]int64{l.Size}, sizes...)
		id = l.Parent
	}
	return sizes
}

func printHistory(rows []historyRow, quiet bool, tmpl *template.Template) error {
	if quiet {
		for _, r := range rows {
			fmt.Println(r.ID)
		}
		return nil
	}
	if tmpl != nil {
		for _, r := range rows {
			if err := tmpl.Execute(os.Stdout, r); err != nil {
				return api.Errorf(api.ErrInvalidArgument, historyFields, "invalid --format template: %v", err)
			}
		}
		return nil
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 8, 3, ' ', 0)
	fmt.Fprintln(w, "IMAGE\tCREATED\tCREATED BY\tSIZE\tCOMMENT")
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.CreatedSince, r.CreatedBy, r.Size, r.Comment)
	}
	return w.Flush()
}
