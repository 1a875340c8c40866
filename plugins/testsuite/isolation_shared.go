package testsuite

import (
	"context"
	"fmt"
	"os/exec"
	"sync"
	"syscall"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/rrun-project/rrun/plugins/api"
)

// TestIsolationSharedClients is the conformance case of a warm plugin: one
// plugin process (newCmd) serves several clients, each over its own
// connection (go-plugin's ReattachConfig, as rrun's commands reattach),
// at once. Each client runs a container concurrently, kills another
// client's container, and one client going away leaves the others served.
// The contract comments say every Isolation method is safe to call
// concurrently; this is where that is checked over the wire.
func TestIsolationSharedClients(t *testing.T, newCmd func() *exec.Cmd, rootfs func(t *testing.T) []api.Mount) {
	const clients = 4
	owner := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  api.Handshake,
		VersionedPlugins: api.PluginSets(),
		Cmd:              newCmd(),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           hclog.New(&hclog.LoggerOptions{Name: "plugin", Level: hclog.Off}),
	})
	t.Cleanup(owner.Kill)
	first := dispenseIsolation(t, owner)
	ConfigureIsolation(t, first)
	s := &isolationSuite{rootfs: rootfs}
	bs := []api.Isolation{first}
	var extra []*plugin.Client
	for range clients - 1 {
		c := reattachClient(owner.ReattachConfig())
		extra = append(extra, c)
		t.Cleanup(c.Kill) // a reattached test-mode client: only its connection closes
		bs = append(bs, dispenseIsolation(t, c))
	}
	cs := make([]*isoContainer, clients)
	for i, b := range bs {
		cs[i] = s.mustCreate(t, b, IsolationSpec("sleep", "1000"))
	}
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			if err := bs[i].Start(cs[i].ctx, cs[i].id); err != nil {
				t.Errorf("client %d: Start: %v", i, err)
			}
		})
	}
	wg.Wait()
	got := make([]api.ExitStatus, clients)
	for i := range clients {
		wg.Go(func() {
			other := cs[(i+1)%clients] // another client's container
			if err := bs[i].Kill(other.ctx, other.id, "", int(syscall.SIGKILL)); err != nil {
				t.Errorf("client %d: Kill(%s): %v", i, other.id, err)
			}
			st, err := bs[i].Wait(cs[i].ctx, cs[i].id, "")
			if err != nil {
				t.Errorf("client %d: Wait: %v", i, err)
			}
			got[i] = st
		})
	}
	wg.Wait()
	for i, st := range got {
		if st.Code != 137 {
			t.Errorf("client %d: container killed by another client exited %+v, want 137", i, st)
		}
	}
	extra[0].Kill()
	if _, err := bs[2].Info(context.Background()); err != nil {
		t.Fatalf("a client that stayed lost the plugin when another left: %v", err)
	}
	cs[1].b = bs[2] // the leaving client's container is deleted by one that stayed
}

func reattachClient(rc *plugin.ReattachConfig) *plugin.Client {
	cfg := *rc
	cfg.Test = true // closing this client never stops the plugin
	return plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  api.Handshake,
		Plugins:          api.PluginSets()[api.WireVersion],
		Reattach:         &cfg,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           hclog.New(&hclog.LoggerOptions{Name: "plugin", Level: hclog.Off}),
	})
}

func dispenseIsolation(t *testing.T, c *plugin.Client) api.Isolation {
	t.Helper()
	rpc, err := c.Client()
	if err != nil {
		t.Fatalf("failed to connect to the isolation plugin: %v", err)
	}
	raw, err := rpc.Dispense(api.KindIsolation)
	if err != nil {
		t.Fatalf("failed to dispense isolation: %v", err)
	}
	iso, ok := raw.(api.Isolation)
	if !ok {
		t.Fatalf("dispensed %T, not an isolation backend", raw)
	}
	if _, err := iso.Info(context.Background()); err != nil {
		t.Fatal(fmt.Errorf("Info over RPC: %w", err))
	}
	return iso
}
