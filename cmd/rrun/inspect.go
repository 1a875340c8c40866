package main

import (
	"encoding/json"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/state"
	"github.com/rrun-project/rrun/plugins/api"
)

// inspectJSON is the docker-compatible subset `rrun inspect` shows.
type inspectJSON struct {
	ID      string `json:"Id"`
	Created string
	Path    string
	Args    []string
	State   struct {
		Status     string
		Running    bool
		Paused     bool
		Restarting bool
		OOMKilled  bool
		Dead       bool
		Pid        int
		ExitCode   int
		Error      string
		StartedAt  string
		FinishedAt string
	}
	Image           string
	Name            string
	Driver          string
	LogPath         string
	Config          map[string]any
	HostConfig      map[string]any
	NetworkSettings map[string]any
}

func newInspectCommand() *cobra.Command {
	return &cobra.Command{
		Use: "inspect CONTAINER...", Short: "Show containers as docker-compatible JSON", Args: cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			var out []inspectJSON
			err := forEach(args, func(cfg config.Config, store *state.Store, r state.Record) error {
				out = append(out, inspectOf(cfg, store, r))
				return nil
			})
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "    ")
			if out == nil {
				out = []inspectJSON{}
			}
			_ = enc.Encode(out)
			return err
		},
	}
}

func inspectOf(cfg config.Config, store *state.Store, r state.Record) inspectJSON {
	o := r.Options
	j := inspectJSON{ID: r.ID, Created: r.Created.Format(time.RFC3339Nano), Image: "sha256:" + r.ImageID,
		Name: "/" + r.Name, Driver: r.Storage, LogPath: store.Dir(r.ID) + "/container.log"}
	if len(r.Args) > 0 {
		j.Path, j.Args = r.Args[0], r.Args[1:]
	}
	st, code := status(cfg, r)
	j.State.Status, j.State.ExitCode, j.State.Error = st, code, r.Error
	j.State.Running = st == state.StatusRunning
	if j.State.Running {
		j.State.Pid = hostPid(r)
	}
	j.State.StartedAt, j.State.FinishedAt = stamp(r.StartedAt), stamp(r.FinishedAt)
	j.Config = map[string]any{"Hostname": firstNonEmpty(o.Hostname, r.ShortID()), "User": o.User, "Env": o.Env,
		"Cmd": o.Cmd, "Image": r.Image, "WorkingDir": o.Workdir, "Entrypoint": o.Entrypoint, "Labels": o.Labels,
		"Tty": o.TTY, "OpenStdin": o.Interactive, "StopSignal": firstNonEmpty(o.StopSignal, "SIGTERM")}
	j.HostConfig = map[string]any{"AutoRemove": o.Remove, "ReadonlyRootfs": o.ReadOnly, "NetworkMode": networkMode(o.Network),
		"CapAdd": o.CapAdd, "CapDrop": o.CapDrop, "SecurityOpt": o.SecurityOpt, "Binds": o.Volumes, "Tmpfs": o.Tmpfs,
		"Init": o.Init, "Ulimits": o.Ulimits, "Isolation": r.Isolation, "PortBindings": o.Publish, "PublishAllPorts": o.PublishAll,
		"Dns": o.DNS, "ExtraHosts": o.AddHost}
	j.NetworkSettings = networkSettings(cfg, store, r)
	return j
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "0001-01-01T00:00:00Z"
	}
	return t.Format(time.RFC3339Nano)
}

func parseCount(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, api.Errorf(api.ErrInvalidArgument, "give a number or all", "invalid count %q", s)
	}
	return n, nil
}
