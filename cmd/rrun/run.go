package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/host/network"
	"github.com/rrun-project/rrun/host/state"
)

const runLong = `Run a command in a new container, in its own user, mount, pid, uts and ipc
namespaces. In the foreground rrun exits with the command's status; with -d it
prints the container's id and leaves it running under a monitor process.
Exit status: the command's, 125 when rrun fails, 126 when the command cannot be
executed, 127 when it is not found, 128+N when it is killed by signal N.`

func newRunCommand() *cobra.Command {
	var o container.RunOptions
	cmd := &cobra.Command{
		Use:   "run [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Run a command in a new container",
		Long:  runLong,
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Image, o.Cmd = args[0], args[1:]
			if err := checkInputTTY(o.TTY, o.Interactive && !o.Detach); err != nil {
				return err
			}
			rec, err := newContainer(&o)
			if err != nil {
				return err
			}
			return startContainer(rec, !o.Detach)
		},
	}
	cmd.Flags().SetInterspersed(false) // flags after IMAGE belong to the command
	addRunFlags(cmd, &o)
	return cmd
}

func newCreateCommand() *cobra.Command {
	var o container.RunOptions
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create a container (start it with rrun start)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Image, o.Cmd = args[0], args[1:]
			rec, err := newContainer(&o)
			if err != nil {
				return err
			}
			fmt.Println(rec.ID)
			return nil
		},
	}
	cmd.Flags().SetInterspersed(false)
	addRunFlags(cmd, &o)
	return cmd
}

// newContainer validates the options and records a new container.
func newContainer(o *container.RunOptions) (state.Record, error) {
	cwd, _ := os.Getwd()
	if err := o.Resolve(cwd); err != nil {
		return state.Record{}, err
	}
	cfg, store, err := loadStore()
	if err != nil {
		return state.Record{}, err
	}
	return createRecord(cfg, store, *o)
}

// startContainer runs a recorded container: in the foreground (attached to
// this terminal, exiting with its status) or detached (printing its id).
func startContainer(rec state.Record, attach bool) error {
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	cfg = withConfigOf(cfg, rec)
	if _, _, err := choosePlugins(newManager(cfg), cfg, needs{storage: true, isolation: true}); err != nil {
		return err
	}
	if attach {
		net, err := startNetwork(cfg, rec)
		if err != nil {
			return err
		}
		return enterContainerSession(cfg, append(globalArgs(), monitorArg, rec.ID, "--attach"), net)
	}
	if err := startDetached(cfg, rec); err != nil {
		return err
	}
	fmt.Println(rec.ID)
	return nil
}

// startNetwork plans rec's network for this start (see planNetwork).
func startNetwork(cfg config.Config, rec state.Record) (*network.Plan, error) {
	store, err := containerStore(cfg)
	if err != nil {
		return nil, err
	}
	net, err := planNetwork(cfg, store, rec)
	if err != nil && rec.Options.Remove {
		_ = store.Remove(rec.ID) // --rm: a container that never started leaves nothing
	}
	return net, err
}

// addRunFlags registers docker's run flags. -h is docker's --hostname, so
// help has no shorthand here.
func addRunFlags(cmd *cobra.Command, o *container.RunOptions) {
	cmd.Flags().Bool("help", false, "help for "+cmd.Name())
	container.AddRunFlags(cmd.Flags(), o)
}
