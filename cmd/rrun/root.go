package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/container"
	"github.com/rrun-project/rrun/host/session"
	"github.com/rrun-project/rrun/host/trace"
	"github.com/rrun-project/rrun/plugins/api"
)

// version is set by the build (-ldflags -X main.version=...).
var version = "0.1.0-dev"

// exitCode is returned by a verb to end rrun with that code and no message.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

type globalFlags struct {
	logLevel  string
	storage   string
	isolation string
}

var globals globalFlags

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "rrun",
		Short:         "Run OCI/Docker container images as an ordinary user, without root or a daemon",
		Version:       version,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.CompletionOptions.DisableDefaultCmd = true
	pf := root.PersistentFlags()
	pf.StringVar(&globals.logLevel, "log-level", "warn", "log level: error, warn, info or debug (debug shows plugin logs)")
	pf.StringVar(&globals.storage, "storage", "", "storage backend: overlay, fuse-overlayfs, vfs or a plugin (default: $RRUN_STORAGE, config.toml, else the first that works here; see rrun info)")
	pf.StringVar(&globals.isolation, "isolation", "", "isolation backend (default: $RRUN_ISOLATION, config.toml, or native)")
	root.AddCommand(newRunCommand(), newLoadCommand(), newImagesCommand(), newPluginsCommand(), newUnshareCommand(), newDoctorCommand())
	root.AddCommand(newPullCommand(), newPushCommand(), newSaveCommand(), newImportCommand(), newTagCommand(), newRmiCommand(), newImageCommand(), newSystemCommand(), newInfoCommand())
	root.AddCommand(newCreateCommand(), newStartCommand(), newStopCommand(), newKillCommand(), newWaitCommand(), newRenameCommand(),
		newPsCommand(), newLogsCommand(), newInspectCommand(), newTopCommand(), newRmCommand(), newContainerCommand(), newExecCommand(),
		newMonitorCommand(), newRmInSessionCommand(), newReconcileCommand(), newReclaimBuildCommand())
	root.AddCommand(newStatsCommand(), newIDMapCopyCommand())
	root.AddCommand(newPortCommand())
	root.AddCommand(newSlurmPrepareCommand(), newSlurmCleanupCommand())
	root.AddCommand(newBuildCommand(), newCommitCommand(), newHistoryCommand(), newBuilderCommand())
	root.AddCommand(newVersionCommand(), newVolumeCommand(), newCompletionCommand(), newPauseCommand(true), newPauseCommand(false), newUpdateCommand(), newRestartCommand(), newLoginCommand(), newLogoutCommand(), newCpCommand(), newExportCommand(), newAttachCommand(), newDiffCommand())
	addCompletions(root)
	return root
}

// prebuilt is the command tree a pre-started rrun built while it waited
// for its command: building it is a few ms of every command's start.
var prebuilt *cobra.Command

// rootCommand returns the prebuilt tree, once, else a new one.
func rootCommand() *cobra.Command {
	if root := prebuilt; root != nil {
		prebuilt = nil
		return root
	}
	return newRootCommand()
}

// prebuildRoot builds the tree, and what cobra adds to it on the first
// Execute, and primes the encoders of a run, ahead of the command.
func prebuildRoot() {
	root := newRootCommand()
	root.InitDefaultHelpCmd()
	root.InitDefaultHelpFlag()
	root.InitDefaultVersionFlag()
	prebuilt = root
	container.Prime()
}

// execute runs the CLI (or, with `__session` first, the same verb inside a
// session) and returns the process exit code.
func execute() int {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == session.SessionArg {
		args = args[1:]
		if err := session.Begin(); err != nil {
			return report(err)
		}
	} else {
		closeInheritedFds() // the session keeps what rootlesskit passes on purpose
	}
	root := rootCommand()
	root.SetArgs(args)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return api.Errorf(api.ErrInvalidArgument, "see '"+c.CommandPath()+" --help'", "%v", err)
	})
	err := root.Execute()
	trace.MarkCPU("done")
	return report(err)
}

// report prints err as one line with its hint and returns the exit code.
func report(err error) int {
	if err == nil {
		return 0
	}
	var code exitCode
	if errors.As(err, &code) {
		return int(code)
	}
	msg := "rrun: " + err.Error()
	hint := api.HintOf(err)
	if hint != "" {
		msg += " (" + hint + ")"
	}
	fmt.Fprintln(os.Stderr, msg)
	writeErrorFile(err.Error(), hint)
	return codeOf(err)
}

// codeOf is the exit code for err: the container's, docker's 126/127 for a
// command that cannot run, or 125 for rrun's own failures.
func codeOf(err error) int {
	var code exitCode
	var ee *container.ExitError
	var sf *startFailure
	switch {
	case err == nil:
		return 0
	case errors.As(err, &code):
		return int(code)
	case errors.As(err, &ee):
		return ee.Code
	case errors.As(err, &sf) && sf.msg.Code != 0:
		return sf.msg.Code
	}
	return 125
}
