package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/pluginmgr"
	"github.com/rrun-project/rrun/host/session"
)

// infoSession is the session holder in `rrun info` (HolderPID 0: none).
type infoSession struct {
	HolderPID   int
	Age         string
	Mapping     string
	IdleTimeout string
	WarmPlugins []string
}

func sessionInfo(cfg config.Config) infoSession {
	s := infoSession{IdleTimeout: cfg.SessionIdleTimeout.String(), WarmPlugins: []string{}}
	if w := pluginmgr.WarmPlugins(cfg.Dirs.Run); w != nil {
		s.WarmPlugins = w
	}
	if h, ok := session.ReadHolder(cfg.Dirs.Run); ok && h.Alive() {
		s.HolderPID, s.Age, s.Mapping = h.PID, h.Age().String(), h.Mapping
	}
	return s
}

// String is the one line `rrun info` prints.
func (s infoSession) String() string {
	if s.HolderPID == 0 {
		return fmt.Sprintf("no holder (idle timeout %s)", s.IdleTimeout)
	}
	warm := "none"
	if len(s.WarmPlugins) > 0 {
		warm = strings.Join(s.WarmPlugins, ", ")
	}
	return fmt.Sprintf("holder pid %d, up %s, %s mapping, idle timeout %s, warm plugins: %s", s.HolderPID, s.Age, s.Mapping, s.IdleTimeout, warm)
}

// newSystemMigrateCommand is `rrun system migrate`: after an upgrade it
// stops the session holder, so the next command starts one from the new
// binary (a command would replace it anyway). Containers keep running; the
// --rm containers being removed are removed first.
func newSystemMigrateCommand() *cobra.Command {
	return &cobra.Command{
		Use: "migrate", Short: "Stop the session holder (after an upgrade); running containers are kept", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			cfg, err := loadConfig()
			if err != nil {
				return err
			}
			// A --rm run's removal may still be going on after its exit
			// code (with the warm plugins, which this stops).
			settleRemovals(cfg)
			if session.StopHolder(cfg.Dirs.Run) {
				fmt.Println("stopped the session holder")
			}
			if n := pluginmgr.StopWarm(cfg.Dirs.Run); n > 0 {
				fmt.Printf("stopped %d warm plugins\n", n)
			}
			return nil
		},
	}
}
