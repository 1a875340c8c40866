package main

import (
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/monitor"
	"github.com/rrun-project/rrun/host/state"
)

func newLogsCommand() *cobra.Command {
	o := monitor.LogOptions{Tail: -1}
	var tail, since, until string
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
			var err error
			if o.Since, err = logTime(since); err != nil {
				return err
			}
			if o.Until, err = logTime(until); err != nil {
				return err
			}
			return forEach(args, func(cfg config.Config, store *state.Store, r state.Record) error {
				path := filepath.Join(store.Dir(r.ID), monitor.LogName)
				running := func() bool { return monitorAlive(cfg, r.ID) }
				return monitor.ReadLog(path, o, os.Stdout, os.Stderr, running)
			})
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.Follow, "follow", "f", false, "follow the output until the container stops")
	f.BoolVarP(&o.Timestamps, "timestamps", "t", false, "show timestamps")
	f.StringVarP(&tail, "tail", "n", "all", "number of lines to show from the end")
	f.StringVar(&since, "since", "", "Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)")
	f.StringVar(&until, "until", "", "Show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)")
	return cmd
}

// logTime reads --since and --until: a duration before now, or a timestamp.
func logTime(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(v); err == nil {
		return time.Now().Add(-d), nil
	}
	return parseTimestamp(v)
}
