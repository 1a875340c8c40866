package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/host/format"
	"github.com/rrun-project/rrun/host/state"
	"github.com/rrun-project/rrun/host/volume"
)

// volumeJSON is docker's `volume inspect` of a local volume.
type volumeJSON struct {
	CreatedAt  string
	Driver     string
	Labels     map[string]string
	Mountpoint string
	Name       string
	Options    map[string]string
	Scope      string
}

func newVolumeCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "volume", Short: "Manage volumes"}
	cmd.AddCommand(newVolumeCreateCommand(), newVolumeLsCommand(), newVolumeInspectCommand(), newVolumeRmCommand(), newVolumePruneCommand())
	return cmd
}

func volumesOf(cfg config.Config) *volume.Store {
	return volume.New(filepath.Join(cfg.Dirs.Data, "volumes"))
}

func newVolumeCreateCommand() *cobra.Command {
	return &cobra.Command{
		Use: "create [VOLUME]", Short: "Create a volume", Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			cfg, err := loadConfig()
			if err != nil {
				return err
			}
			name := randomVolumeName()
			if len(args) == 1 {
				name = args[0]
			}
			if _, err := volumesOf(cfg).Create(name); err != nil {
				return err
			}
			fmt.Println(name)
			return nil
		},
	}
}

func randomVolumeName() string {
	return fmt.Sprintf("%x", anonSeed())[:64]
}

func anonSeed() []byte {
	b := make([]byte, 32)
	f, err := os.Open("/dev/urandom")
	if err == nil {
		_, _ = f.Read(b) // a short read still names a volume; the name is checked for use
		f.Close()
	}
	return b
}

// volumeInfo is docker's inspect of one volume.
func volumeInfo(cfg config.Config, name string) (volumeJSON, error) {
	data, err := volumesOf(cfg).Path(name)
	if err != nil {
		return volumeJSON{}, err
	}
	v := volumeJSON{Driver: "local", Mountpoint: data, Name: name, Scope: "local", Labels: map[string]string{}, Options: map[string]string{}}
	if st, err := os.Stat(filepath.Dir(data)); err == nil {
		v.CreatedAt = st.ModTime().Format(time.RFC3339)
	}
	if volumesOf(cfg).IsAnonymous(name) {
		v.Labels["com.docker.volume.anonymous"] = ""
	}
	return v, nil
}

func newVolumeInspectCommand() *cobra.Command {
	var f string
	cmd := &cobra.Command{
		Use: "inspect [OPTIONS] VOLUME...", Short: "Display detailed information on one or more volumes", Args: cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			cfg, err := loadConfig()
			if err != nil {
				return err
			}
			var out []volumeJSON
			var first error
			for _, n := range args {
				v, err := volumeInfo(cfg, n)
				if err != nil {
					first = keepFirst(first, err)
					continue
				}
				out = append(out, v)
			}
			if err := format.Object(os.Stdout, f, out); err != nil {
				return err
			}
			return first
		},
	}
	cmd.Flags().StringVarP(&f, "format", "f", "", "Format output using a custom template: 'json' or a Go template")
	return cmd
}

// volumeRow is one line of `volume ls`.
type volumeRow struct {
	Driver, Name, Scope, Mountpoint, Labels string
}

func newVolumeLsCommand() *cobra.Command {
	var f string
	var quiet bool
	var filters []string
	cmd := &cobra.Command{
		Use: "ls [OPTIONS]", Aliases: []string{"list"}, Short: "List volumes", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			cfg, store, err := loadStore()
			if err != nil {
				return err
			}
			names, err := volumesOf(cfg).List()
			if err != nil {
				return err
			}
			used, err := usedVolumes(cfg, store)
			if err != nil {
				return err
			}
			var rows []volumeRow
			for _, n := range names {
				if volumeMatches(n, used[n] != "", filters) {
					rows = append(rows, volumeRow{Driver: "local", Name: n, Scope: "local", Mountpoint: filepath.Join(cfg.Dirs.Data, "volumes", n, "_data")})
				}
			}
			if quiet {
				f = "{{.Name}}"
			}
			return format.List(os.Stdout, f, "table {{.Driver}}\t{{.Name}}", map[string]string{"Name": "VOLUME NAME"}, rows)
		},
	}
	cmd.Flags().StringVar(&f, "format", "", "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "Only display volume names")
	cmd.Flags().StringArrayVarP(&filters, "filter", "f", nil, "Provide filter values: dangling=true|false, name=")
	return cmd
}

func volumeMatches(name string, used bool, filters []string) bool {
	for _, f := range filters {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "dangling":
			if (v == "true" || v == "1") == used {
				return false
			}
		case "name":
			if !strings.Contains(name, v) {
				return false
			}
		}
	}
	return true
}

// usedVolumes maps each volume some container (in any state) mounts to
// that container's name.
func usedVolumes(cfg config.Config, store *state.Store) (map[string]string, error) {
	recs, err := store.List()
	if err != nil {
		return nil, err
	}
	used := map[string]string{}
	for _, r := range recs {
		for _, m := range container.Mounts(r.Options, r.ID) {
			if m.Type == "volume" {
				used[m.Name] = r.Name
			}
		}
	}
	return used, nil
}
