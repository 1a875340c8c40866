package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/network"
	"github.com/rrun-project/rrun/host/state"
	"github.com/rrun-project/rrun/plugins/api"
)

func newPortCommand() *cobra.Command {
	return &cobra.Command{
		Use: "port CONTAINER [PRIVATE_PORT[/PROTO]]", Short: "List a running container's published ports", Args: cobra.RangeArgs(1, 2),
		RunE: func(_ *cobra.Command, args []string) error {
			return forEach(args[:1], func(cfg config.Config, store *state.Store, r state.Record) error {
				ports, err := publishedPorts(cfg, store, r)
				if err != nil {
					return err
				}
				return printPorts(ports, args[1:])
			})
		},
	}
}

// publishedPorts are the ports of r's current start; none when it does not
// run (as docker shows).
func publishedPorts(cfg config.Config, store *state.Store, r state.Record) ([]network.Mapping, error) {
	if st, _ := status(cfg, r); st != state.StatusRunning {
		return nil, nil
	}
	p, err := network.Load(store.Dir(r.ID))
	if err != nil || p == nil {
		return nil, err
	}
	return p.Ports, nil
}

// printPorts prints docker's lines, "80/tcp -> 0.0.0.0:8080", or only the
// host addresses of one private port.
func printPorts(ports []network.Mapping, filter []string) error {
	if len(filter) == 0 {
		for _, m := range ports {
			fmt.Println(m)
		}
		return nil
	}
	want, err := network.ParseExposed(filter[0])
	if err != nil {
		return api.Errorf(api.ErrInvalidArgument, "use PORT or PORT/tcp or PORT/udp", "%v", err)
	}
	found := false
	for _, m := range ports {
		if m.Key() == want.Key() {
			fmt.Println(m.HostAddr())
			found = true
		}
	}
	if !found {
		return api.Errorf(api.ErrNotFound, "see rrun port CONTAINER", "no public port %s published", want.Key())
	}
	return nil
}
