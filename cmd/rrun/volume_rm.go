package main

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	units "github.com/docker/go-units"
	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/session"
	"github.com/rrun-project/rrun/plugins/api"
)

func newVolumeRmCommand() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use: "rm [OPTIONS] VOLUME...", Aliases: []string{"remove"}, Short: "Remove one or more volumes", Args: cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			cfg, store, err := loadStore()
			if err != nil {
				return err
			}
			used, err := usedVolumes(cfg, store)
			if err != nil {
				return err
			}
			for _, n := range args {
				if c := used[n]; c != "" && !force {
					return api.Errorf(api.ErrFailedPrecondition, "remove the container first (rrun rm "+c+")",
						"remove %s: volume is in use by container %s", n, c)
				}
				if _, err := volumesOf(cfg).Path(n); err != nil && !force {
					return err
				}
			}
			// files of subordinate ids can only be removed in the session
			if !session.Inside() {
				return enterSession(cfg, nil)
			}
			return removeVolumeNames(cfg, args, true)
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Force the removal of one or more volumes")
	return cmd
}

// removeVolumeNames removes volumes (inside the session), printing each name.
func removeVolumeNames(cfg config.Config, names []string, print bool) error {
	var first error
	for _, n := range names {
		if err := volumesOf(cfg).Remove(n); err != nil {
			first = keepFirst(first, err)
			continue
		}
		if print {
			fmt.Println(n)
		}
	}
	return first
}

func newVolumePruneCommand() *cobra.Command {
	var force, all bool
	cmd := &cobra.Command{
		Use: "prune [OPTIONS]", Short: "Remove unused local volumes (anonymous ones, or all with -a)", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			cfg, err := loadConfig()
			if err != nil {
				return err
			}
			what := "anonymous local volumes"
			if all {
				what = "all local volumes"
			}
			if !force && !session.Inside() && !confirm("WARNING! This will remove "+what+" not used by at least one container.") {
				return nil
			}
			if !session.Inside() {
				return enterSession(cfg, append(os.Args[1:], "--force"))
			}
			names, reclaimed, err := pruneVolumes(cfg, all)
			printDeleted("Deleted Volumes:", names, reclaimed)
			return err
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	cmd.Flags().BoolVarP(&all, "all", "a", false, "Remove all unused volumes, not just anonymous ones")
	return cmd
}

// pruneVolumes removes the volumes no container uses (only anonymous ones
// unless all), inside the session, and returns their names and size.
func pruneVolumes(cfg config.Config, all bool) ([]string, int64, error) {
	store, err := containerStore(cfg)
	if err != nil {
		return nil, 0, err
	}
	used, err := usedVolumes(cfg, store)
	if err != nil {
		return nil, 0, err
	}
	vs := volumesOf(cfg)
	names, err := vs.List()
	if err != nil {
		return nil, 0, err
	}
	var gone []string
	var reclaimed int64
	for _, n := range names {
		if used[n] != "" || (!all && !vs.IsAnonymous(n)) {
			continue
		}
		size := dirSize(filepath.Join(cfg.Dirs.Data, "volumes", n))
		if err := vs.Remove(n); err != nil {
			return gone, reclaimed, err
		}
		gone, reclaimed = append(gone, n), reclaimed+size
	}
	return gone, reclaimed, nil
}

// dirSize is the apparent size of the files under dir.
func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil // an unreadable entry counts as empty
	})
	return n
}

// confirm asks docker's question on stdout and reads the answer from stdin.
func confirm(warning string) bool {
	fmt.Fprint(os.Stdout, warning+"\nAre you sure you want to continue? [y/N] ")
	line, _ := bufio.NewReader(os.Stdin).ReadString('\n') // no answer is no
	ans := strings.ToLower(strings.TrimSpace(line))
	return ans == "y" || ans == "yes"
}

// printDeleted prints docker's prune report: a title, the names, and the
// total reclaimed space.
func printDeleted(title string, names []string, reclaimed int64) {
	if len(names) > 0 {
		fmt.Println(title)
		for _, n := range names {
			fmt.Println(n)
		}
		fmt.Println()
	}
	fmt.Printf("Total reclaimed space: %s\n", units.HumanSizeWithPrecision(float64(reclaimed), 3))
}
