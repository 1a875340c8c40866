package main

import (
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/monitor"
	"github.com/rrun-project/rrun/host/state"
)

func newLogsCommand() *cobra.Command {
	o := monitor.LogOptions{Tail: -1}
	var tail string
	cmd := &cobra.Command{
		Use: "logs [-f] [--tail N] [-t] CONTAINER", Short: "Show the output of a detached container", Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if tail != "all" && tail != "" {
				n, err := parseCount(tail)
				if err != nil {
					return err
				}
				o.Tail = n
			}
			return forEach(args, func(cfg config.Config, store *state.Store, r state.Record) error {
				path := filepath.Join(store.Dir(r.ID), monitor.LogName)
				running := func() bool { return monitor.Alive(cfg.Dirs.Run, r.ID) }
				return monitor.ReadLog(path, o, os.Stdout, os.Stderr, running)
			})
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.Follow, "follow", "f", false, "follow the output until the container stops")
	f.BoolVarP(&o.Timestamps, "timestamps", "t", false, "show timestamps")
	f.StringVarP(&tail, "tail", "n", "all", "number of lines to show from the end")
	return cmd
}
