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

	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/host/format"
	"github.com/rrun-project/rrun/plugins/api"
)

// imagesFlags are `rrun images`' options, as docker's.
type imagesFlags struct {
	quiet, digests, noTrunc bool
	format                  string
}

func newImagesCommand() *cobra.Command {
	var f imagesFlags
	cmd := &cobra.Command{
		Use:   "images [OPTIONS]",
		Short: "List images",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := format.Parse(f.format); err != nil {
				return err
			}
			return inSession(needs{storage: true}, func(ctx context.Context, b *container.Backends) error {
				images, err := b.Storage.ListImages(ctx)
				if err != nil {
					return fmt.Errorf("failed to list images: %w", err)
				}
				return printImages(images, f)
			})
		},
	}
	cmd.Flags().BoolVarP(&f.quiet, "quiet", "q", false, "Only show image IDs")
	cmd.Flags().BoolVar(&f.digests, "digests", false, "Show digests")
	cmd.Flags().BoolVar(&f.noTrunc, "no-trunc", false, "Don't truncate output")
	cmd.Flags().StringVar(&f.format, "format", "", "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template")
	return cmd
}

// imageRow is one line of `rrun images`: the fields --format sees.
type imageRow struct {
	Repository, Tag, ID, Digest, CreatedSince, CreatedAt, Size string
}

// imagesHeaders are docker's headers where they are not the field's name.
var imagesHeaders = map[string]string{"ID": "IMAGE ID", "CreatedSince": "CREATED", "CreatedAt": "CREATED AT"}

func imageRows(images []api.Image, noTrunc bool) []imageRow {
	sort.Slice(images, func(i, j int) bool { return images[i].Created.After(images[j].Created) })
	var rows []imageRow
	for _, im := range images {
		names := im.Names
		if len(names) == 0 {
			names = []string{"<none>"}
		}
		id := shortID(im.ID)
		if noTrunc {
			id = "sha256:" + strings.TrimPrefix(im.ID, "sha256:")
		}
		for _, n := range names {
			repo, tag := splitName(n)
			rows = append(rows, imageRow{
				Repository: repo, Tag: tag, ID: id, Digest: orNone(im.Digest),
				CreatedSince: created(im.Created), CreatedAt: im.Created.Format("2006-01-02 15:04:05 -0700 MST"),
				Size: units.HumanSizeWithPrecision(float64(im.Size), 3),
			})
		}
	}
	return rows
}

func printImages(images []api.Image, f imagesFlags) error {
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
	def := "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
	if f.digests {
		def = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
	}
	return format.List(os.Stdout, f.format, def, imagesHeaders, imageRows(images, f.noTrunc))
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
