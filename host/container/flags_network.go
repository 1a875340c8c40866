package container

import (
	"net"
	"os"

	"github.com/spf13/pflag"

	"github.com/rrun-project/rrun/host/network"
)

// addNetworkFlags registers docker's networking flags of run and create.
func addNetworkFlags(fs *pflag.FlagSet, o *RunOptions) {
	fs.StringVar(&o.Network, "network", "", "Connect a container to a network: pasta, slirp4netns, host, none or container:NAME (default: pasta where installed, else slirp4netns)")
	fs.StringArrayVarP(&o.Publish, "publish", "p", nil, "Publish a container's port(s) to the host ([ip:][hostPort:]containerPort[/tcp|udp])")
	fs.BoolVarP(&o.PublishAll, "publish-all", "P", false, "Publish all exposed ports to random ports")
	fs.StringArrayVar(&o.DNS, "dns", nil, "Set custom DNS servers")
	fs.StringArrayVar(&o.AddHost, "add-host", nil, "Add a custom host-to-IP mapping (host:ip)")
}

// resolveNetwork checks the networking options; --network host takes the
// host's name as hostname (docker's rule).
func (o *RunOptions) resolveNetwork() error {
	mode, _, err := network.Parse(o.Network)
	if err != nil {
		return invalid("use --network pasta, slirp4netns, host, none or container:NAME", "%v", err)
	}
	if err := network.Installed(mode); err != nil {
		return invalid("install it, or choose another --network", "%v", err)
	}
	if err := o.checkPublish(mode); err != nil {
		return err
	}
	for _, d := range o.DNS {
		if net.ParseIP(d) == nil {
			return invalid("give an IP address, e.g. --dns 1.1.1.1", "invalid --dns %q", d)
		}
	}
	for _, h := range o.AddHost {
		if _, _, err := network.ParseAddHost(h); err != nil {
			return invalid("use --add-host NAME:IP", "%v", err)
		}
	}
	if mode == network.ModeHost && o.Hostname == "" {
		if h, err := os.Hostname(); err == nil {
			o.Hostname = h
		}
	}
	return nil
}

func (o *RunOptions) checkPublish(mode string) error {
	for _, p := range o.Publish {
		if _, err := network.ParsePublish(p); err != nil {
			return invalid("use -p [ip:][hostPort:]containerPort[/tcp|udp]", "%v", err)
		}
	}
	if (len(o.Publish) > 0 || o.PublishAll) && mode != "" && !network.Private(mode) {
		return invalid("publish ports with a private network: --network pasta or slirp4netns",
			"cannot publish ports with --network %s", o.Network)
	}
	return nil
}
