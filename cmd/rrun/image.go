package main

import (
	"encoding/json"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/plugins/api"
)

func newImageCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "image", Short: "Manage images"}
	var f imagePruneFlags
	prune := &cobra.Command{
		Use: "prune [OPTIONS]", Short: "Remove images no container uses (unnamed ones, or all with -a)", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return imagePrune(f) },
	}
	prune.Flags().BoolVarP(&f.all, "all", "a", false, "Remove all unused images, not just dangling ones")
	prune.Flags().BoolVarP(&f.force, "force", "f", false, "Do not prompt for confirmation")
	prune.Flags().StringArrayVar(&f.filters, "filter", nil, "Provide filter values (until=DURATION|TIMESTAMP)")
	cmd.AddCommand(newImageInspectCommand(), prune)
	return cmd
}

func newImageInspectCommand() *cobra.Command {
	var f inspectFlags
	cmd := &cobra.Command{
		Use: "inspect [OPTIONS] IMAGE...", Short: "Display detailed information on one or more images", Args: cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			f.kind = "image"
			return runInspect(args, f)
		},
	}
	cmd.Flags().StringVarP(&f.format, "format", "f", "", "Format output using a custom template: 'json' or a Go template")
	return cmd
}

// dockerImage is the subset of `docker image inspect` rrun fills.
type dockerImage struct {
	ID           string `json:"Id"`
	RepoTags     []string
	RepoDigests  []string
	Created      string
	Architecture string
	Os           string
	Size         int64
	Config       dockerImageConfig
	RootFS       struct {
		Type   string
		Layers []string
	}
}

type dockerImageConfig struct {
	Env          []string
	Cmd          []string
	Entrypoint   []string
	WorkingDir   string
	User         string
	ExposedPorts map[string]struct{}
	Labels       map[string]string
	Volumes      map[string]struct{} `json:",omitempty"`
	StopSignal   string              `json:",omitempty"`
	Healthcheck  any                 `json:",omitempty"`
	OnBuild      []string            `json:",omitempty"`
	Shell        []string            `json:",omitempty"`
}

// ociConfig is the part of an OCI image config that inspect shows.
type ociConfig struct {
	Created      string            `json:"created"`
	Architecture string            `json:"architecture"`
	OS           string            `json:"os"`
	Config       dockerImageConfig `json:"config"`
	RootFS       struct {
		Type    string   `json:"type"`
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
}

func toDockerImage(d api.ImageDetail) dockerImage {
	var c ociConfig
	_ = json.Unmarshal(d.ConfigJSON, &c)
	out := dockerImage{
		ID: "sha256:" + d.ID, RepoTags: []string{}, RepoDigests: []string{}, Created: c.Created,
		Architecture: c.Architecture, Os: c.OS, Size: d.Size, Config: c.Config,
	}
	out.RootFS.Type, out.RootFS.Layers = c.RootFS.Type, c.RootFS.DiffIDs
	repos := map[string]bool{}
	for _, n := range d.Names {
		repo, tag := splitName(n)
		if tag != "<none>" {
			out.RepoTags = append(out.RepoTags, n)
		}
		if !repos[repo] && d.Digest != "" {
			repos[repo] = true
			out.RepoDigests = append(out.RepoDigests, repo+"@"+d.Digest)
		}
	}
	return out
}

func absOrEmpty(p string) string {
	if p == "" {
		return ""
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// oneOf reports whether s is one of vals.
func oneOf(s string, vals ...string) bool {
	for _, v := range vals {
		if strings.EqualFold(s, v) {
			return true
		}
	}
	return false
}
