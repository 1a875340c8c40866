package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"text/template"
	"time"

	units "github.com/docker/go-units"
	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/plugins/api"
)

// imagesFlags are `rrun images`' options, as docker's.
type imagesFlags struct {
	quiet, digests bool
	format         string
}

func newImagesCommand() *cobra.Command {
	var f imagesFlags
	cmd := &cobra.Command{
		Use:   "images",
		Short: "List images",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var tmpl *template.Template
			if f.format != "" && f.format != "table" {
				t, err := template.New("format").Parse(strings.TrimPrefix(f.format, "table ") + "\n")
				if err != nil {
					return api.Errorf(api.ErrInvalidArgument, "fields: .Repository .Tag .ID .Digest .CreatedSince .CreatedAt .Size",
						"invalid --format template: %v", err)
				}
				tmpl = t
			}
			return inSession(needs{storage: true}, func(ctx context.Context, b *container.Backends) error {
				images, err := b.Storage.ListImages(ctx)
				if err != nil {
					return fmt.Errorf("failed to list images: %w", err)
				}
				return printImages(images, f, tmpl)
			})
		},
	}
	cmd.Flags().BoolVarP(&f.quiet, "quiet", "q", false, "only show image IDs")
	cmd.Flags().BoolVar(&f.digests, "digests", false, "show digests")
	cmd.Flags().StringVar(&f.format, "format", "", "Go template per image, e.g. '{{.Repository}}:{{.Tag}} {{.ID}}'")
	return cmd
}

// imageRow is one line of `rrun images`: the fields --format sees.
type imageRow struct {
	Repository, Tag, ID, Digest, CreatedSince, CreatedAt, Size string
}

func imageRows(images []api.Image) []imageRow {
	sort.Slice(images, func(i, j int) bool { return images[i].Created.After(images[j].Created) })
	var rows []imageRow
	for _, im := range images {
		names := im.Names
		if len(names) == 0 {
			names = []string{"<none>"}
		}
		for _, n := range names {
			repo, tag := splitName(n)
			rows = append(rows, imageRow{
				Repository: repo, Tag: tag, ID: shortID(im.ID), Digest: orNone(im.Digest),
				CreatedSince: created(im.Created), CreatedAt: im.Created.Format("2006-01-02 15:04:05 -0700 MST"),
				Size: units.HumanSizeWithPrecision(float64(im.Size), 3),
			})
		}
	}
	return rows
}

func printImages(images []api.Image, f imagesFlags, tmpl *template.Template) error {
	if f.quiet {
		seen := map[string]bool{}
		for _, im := range images {
			if id := shortID(im.ID); !seen[id] {
				seen[id] = true
				fmt.Println(id)
			}
		}
		return nil
	}
	rows := imageRows(images)
	if tmpl != nil {
		for _, r := range rows {
			if err := tmpl.Execute(os.Stdout, r); err != nil {
				return api.Errorf(api.ErrInvalidArgument, "fields: .Repository .Tag .ID .Digest .CreatedSince .CreatedAt .Size",
					"invalid --format template: %v", err)
			}
		}
		return nil
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 8, 3, ' ', 0)
	if f.digests {
		fmt.Fprintln(w, "REPOSITORY\tTAG\tDIGEST\tIMAGE ID\tCREATED\tSIZE")
	} else {
		fmt.Fprintln(w, "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE")
	}
	for _, r := range rows {
		if f.digests {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Repository, r.Tag, r.Digest, r.ID, r.CreatedSince, r.Size)
		} else {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.Repository, r.Tag, r.ID, r.CreatedSince, r.Size)
		}
	}
	return w.Flush()
}

// splitName splits "repo:tag" and "repo@digest" (tag <none>) names.
func splitName(n string) (repo, tag string) {
	if n == "<none>" {
		return "<none>", "<none>"
	}
	if i := strings.Index(n, "@"); i >= 0 {
		return n[:i], "<none>"
	}
	if i := strings.LastIndex(n, ":"); i > strings.LastIndex(n, "/") {
		return n[:i], n[i+1:]
	}
	return n, "<none>"
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func created(t time.Time) string {
	if t.IsZero() {
		return "N/A"
	}
	return units.HumanDuration(time.Since(t)) + " ago"
}
