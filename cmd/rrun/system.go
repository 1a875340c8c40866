package main

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"

	units "github.com/docker/go-units"
	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/plugins/api"
)

func newSystemCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "system", Short: "Manage rrun's disk use"}
	cmd.AddCommand(&cobra.Command{
		Use: "df", Short: "Show the disk use of images, containers and layers", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return inSession(needs{storage: true}, func(ctx context.Context, b *container.Backends) error {
				im, err := imagesOf(ctx, b.Storage, api.CapStorageUsage, "report disk usage")
				if err != nil {
					return err
				}
				u, err := im.Usage(ctx)
				if err != nil {
					return err
				}
				printUsage(u)
				return nil
			})
		},
	})
	return cmd
}

func printUsage(u api.StorageUsage) {
	w := tabwriter.NewWriter(os.Stdout, 0, 8, 3, ' ', 0)
	fmt.Fprintln(w, "TYPE\tTOTAL\tACTIVE\tSIZE\tRECLAIMABLE")
	fmt.Fprintf(w, "Images\t%d\t%d\t%s\t%s\n", u.Images, u.ActiveImages, size(u.ImagesSize), share(u.ImagesReclaimable, u.ImagesSize))
	fmt.Fprintf(w, "Containers\t%d\t-\t%s\t-\n", u.Containers, size(u.ContainersSize))
	fmt.Fprintf(w, "Layers\t%d\t-\t%s\t-\n", u.Layers, size(u.LayersSize))
	w.Flush()
}

func size(n int64) string { return units.HumanSizeWithPrecision(float64(n), 3) }

func share(part, total int64) string {
	if total <= 0 {
		return size(part) + " (0%)"
	}
	return fmt.Sprintf("%s (%d%%)", size(part), part*100/total)
}
