package main

import (
	"strconv"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/network"
	"github.com/rrun-project/rrun/host/state"
)

// networkSettings is docker's NetworkSettings: the ports of the current
// start ({"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]}), the
// container's address on a private network, and the files rrun generated.
func networkSettings(cfg config.Config, store *state.Store, r state.Record) map[string]any {
	ports := map[string][]map[string]string{}
	ms, _ := publishedPorts(cfg, store, r)
	for _, m := range ms {
		ip := m.HostIP
		if ip == "" {
			ip = "0.0.0.0"
		}
		ports[m.Key()] = append(ports[m.Key()], map[string]string{"HostIp": ip, "HostPort": strconv.Itoa(m.HostPort)})
	}
	out := map[string]any{"Ports": ports, "IPAddress": "", "Gateway": ""}
	p, _ := network.Load(store.Dir(r.ID))
	if p == nil {
		return out
	}
	out["Mode"] = p.Mode
	if network.Private(p.Mode) {
		out["IPAddress"], out["Gateway"] = network.ContainerIP, network.GatewayIP
	}
	out["HostsPath"], out["ResolvConfPath"] = p.HostsPath(), p.ResolvConfPath()
	return out
}

// networkMode is what the user asked for, "default" when nothing.
func networkMode(o string) string { return firstNonEmpty(o, "default") }
