package container

import (
	"github.com/spf13/pflag"
)

// AddRunFlags registers docker's `run`/`create` flags on fs, with docker's
// names, shorthands and help, storing into o. Values are checked by
// o.Resolve, except env files, which are read as they are parsed (their
// variables come before every -e, as with docker).
func AddRunFlags(fs *pflag.FlagSet, o *RunOptions) {
	env := &envFlags{env: &o.Env}
	fs.BoolVarP(&o.Detach, "detach", "d", false, "Run container in background and print container ID")
	fs.StringVar(&o.Name, "name", "", "Assign a name to the container")
	fs.BoolVarP(&o.Interactive, "interactive", "i", false, "Keep STDIN open even if not attached")
	fs.BoolVarP(&o.TTY, "tty", "t", false, "Allocate a pseudo-TTY")
	fs.VarP(envValue{env}, "env", "e", "Set environment variables")
	fs.Var(envFileValue{env}, "env-file", "Read in a file of environment variables")
	fs.StringVarP(&o.Workdir, "workdir", "w", "", "Working directory inside the container")
	fs.StringVarP(&o.User, "user", "u", "", "Username or UID (format: <name|uid>[:<group|gid>])")
	fs.StringArrayVar(&o.GroupAdd, "group-add", nil, "Add additional groups to join")
	fs.Var(optionalString{&o.Entrypoint}, "entrypoint", "Overwrite the default ENTRYPOINT of the image")
	fs.StringArrayVarP(&o.Volumes, "volume", "v", nil, "Bind mount a volume")
	fs.StringArrayVar(&o.Mounts, "mount", nil, "Attach a filesystem mount to the container")
	fs.StringArrayVar(&o.Tmpfs, "tmpfs", nil, "Mount a tmpfs directory")
	fs.BoolVar(&o.ReadOnly, "read-only", false, "Mount the container's root filesystem as read only")
	fs.StringVarP(&o.Hostname, "hostname", "h", "", "Container host name")
	fs.BoolVar(&o.Remove, "rm", false, "Automatically remove the container and its associated anonymous volumes when it exits")
	fs.BoolVar(&o.Init, "init", false, "Run an init inside the container that forwards signals and reaps processes")
	fs.StringVar(&o.StopSignal, "stop-signal", "", "Signal to stop the container (default SIGTERM)")
	fs.Var(optionalInt{&o.StopTimeout}, "stop-timeout", "Timeout (in seconds) to stop a container (default 10)")
	fs.StringVar(&o.Restart, "restart", "", "Restart policy to apply when a detached container exits: no (the default), on-failure[:N], always, unless-stopped")
	fs.StringArrayVar(&o.CapAdd, "cap-add", nil, "Add Linux capabilities")
	fs.StringArrayVar(&o.CapDrop, "cap-drop", nil, "Drop Linux capabilities")
	fs.StringArrayVar(&o.SecurityOpt, "security-opt", nil, "Security Options")
	fs.BoolVar(&o.Privileged, "privileged", false, "Give extended privileges to this container (inside its user namespace)")
	fs.StringArrayVar(&o.Ulimits, "ulimit", nil, "Ulimit options")
	fs.VarP(labelValue{&o.Labels}, "label", "l", "Set meta data on a container")
	fs.StringVar(&o.Pull, "pull", "missing", `Pull image before running ("always", "missing", "never")`)
	addPullFlags(fs, o)
	addNetworkFlags(fs, o)
	addLimitFlags(fs, o)
}
