package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/host/format"
	"github.com/rrun-project/rrun/host/state"
)

// dfImageRow, dfContainerRow and dfVolumeRow are the rows of `system df -v`.
type dfImageRow struct {
	Repository, Tag, ID, CreatedSince, Size, Containers string
}

type dfContainerRow struct {
	ID, Image, Command, LocalVolumes, CreatedSince, Status, Names string
}

type dfVolumeRow struct {
	Name, Links, Size string
}

// printUsageVerbose is docker's `system df -v`: images (with how many
// containers use each), containers and local volumes (with their links and
// size). Sizes shared between images and containers' own sizes are not
// measured by the storage plugins: those columns are absent.
func printUsageVerbose(ctx context.Context, b *container.Backends) error {
	cfg, store, err := loadStore()
	if err != nil {
		return err
	}
	recs, err := store.List()
	if err != nil {
		return err
	}
	images, err := b.Storage.ListImages(ctx)
	if err != nil {
		return err
	}
	uses := map[string]int{}
	for _, r := range recs {
		uses[shortID(r.ImageID)]++
	}
	var irows []dfImageRow
	for _, r := range imageRows(images, false) {
		irows = append(irows, dfImageRow{r.Repository, r.Tag, r.ID, r.CreatedSince, r.Size, fmt.Sprint(uses[r.ID])})
	}
	fmt.Print("Images space usage:\n\n")
	if err := format.List(os.Stdout, "", "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.Containers}}",
		map[string]string{"ID": "IMAGE ID", "CreatedSince": "CREATED"}, irows); err != nil {
		return err
	}
	fmt.Print("\nContainers space usage:\n\n")
	if err := format.List(os.Stdout, "", "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.CreatedSince}}\t{{.Status}}\t{{.Names}}",
		map[string]string{"ID": "CONTAINER ID", "CreatedSince": "CREATED"}, containerUsageRows(cfg, store, recs)); err != nil {
		return err
	}
	fmt.Print("\nLocal Volumes space usage:\n\n")
	return format.List(os.Stdout, "", "table {{.Name}}\t{{.Links}}\t{{.Size}}", map[string]string{"Name": "VOLUME NAME"}, volumeUsageRows(cfg, recs))
}

func containerUsageRows(cfg config.Config, store *state.Store, recs []state.Record) []dfContainerRow {
	var rows []dfContainerRow
	for _, r := range recs {
		p := newPsRow(cfg, store, r, false)
		vols := 0
		for _, m := range container.Mounts(r.Options, r.ID) {
			if m.Type == "volume" {
				vols++
			}
		}
		rows = append(rows, dfContainerRow{p.ID, p.Image, p.Command, fmt.Sprint(vols), p.RunningFor, p.Status, p.Names})
	}
	return rows
}

func volumeUsageRows(cfg config.Config, recs []state.Record) []dfVolumeRow {
	links := map[string]int{}
	for _, r := range recs {
		for _, m := range container.Mounts(r.Options, r.ID) {
			if m.Type == "volume" {
				links[m.Name]++
			}
		}
	}
	names, _ := volumesOf(cfg).List() // an unreadable volumes dir lists none
	var rows []dfVolumeRow
	for _, n := range names {
		rows = append(rows, dfVolumeRow{n, fmt.Sprint(links[n]), size(dirSize(filepath.Join(cfg.Dirs.Data, "volumes", n)))})
	}
	return rows
}
