package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/container"
)

func newRunCommand() *cobra.Command {
	var o container.RunOptions
	cmd := &cobra.Command{
		Use:   "run [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Run a command in a new container",
		Long: "Run a command in a new container, in its own user, mount, pid, uts and ipc namespaces.\n" +
			"Exit status: the command's, 125 when rrun fails, 126 when the command cannot be executed,\n" +
			"127 when it is not found, 128+N when it is killed by signal N.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Image, o.Cmd = args[0], args[1:]
			return inSession(needs{storage: true, isolation: true}, func(ctx context.Context, b *container.Backends) error {
				code, err := container.Run(ctx, b, o)
				if err != nil {
					return err
				}
				if code != 0 {
					return exitCode(code)
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.SetInterspersed(false) // flags after IMAGE belong to the command
	f.BoolVar(&o.Remove, "rm", false, "remove the container's files when it exits")
	f.StringArrayVarP(&o.Env, "env", "e", nil, "set an environment variable (KEY=VALUE, or KEY to pass the caller's value)")
	f.BoolVarP(&o.Interactive, "interactive", "i", false, "keep stdin attached to the container")
	return cmd
}
