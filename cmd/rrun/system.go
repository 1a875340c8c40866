package main

import (
	"context"
	"fmt"
	"os"

	units "github.com/docker/go-units"
	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/host/format"
	"github.com/rrun-project/rrun/plugins/api"
)

func newSystemCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "system", Short: "Manage rrun's disk use"}
	var dfFormat string
	var verbose bool
	df := &cobra.Command{
		Use: "df [OPTIONS]", Short: "Show the disk use of images, containers and layers", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if _, err := format.Parse(dfFormat); err != nil {
				return err
			}
			return inSession(needs{storage: true}, func(ctx context.Context, b *container.Backends) error {
				im, err := imagesOf(ctx, b.Storage, api.CapStorageUsage, "report disk usage")
				if err != nil {
					return err
				}
				if verbose {
					return printUsageVerbose(ctx, b)
				}
				u, err := im.Usage(ctx)
				if err != nil {
					return err
				}
				return printUsage(u, dfFormat)
			})
		},
	}
	df.Flags().BoolVarP(&verbose, "verbose", "v", false, "Show detailed information on space usage")
	df.Flags().StringVar(&dfFormat, "format", "", "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template")
	cmd.AddCommand(df, newSystemPruneCommand(), newSystemMigrateCommand())
	return cmd
}

// dfRow is one row of `system df`, with docker's field names.
type dfRow struct {
	Type, TotalCount, Active, Size, Reclaimable string
}

const dfDefault = "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}"

func printUsage(u api.StorageUsage, f string) error {
	rows := []dfRow{
		{"Images", fmt.Sprint(u.Images), fmt.Sprint(u.ActiveImages), size(u.ImagesSize), share(u.ImagesReclaimable, u.ImagesSize)},
		{"Containers", fmt.Sprint(u.Containers), "-", size(u.ContainersSize), "-"},
		{"Layers", fmt.Sprint(u.Layers), "-", size(u.LayersSize), "-"},
	}
	return format.List(os.Stdout, f, dfDefault, map[string]string{"TotalCount": "TOTAL"}, rows)
}

func size(n int64) string { return units.HumanSizeWithPrecision(float64(n), 3) }

func share(part, total int64) string {
	if total <= 0 {
		return size(part) + " (0%)"
	}
	return fmt.Sprintf("%s (%d%%)", size(part), part*100/total)
}
