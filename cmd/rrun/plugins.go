package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/pluginmgr"
	"github.com/rrun-project/rrun/plugins/api"
)

func newPluginsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "plugins", Short: "List and inspect storage and isolation plugins"}
	cmd.AddCommand(&cobra.Command{
		Use: "ls", Aliases: []string{"list"}, Short: "List plugins", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return pluginsList() },
	}, &cobra.Command{
		Use: "inspect NAME", Short: "Show a plugin's details as JSON (NAME or KIND/NAME)", Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error { return pluginsInspect(args[0]) },
	})
	return cmd
}

// probed is one discovered plugin and what it said about itself.
type probed struct {
	Candidate pluginmgr.Candidate `json:"-"`
	Kind      string              `json:"kind"`
	Name      string              `json:"name"`
	Version   string              `json:"version"`
	API       []string            `json:"api_versions"`
	Caps      []string            `json:"capabilities"`
	Path      string              `json:"path"`
	Builtin   bool                `json:"builtin"`
	Error     string              `json:"error,omitempty"`
}

// probeAll launches every plugin concurrently (outside any session: Info
// needs none) and asks it to describe itself.
func probeAll() ([]probed, error) {
	cfg, err := loadConfig()
	if err != nil {
		return nil, err
	}
	mgr := newManager(cfg)
	cands := mgr.Discover()
	out := make([]probed, len(cands))
	var wg sync.WaitGroup
	for i, c := range cands {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = probe(mgr, c)
		}()
	}
	wg.Wait()
	return out, nil
}

func probe(mgr *pluginmgr.Manager, c pluginmgr.Candidate) probed {
	p := probed{Candidate: c, Kind: c.Kind, Name: c.Name, Path: c.Path, Builtin: c.Builtin}
	if !c.Builtin {
		if err := pluginmgr.CheckPermissions(c.Path); err != nil {
			p.Error = err.Error()
			return p
		}
	}
	inst, err := mgr.Launch(context.Background(), c)
	if err != nil {
		p.Error = err.Error()
		return p
	}
	defer inst.Close()
	p.Version, p.API, p.Caps = inst.Info.Version, inst.Info.APIVersions, inst.Info.Capabilities
	return p
}

// oneLine keeps a plugin's error on its row: no newline or tab of a
// plugin's output may break the table.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func pluginsList() error {
	all, err := probeAll()
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tKIND\tVERSION\tAPI\tCAPABILITIES\tPATH")
	for _, p := range all {
		path := p.Path
		if p.Builtin {
			path = "(built-in) " + path
		}
		version, caps := p.Version, strings.Join(p.Caps, ",")
		if p.Error != "" {
			version, caps = "-", "error: "+oneLine(p.Error)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Name, p.Kind, version, strings.Join(p.API, ","), caps, path)
	}
	return w.Flush()
}

func pluginsInspect(ref string) error {
	all, err := probeAll()
	if err != nil {
		return err
	}
	kind, name, hasKind := strings.Cut(ref, "/")
	if !hasKind {
		kind, name = "", ref
	}
	var found []probed
	for _, p := range all {
		if p.Name == name && (kind == "" || p.Kind == kind) {
			found = append(found, p)
		}
	}
	switch len(found) {
	case 0:
		return api.Errorf(api.ErrNotFound, "rrun plugins ls lists them", "no plugin named %q", ref)
	case 1:
	default:
		return api.Errorf(api.ErrInvalidArgument, "name it as KIND/NAME", "%q names %d plugins", ref, len(found))
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(found[0])
}
