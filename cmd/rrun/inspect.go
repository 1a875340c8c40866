package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/host/format"
	"github.com/rrun-project/rrun/host/network"
	"github.com/rrun-project/rrun/host/session"
	"github.com/rrun-project/rrun/host/state"
	"github.com/rrun-project/rrun/plugins/api"
)

// inspectJSON is the docker-compatible subset `rrun inspect` shows.
type inspectJSON struct {
	ID              string `json:"Id"`
	Created         string
	Path            string
	Args            []string
	State           inspectState
	Image           string
	Name            string
	RestartCount    int
	Driver          string
	Platform        string
	LogPath         string
	HostConfig      hostConfig
	Mounts          []dockerMount
	Config          containerConfig
	NetworkSettings map[string]any
}

// inspectState is docker's State.
type inspectState struct {
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

// portBinding is one host side of docker's PortBindings and Ports maps.
type portBinding struct {
	HostIP   string `json:"HostIp"`
	HostPort string
}

// hostConfig is docker's HostConfig, the fields rrun has.
type hostConfig struct {
	Binds         []string
	NetworkMode   string
	PortBindings  map[string][]portBinding
	RestartPolicy struct {
		Name              string
		MaximumRetryCount int
	}
	AutoRemove      bool
	CapAdd, CapDrop []string
	DNS             []string `json:"Dns"`
	ExtraHosts      []string
	Init            bool
	PublishAllPorts bool
	ReadonlyRootfs  bool
	SecurityOpt     []string
	Tmpfs           map[string]string
	Ulimits         []string
	Isolation       string
	CPUShares       int64 `json:"CpuShares"`
	PidsLimit       int64
}

// containerConfig is docker's Config of a container.
type containerConfig struct {
	Hostname    string
	User        string
	AttachStdin bool
	Tty         bool
	OpenStdin   bool
	Env         []string
	Cmd         []string
	Image       string
	WorkingDir  string
	Entrypoint  []string
	Labels      map[string]string
	StopSignal  string
	StopTimeout *int `json:",omitempty"`
}

// dockerMount is one of docker's Mounts.
type dockerMount struct {
	Type        string
	Name        string `json:",omitempty"`
	Source      string
	Destination string
	Driver      string `json:",omitempty"`
	Mode        string
	RW          bool
	Propagation string
}

// inspectFlags are `rrun inspect`'s options, as docker's.
type inspectFlags struct {
	format, kind string
}

func newInspectCommand() *cobra.Command {
	var f inspectFlags
	cmd := &cobra.Command{
		Use: "inspect [OPTIONS] NAME|ID...", Short: "Return low-level information on containers or images", Args: cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error { return runInspect(args, f) },
	}
	cmd.Flags().StringVarP(&f.format, "format", "f", "", "Format output using a custom template: 'json' or a Go template")
	cmd.Flags().StringVar(&f.kind, "type", "", "Only inspect objects of the given type: container or image")
	return cmd
}

func newContainerInspectCommand() *cobra.Command {
	cmd := newInspectCommand()
	cmd.Use, cmd.Short = "inspect [OPTIONS] CONTAINER...", "Display detailed information on one or more containers"
	cmd.Flags().Lookup("type").Hidden = true
	_ = cmd.Flags().Set("type", "container") // a flag this command just defined
	return cmd
}

// runInspect shows each ref as a container, else (unless --type container)
// as an image; images need the session, so a ref that is no container
// re-runs the whole command there.
func runInspect(refs []string, f inspectFlags) error {
	switch f.kind {
	case "", "container", "image":
	default:
		return api.Errorf(api.ErrInvalidArgument, "use --type container or --type image", "%q is not a valid value for --type", f.kind)
	}
	cfg, store, err := loadStore()
	if err != nil {
		return err
	}
	var found []any
	var missing []string
	var first error
	for _, ref := range refs {
		r, err := store.Get(ref)
		switch {
		case err == nil && f.kind != "image":
			found = append(found, inspectOf(cfg, store, r))
		case f.kind == "container":
			first = keepFirst(first, err)
		default:
			missing = append(missing, ref)
		}
	}
	if len(missing) > 0 && !session.Inside() {
		return inSession(needs{storage: true}, nil)
	}
	if len(missing) > 0 {
		imgs, err := inspectImages(missing, f.kind == "image")
		found = append(found, imgs...)
		first = keepFirst(first, err)
	}
	if err := format.Object(os.Stdout, f.format, found); err != nil {
		return err
	}
	return first
}

// inspectImages inspects refs as images, inside the session.
func inspectImages(refs []string, onlyImages bool) ([]any, error) {
	var out []any
	var first error
	err := inSession(needs{storage: true}, func(ctx context.Context, b *container.Backends) error {
		for _, ref := range refs {
			d, err := b.Storage.InspectImage(ctx, ref)
			if errors.Is(err, api.ErrNotFound) && !onlyImages {
				err = api.Errorf(api.ErrNotFound, "see rrun ps -a and rrun images", "no such object: %s", ref)
			}
			if err != nil {
				first = keepFirst(first, err)
				continue
			}
			out = append(out, toDockerImage(d))
		}
		return nil
	})
	return out, keepFirst(first, err)
}

// keepFirst keeps the first error and reports later ones as they come.
func keepFirst(first, err error) error {
	if err == nil {
		return first
	}
	if first != nil {
		report(first)
	}
	return err
}

// configEnv is docker's Config.Env: the image's and the user's variables
// once the container has started; before, only the user's (the image is
// read when it starts).
func configEnv(r state.Record) []string {
	if r.ConfigEnv != nil {
		return r.ConfigEnv
	}
	return r.Options.Env
}

func inspectOf(cfg config.Config, store *state.Store, r state.Record) inspectJSON {
	o := r.Options
	j := inspectJSON{ID: r.ID, RestartCount: r.RestartCount, Created: r.Created.Format(time.RFC3339Nano), Image: "sha256:" + r.ImageID,
		Name: "/" + r.Name, Driver: r.Storage, Platform: "linux", LogPath: store.Dir(r.ID) + "/container.log",
		Mounts: dockerMounts(cfg, r), NetworkSettings: networkSettings(cfg, store, r)}
	if len(r.Args) > 0 {
		j.Path, j.Args = r.Args[0], r.Args[1:]
	}
	st, code := status(cfg, r)
	j.State = inspectState{Status: st, ExitCode: code, Error: r.Error, Running: st == state.StatusRunning,
		StartedAt: stamp(r.StartedAt), FinishedAt: stamp(r.FinishedAt)}
	if j.State.Running {
		j.State.Pid = hostPid(r)
	}
	j.Config = containerConfig{Hostname: firstNonEmpty(o.Hostname, r.ShortID()), User: o.User, Env: configEnv(r),
		Cmd: o.Cmd, Image: r.Image, WorkingDir: o.Workdir, Labels: o.Labels, Tty: o.TTY, OpenStdin: o.Interactive,
		AttachStdin: o.Interactive, StopSignal: firstNonEmpty(o.StopSignal, "SIGTERM"), StopTimeout: o.StopTimeout}
	if o.Entrypoint != nil && *o.Entrypoint != "" {
		j.Config.Entrypoint = []string{*o.Entrypoint}
	}
	j.HostConfig = hostConfigOf(r)
	return j
}

func hostConfigOf(r state.Record) hostConfig {
	o := r.Options
	h := hostConfig{AutoRemove: o.Remove, ReadonlyRootfs: o.ReadOnly, NetworkMode: networkMode(o.Network),
		CapAdd: o.CapAdd, CapDrop: o.CapDrop, SecurityOpt: o.SecurityOpt, Binds: o.Volumes, Init: o.Init,
		Ulimits: o.Ulimits, Isolation: r.Isolation, PortBindings: portBindings(o.Publish), PublishAllPorts: o.PublishAll,
		DNS: o.DNS, ExtraHosts: o.AddHost, CPUShares: o.CPUShares, PidsLimit: o.PidsLimit, Tmpfs: map[string]string{}}
	if p, err := container.ParseRestart(o.Restart); err == nil {
		h.RestartPolicy.Name, h.RestartPolicy.MaximumRetryCount = p.Name, p.MaxRetries
	}
	for _, t := range o.Tmpfs {
		dst, opts, _ := cutColon(t)
		h.Tmpfs[dst] = opts
	}
	return h
}

func cutColon(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// portBindings is docker's HostConfig.PortBindings of the -p values:
// {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}; a random port is "".
func portBindings(publish []string) map[string][]portBinding {
	out := map[string][]portBinding{}
	for _, p := range publish {
		ms, err := network.ParsePublish(p)
		if err != nil {
			continue // checked when the container was created
		}
		for _, m := range ms {
			hp := ""
			if m.HostPort != 0 {
				hp = strconv.Itoa(m.HostPort)
			}
			out[m.Key()] = append(out[m.Key()], portBinding{HostIP: m.HostIP, HostPort: hp})
		}
	}
	return out
}

// dockerMounts is docker's Mounts of r.
func dockerMounts(cfg config.Config, r state.Record) []dockerMount {
	out := []dockerMount{}
	vols := filepath.Join(cfg.Dirs.Data, "volumes")
	for _, m := range container.Mounts(r.Options, r.ID) {
		d := dockerMount{Type: m.Type, Name: m.Name, Source: m.Source, Destination: m.Destination, RW: !m.ReadOnly, Propagation: m.Propagation}
		if m.Type == "volume" {
			d.Source, d.Driver = vols+"/"+m.Name+"/_data", "local"
		}
		if m.ReadOnly {
			d.Mode = "ro"
		}
		out = append(out, d)
	}
	return out
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
