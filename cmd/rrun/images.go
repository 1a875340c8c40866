package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	units "github.com/docker/go-units"
	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/plugins/api"
)

func newImagesCommand() *cobra.Command {
	var quiet bool
	cmd := &cobra.Command{
		Use:   "images",
		Short: "List images",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return inSession(needs{storage: true}, func(ctx context.Context, b *container.Backends) error {
				images, err := b.Storage.ListImages(ctx)
				if err != nil {
					return fmt.Errorf("failed to list images: %w", err)
				}
				printImages(images, quiet)
				return nil
			})
		},
	}
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "only show image IDs")
	return cmd
}

func printImages(images []api.Image, quiet bool) {
	sort.Slice(images, func(i, j int) bool { return images[i].Created.After(images[j].Created) })
	if quiet {
		for _, im := range images {
			fmt.Println(shortID(im.ID))
		}
		return
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 8, 3, ' ', 0)
	fmt.Fprintln(w, "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE")
	for _, im := range images {
		names := im.Names
		if len(names) == 0 {
			names = []string{"<none>:<none>"}
		}
		for _, n := range names {
			repo, tag := splitName(n)
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", repo, tag, shortID(im.ID), created(im.Created), units.HumanSizeWithPrecision(float64(im.Size), 3))
		}
	}
	w.Flush()
}

func splitName(n string) (repo, tag string) {
	if i := strings.LastIndex(n, ":"); i > strings.LastIndex(n, "/") {
		return n[:i], n[i+1:]
	}
	return n, "<none>"
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
