package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/host/monitor"
	"github.com/rrun-project/rrun/host/session/join"
	"github.com/rrun-project/rrun/host/state"
	"github.com/rrun-project/rrun/host/trace"
)

const runLong = `Run a command in a new container, in its own user, mount, pid, uts and ipc
namespaces. In the foreground rrun exits with the command's status; with -d it
prints the container's id and leaves it running under a monitor process.
Exit status: the command's, 125 when rrun fails, 126 when the command cannot be
executed, 127 when it is not found, 128+N when it is killed by signal N.`

func newRunCommand() *cobra.Command { return runCommandFor(runContainer) }

// runCommandFor is `rrun run` with start in place of runContainer.
func runCommandFor(start func(*container.RunOptions) error) *cobra.Command {
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
			return start(&o)
		},
	}
	cmd.Flags().SetInterspersed(false) // flags after IMAGE belong to the command
	addRunFlags(cmd, &o)
	cmd.Flags().IntVar(&o.PreserveFds, "preserve-fds", 0, "Pass N additional file descriptors (3 to 3+N-1) to the container")
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
			cfg, store, err := resolveNew(&o)
			if err != nil {
				return err
			}
			rec, _, err := createRecord(cfg, store, o, false)
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

// resolveNew validates the options of a new container and opens the
// records (reconciling what killed rrun processes left).
func resolveNew(o *container.RunOptions) (config.Config, *state.Store, error) {
	cwd, _ := os.Getwd()
	if err := o.Resolve(cwd); err != nil {
		return config.Config{}, nil, err
	}
	return loadStoreThen(func(cfg config.Config) { openEarly(cfg, !o.Detach) })
}

// runContainer is `rrun run`: every check that can refuse the run comes
// before the record is written, and a run that fails or is killed before
// its command runs leaves no record and no root filesystem behind.
func runContainer(o *container.RunOptions) error {
	id, err := newContainer(o)
	if err == nil && o.Detach {
		fmt.Println(id)
	}
	return err
}

// newContainer is runContainer without printing: the new container's id.
func newContainer(o *container.RunOptions) (string, error) {
	return createAndStart(o, func(cfg config.Config, store *state.Store, rec state.Record, owner *state.Owner) error {
		return startOwned(cfg, store, rec, owner, !o.Detach)
	})
}

// createAndStart records a new container and has start start it, with the
// container's owner lock held.
func createAndStart(o *container.RunOptions, start func(config.Config, *state.Store, state.Record, *state.Owner) error) (string, error) {
	cfg, store, err := resolveNew(o)
	if err != nil {
		return "", err
	}
	trace.Mark("records opened")
	if _, _, err := choosePlugins(newManager(cfg), cfg, needs{storage: true, isolation: true}); err != nil {
		return "", err
	}
	fds, err := preservedFds(o.PreserveFds)
	if err != nil {
		return "", err
	}
	rec, owner, err := createRecord(cfg, store, *o, true)
	if err != nil {
		return "", err
	}
	trace.Mark("record created")
	if len(fds) > 0 {
		stop, err := monitor.OfferFds(cfg.Dirs.Run, rec.ID, fds)
		if err != nil {
			return "", abandonStart(store, rec, err)
		}
		defer stop()
	}
	err = start(cfg, store, rec, owner)
	var code exitCode
	if err != nil && !errors.As(err, &code) {
		owner.Release()
		reconcile(cfg, store, false) // a session that died before its monitor could clean up
		return "", err
	}
	// Held until the work left for after the exit code is done: a
	// foreground --rm container's removal (monitor.finish), for which
	// other commands wait as long as the lock is held.
	runLater(owner.Release)
	return rec.ID, err
}

// startContainer starts a recorded container (rrun start): it takes the
// container's owner lock first, so two starts of one container cannot race.
func startContainer(cfg config.Config, store *state.Store, rec state.Record, attach bool) error {
	owner, err := store.Own(rec.ID)
	if err != nil {
		return err
	}
	defer runLater(owner.Release) // after a --rm container's removal, as createAndStart's
	return startOwned(cfg, store, rec, owner, attach)
}

// startOwned runs a recorded container whose owner lock this process
// holds: in the foreground (attached to this terminal, exiting with its
// status) or detached (printing its id; the monitor inherits the lock).
func startOwned(cfg config.Config, store *state.Store, rec state.Record, owner *state.Owner, attach bool) error {
	cfg = withConfigOf(cfg, rec)
	if _, _, err := choosePlugins(newManager(cfg), cfg, needs{storage: true, isolation: true}); err != nil {
		return abandonStart(store, rec, err)
	}
	if attach {
		net, err := planNetwork(cfg, store, rec)
		if err != nil {
			return abandonStart(store, rec, err)
		}
		if join.Joined() {
			if err := checkWarmNetwork(net); err != nil {
				return abandonStart(store, rec, err)
			}
			sayHolderWarning()
			if servedClient > 0 {
				_ = owner.AnswerTo(servedClient) // a client gone first: dieWithClient ends this process anyway
			}
			err := runMonitor(rec.ID, true) // this process is the session: no re-exec
			// Not after -t: its relay may still be blocked reading the
			// user's terminal, and would take the next line typed there.
			servedForeground = servedClient > 0 && !rec.Options.TTY
			return err
		}
		return enterContainerSession(cfg, append(globalArgs(), monitorArg, rec.ID, "--attach"), net)
	}
	return startDetached(cfg, store, rec, owner)
}

// abandonStart undoes a start refused before any session began: a run's
// record goes (nothing else exists yet), a started container stays as it
// was.
func abandonStart(store *state.Store, rec state.Record, err error) error {
	if rec.Unstarted {
		_ = store.Remove(rec.ID) // the run is refused: its error is what matters
	} else {
		_ = store.Update(rec.ID, func(r *state.Record) error { r.Starting = false; return nil })
	}
	return err
}

// addRunFlags registers docker's run flags. -h is docker's --hostname, so
// help has no shorthand here.
func addRunFlags(cmd *cobra.Command, o *container.RunOptions) {
	cmd.Flags().Bool("help", false, "help for "+cmd.Name())
	container.AddRunFlags(cmd.Flags(), o)
}
