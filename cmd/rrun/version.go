package main

import (
	"os"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/format"
)

// clientVersion is docker's version.Client, the fields rrun has.
type clientVersion struct {
	Platform   struct{ Name string }
	Version    string
	APIVersion string `json:"ApiVersion"`
	GitCommit  string
	GoVersion  string
	Os         string
	Arch       string
	BuildTime  string `json:",omitempty"`
	Context    string
}

// versionInfo is what `rrun version --format` sees: docker's shape with no
// server (rrun has no daemon), so {{.Server}} is nil.
type versionInfo struct {
	Client clientVersion
	Server *struct{}
}

const versionDefault = `Client:
 Version:           {{.Client.Version}}
 API version:       {{.Client.APIVersion}}
 Go version:        {{.Client.GoVersion}}
 Git commit:        {{.Client.GitCommit}}
 OS/Arch:           {{.Client.Os}}/{{.Client.Arch}}
 Context:           {{.Client.Context}}`

func newVersionCommand() *cobra.Command {
	var f string
	cmd := &cobra.Command{
		Use: "version [OPTIONS]", Short: "Show the rrun version information", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			text := f
			switch f {
			case "":
				text = versionDefault
			case "json":
				text = "{{json .}}"
			}
			t, err := format.Parse(text)
			if err != nil {
				return err
			}
			return format.Execute(os.Stdout, t, currentVersion())
		},
	}
	cmd.Flags().StringVarP(&f, "format", "f", "", "Format output using a custom template: 'json' or a Go template")
	return cmd
}

func currentVersion() versionInfo {
	v := versionInfo{Client: clientVersion{Version: version, APIVersion: "1", GoVersion: runtime.Version(),
		Os: runtime.GOOS, Arch: runtime.GOARCH, Context: "default", GitCommit: "unknown"}}
	v.Client.Platform.Name = "rrun"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Client.GitCommit = s.Value[:min(7, len(s.Value))]
			case "vcs.time":
				v.Client.BuildTime = s.Value
			}
		}
	}
	return v
}
