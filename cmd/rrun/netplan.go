package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/network"
	"github.com/rrun-project/rrun/host/session"
	"github.com/rrun-project/rrun/host/state"
	"github.com/rrun-project/rrun/plugins/api"
)

// planNetwork decides this start's network for rec, before any session: the
// mode (the default is probed now), the host ports (checked by binding
// them, so that a taken port fails here with exit 125), the shared
// container of container:NAME, and the container's /etc files. It saves the
// plan in the container's directory for the session and `rrun port`.
func planNetwork(cfg config.Config, store *state.Store, rec state.Record) (*network.Plan, error) {
	o := rec.Options
	mode, target, err := network.Parse(o.Network)
	if err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "use --network pasta, slirp4netns, host, none or container:NAME", "%v", err)
	}
	if mode == "" {
		var fix string
		if mode, _, fix = network.Default(); fix != "" {
			fmt.Fprintln(os.Stderr, "rrun: warning: no private network (neither pasta nor slirp4netns is installed): the container gets --network none (fix: "+fix+")")
		}
	}
	p := &network.Plan{Mode: mode, Dir: store.Dir(rec.ID)}
	if mode == network.ModeContainer {
		if err := planShared(cfg, store, p, target); err != nil {
			return nil, err
		}
	}
	if err := planPorts(p, o.Publish, o.PublishAll, rec.Image); err != nil {
		return nil, err
	}
	hostname := firstNonEmpty(o.Hostname, rec.ShortID())
	if err := p.WriteEtc(hostname, o.AddHost, o.DNS); err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "use --add-host NAME:IP", "%v", err)
	}
	return p, p.Save()
}

// planShared points p at the running container target's namespaces.
func planShared(cfg config.Config, store *state.Store, p *network.Plan, target string) error {
	tr, err := store.Get(target)
	if err != nil {
		return err
	}
	if st, _ := status(cfg, tr); st != state.StatusRunning {
		return api.Errorf(api.ErrFailedPrecondition, "start it first: rrun start "+tr.Name,
			"cannot share the network of container %s: it is not running", tr.Name)
	}
	tp, err := network.Load(store.Dir(tr.ID))
	if err != nil {
		return err
	}
	p.Shares, p.Target = network.ModeHost, tr.ID
	if tp != nil {
		p.Shares = tp.Mode
	}
	if p.Shares == network.ModeHost {
		p.Mode = network.ModeHost // the user's own namespace: nothing to join
		return nil
	}
	if p.JoinPID = hostPid(tr); p.JoinPID == 0 {
		return fmt.Errorf("failed to find the init process of container %s", tr.Name)
	}
	return nil
}

// planPorts parses -p, adds -P's exposed ports and picks the host ports.
func planPorts(p *network.Plan, publish []string, all bool, image string) error {
	if len(publish) == 0 && !all {
		return nil
	}
	if !network.Private(p.Mode) {
		return api.Errorf(api.ErrInvalidArgument, "publish ports with --network pasta or slirp4netns (fix: sudo apt-get install passt)",
			"cannot publish ports with network %s", p.Mode)
	}
	var ms []network.Mapping
	for _, s := range publish {
		m, err := network.ParsePublish(s)
		if err != nil {
			return api.Errorf(api.ErrInvalidArgument, "use -p [ip:][hostPort:]containerPort[/tcp|udp]", "%v", err)
		}
		ms = append(ms, m...)
	}
	if all {
		exposed, err := exposedPorts(image)
		if err != nil {
			return err
		}
		ms = append(ms, unpublished(exposed, ms)...)
	}
	ms, err := network.Allocate(ms)
	var taken *network.PortTakenError
	if errors.As(err, &taken) {
		return api.Errorf(api.ErrAlreadyExists, "choose another host port, or stop what listens there", "%v", err)
	}
	if err != nil {
		return api.Errorf(api.ErrInvalidArgument, "", "%v", err)
	}
	p.Ports = ms
	return nil
}

// unpublished are the exposed ports no -p already publishes.
func unpublished(exposed, published []network.Mapping) []network.Mapping {
	done := map[string]bool{}
	for _, m := range published {
		done[m.Key()] = true
	}
	var out []network.Mapping
	for _, m := range exposed {
		if !done[m.Key()] {
			out = append(out, m)
		}
	}
	return out
}

// exposedPorts reads the image's EXPOSE ports for -P. The image config is
// in the store, which only a session opens: this asks `rrun image inspect`
// in a short session of its own (tens of ms, paid only with -P).
func exposedPorts(image string) ([]network.Mapping, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, append(globalArgs(), "image", "inspect", image)...)
	cmd.Stderr = nil
	out, err := cmd.Output()
	if err != nil {
		return nil, api.Errorf(api.ErrNotFound, "pull or load it first: -P reads the image's EXPOSE ports before the container starts",
			"cannot publish the exposed ports of %s: it is not in the store", image)
	}
	var imgs []dockerImage
	if err := json.Unmarshal(out, &imgs); err != nil || len(imgs) != 1 {
		return nil, fmt.Errorf("failed to read the exposed ports of %s: %v", image, err)
	}
	var keys []string
	for k := range imgs[0].Config.ExposedPorts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var ms []network.Mapping
	for _, k := range keys {
		m, err := network.ParseExposed(k)
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", image, err)
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// checkWarmNetwork refuses a network the warm path cannot give: the C
// constructor joined the holder because argv named --network none, host,
// pasta, slirp4netns or none at all, so a plan that says otherwise means
// those words were not the flag.
func checkWarmNetwork(p *network.Plan) error {
	if p.Mode == network.ModeNone || p.Mode == network.ModeHost || (network.Private(p.Mode) && session.WarmPrivate()) {
		return nil
	}
	return api.Errorf(api.ErrInvalidArgument, "pass --network before the image, or set RRUN_HOLDER=0",
		"network %s needs its own session, but this command joined the session holder (argv names another --network)", p.Mode)
}
