package main

import (
	"context"
	"fmt"
	"os"

	units "github.com/docker/go-units"
	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/host/pluginmgr"
	"github.com/rrun-project/rrun/host/session"
	"github.com/rrun-project/rrun/host/state"
	"github.com/rrun-project/rrun/plugins/api"
)

// prunableContainers are the ids of the containers that do not run
// (exited or never started), as docker's container prune removes.
func prunableContainers() ([]string, error) {
	rows, err := psRows(true, nil)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, r := range rows {
		if r.State == state.StatusExited || r.State == state.StatusCreated {
			ids = append(ids, r.rec.ID)
		}
	}
	return ids, nil
}

// pruneContainers is `container prune`: docker's question unless force,
// then, inside a session, "Deleted Containers:" with the ids and the total
// reclaimed space (the removed containers' writable layers, as docker's).
func pruneContainers(force bool) error {
	if !session.Inside() && !force && !confirm("WARNING! This will remove all stopped containers.") {
		return nil
	}
	cfg, _, err := loadStore() // outside: reconciles first
	if err != nil {
		return err
	}
	if !session.Inside() {
		return enterSession(cfg, append(os.Args[1:], "--force"))
	}
	ids, err := prunableContainers()
	if err != nil {
		return err
	}
	sizes := writableSizes(cfg, ids)
	if len(ids) > 0 {
		err = removeRecorded(cfg, ids, false, false)
	}
	gone := removedOf(ids)
	var total int64
	for _, id := range gone {
		total += sizes[id]
	}
	printDeleted("Deleted Containers:", gone, total)
	return err
}

// writableSizes are the sizes of the writable layers of ids (inside a
// session), what removing them reclaims; a storage plugin that cannot
// measure them gives none (0B reclaimed, as before it could).
func writableSizes(cfg config.Config, ids []string) map[string]int64 {
	out := map[string]int64{}
	if len(ids) == 0 {
		return out
	}
	_ = inSessionWith(cfg, needs{storage: true}, func(ctx context.Context, _ *pluginmgr.Manager, b *container.Backends) error {
		sizes, err := rootfsSizes(ctx, b, ids, "measure containers")
		for id, sz := range sizes {
			out[id] = sz.RW
		}
		return err
	})
	return out
}

// removedOf is the ids whose records are gone.
func removedOf(ids []string) []string {
	_, store, err := loadStore()
	if err != nil {
		return nil
	}
	var gone []string
	for _, id := range ids {
		if _, err := store.Get(id); err != nil {
			gone = append(gone, id)
		}
	}
	return gone
}

// systemPruneFlags are `system prune`'s options, as docker's.
type systemPruneFlags struct {
	all, volumes, force bool
}

func newSystemPruneCommand() *cobra.Command {
	var f systemPruneFlags
	cmd := &cobra.Command{
		Use: "prune [OPTIONS]", Short: "Remove stopped containers, unused images (dangling, or all with -a) and, with --volumes, anonymous volumes", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if !session.Inside() && !f.force && !confirm(systemPruneWarning(f)) {
				return nil
			}
			cfg, err := loadConfig()
			if err != nil {
				return err
			}
			if !session.Inside() {
				return enterSession(cfg, append(os.Args[1:], "--force"))
			}
			return systemPrune(cfg, f)
		},
	}
	cmd.Flags().BoolVarP(&f.all, "all", "a", false, "Remove all unused images not just dangling ones")
	cmd.Flags().BoolVar(&f.volumes, "volumes", false, "Prune anonymous volumes")
	cmd.Flags().BoolVarP(&f.force, "force", "f", false, "Do not prompt for confirmation")
	return cmd
}

func systemPruneWarning(f systemPruneFlags) string {
	w := "WARNING! This will remove:\n  - all stopped containers\n"
	if f.volumes {
		w += "  - all anonymous volumes not used by at least one container\n"
	}
	if f.all {
		return w + "  - all images without at least one container associated to them\n"
	}
	return w + "  - all dangling images\n"
}

// systemPrune runs inside the session: containers, then volumes, then
// images (an image is unused only once its containers are gone).
func systemPrune(cfg config.Config, f systemPruneFlags) error {
	ids, err := prunableContainers()
	if err != nil {
		return err
	}
	var total int64
	if len(ids) > 0 {
		for _, n := range writableSizes(cfg, ids) {
			total += n
		}
		if err := removeRecorded(cfg, ids, false, false); err != nil {
			return err
		}
		printSection("Deleted Containers:", ids)
	}
	if f.volumes {
		names, n, err := pruneVolumes(cfg, false)
		printSection("Deleted Volumes:", names)
		total += n
		if err != nil {
			return err
		}
	}
	err = inSessionWith(cfg, needs{storage: true}, func(ctx context.Context, _ *pluginmgr.Manager, b *container.Backends) error {
		im, err := imagesOf(ctx, b.Storage, api.CapStorageUsage, "prune")
		if err != nil {
			return err
		}
		rep, err := im.Prune(ctx, f.all)
		var deleted []string
		for _, id := range rep.Deleted {
			deleted = append(deleted, "deleted: sha256:"+id)
		}
		printSection("Deleted Images:", deleted)
		total += rep.Reclaimed
		return err
	})
	fmt.Printf("Total reclaimed space: %s\n", units.HumanSizeWithPrecision(float64(total), 3))
	return err
}

// printSection prints a title, the lines and a blank line, when lines are.
func printSection(title string, lines []string) {
	if len(lines) == 0 {
		return
	}
	fmt.Println(title)
	for _, l := range lines {
		fmt.Println(l)
	}
	fmt.Println()
}
