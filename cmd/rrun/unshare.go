package main

import (
	"context"
	"errors"
	"os"
	"os/exec"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/plugins/api"
)

func newUnshareCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "unshare [COMMAND [ARG...]]",
		Short: "Run a command in rrun's user namespace (to inspect or delete files owned by subordinate ids)",
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				args = []string{firstNonEmpty(os.Getenv("SHELL"), "/bin/sh")}
			}
			return inSession(needs{}, func(context.Context, *container.Backends) error {
				c := exec.Command(args[0], args[1:]...)
				c.Stdin, c.Stdout, c.Stderr = os.Stdin, os.Stdout, os.Stderr
				err := c.Run()
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					return exitCode(ee.ExitCode())
				}
				if err != nil {
					return api.Errorf(api.ErrCommandNotFound, "", "%v", err)
				}
				return nil
			})
		},
	}
	cmd.Flags().SetInterspersed(false)
	return cmd
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
