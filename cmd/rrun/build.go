package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/network"
	"github.com/rrun-project/rrun/host/session"
	"github.com/rrun-project/rrun/plugins/api"
)

func goarch() string { return runtime.GOARCH }

const buildLong = `Build an image from a Dockerfile, without root and without a daemon: every
RUN step is a container of the isolation plugin, every step's changes a layer
committed by the storage plugin, reused from the build cache when its inputs
are unchanged. CONTEXT is a directory; "-" reads the Dockerfile from stdin and
builds without a context. See docs/build.md.`

// buildFlags are `rrun build`'s flags as given.
type buildFlags struct {
	tags, buildArgs, labels, secrets []string
	file, target, pull, network      string
	platform, progress, iidfile      string
	noCache, quiet                   bool
	networkPlan                      string // hidden: the plan's directory, inside the session
	stateDir                         string // hidden: the build's state dir (build_reclaim.go)
}

func newBuildCommand() *cobra.Command {
	var f buildFlags
	cmd := &cobra.Command{
		Use:   "build [OPTIONS] CONTEXT|-",
		Short: "Build an image from a Dockerfile",
		Long:  buildLong,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if session.Inside() {
				return buildInSession(f, args[0])
			}
			return startBuild(f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.tags, "tag", "t", nil, "name the image NAME[:TAG] (repeatable)")
	fl.StringVarP(&f.file, "file", "f", "", `the Dockerfile (default CONTEXT/Dockerfile; "-" reads stdin)`)
	fl.StringArrayVar(&f.buildArgs, "build-arg", nil, "set a build argument K=V (K alone takes it from the environment)")
	fl.StringVar(&f.target, "target", "", "build this stage and the stages it needs")
	fl.BoolVar(&f.noCache, "no-cache", false, "run every step again")
	fl.StringVar(&f.pull, "pull", "missing", "pull base images: missing, always or never")
	fl.Lookup("pull").NoOptDefVal = "always"
	fl.StringArrayVar(&f.labels, "label", nil, "set a label K=V on the image (repeatable)")
	fl.StringVar(&f.network, "network", "", "network of RUN steps: none, host, pasta or slirp4netns (default: run's)")
	fl.StringVar(&f.platform, "platform", "", "target platform (only this machine's)")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "print only the image id")
	fl.StringVar(&f.progress, "progress", "auto", "output: auto (tty on a terminal, else plain), plain or tty")
	fl.StringVar(&f.iidfile, "iidfile", "", "write the image id to this file")
	fl.StringArrayVar(&f.secrets, "secret", nil, "expose a secret file to RUN --mount=type=secret: id=ID,src=FILE")
	fl.StringVar(&f.networkPlan, "network-plan", "", "")
	_ = fl.MarkHidden("network-plan") // the flag exists: MarkHidden cannot fail
	fl.StringVar(&f.stateDir, "state-dir", "", "")
	_ = fl.MarkHidden("state-dir") // as above
	return cmd
}

// startBuild checks the flags outside the session, plans the network and
// runs the build inside a session.
func startBuild(f buildFlags, contextArg string) error {
	cfg, _, err := loadStore() // reconciles: a killed build's leftovers go first
	if err != nil {
		return err
	}
	st, err := newBuildState(cfg)
	if err != nil {
		return err
	}
	defer st.release()
	f.stateDir = st.dir
	if contextArg == "-" || f.file == "-" {
		in, err := readStdinInput(st.dir, contextArg == "-")
		if err != nil {
			return err
		}
		defer in.cleanup()
		f.file = in.dockerfile
		if contextArg == "-" {
			contextArg = in.contextDir
			if contextArg == "" {
				contextArg = "-"
			}
		}
	}
	if err := f.resolve(contextArg); err != nil {
		return err
	}
	if _, _, err := choosePlugins(newManager(cfg), cfg, needs{storage: true, isolation: true}); err != nil {
		return err
	}
	plan, cleanup, err := buildNetwork(cfg, &f)
	if err != nil {
		return err
	}
	defer cleanup()
	args := append(append(globalArgs(), "build"), f.args()...)
	return enterContainerSession(cfg, append(args, contextArg), plan)
}

// resolve makes paths absolute and reads a Dockerfile from stdin into a
// file, so that the session sees the same inputs.
func (f *buildFlags) resolve(contextArg string) error {
	switch f.pull {
	case "missing", "always", "never", "true", "false":
	default:
		return api.Errorf(api.ErrInvalidArgument, "use --pull=missing, always or never", "invalid --pull %q", f.pull)
	}
	if f.progress != "auto" && f.progress != "plain" && f.progress != "tty" {
		return api.Errorf(api.ErrInvalidArgument, "use --progress auto, plain or tty", "invalid --progress %q", f.progress)
	}
	if f.platform != "" && f.platform != "linux/"+goarch() {
		return api.Errorf(api.ErrNotImplemented, "build for linux/"+goarch(), "cannot build for platform %s on this machine", f.platform)
	}
	if f.iidfile != "" {
		f.iidfile = absOrEmpty(f.iidfile)
	}
	for i, s := range f.secrets {
		id, src, err := parseSecret(s)
		if err != nil {
			return err
		}
		f.secrets[i] = "id=" + id + ",src=" + src
	}
	if contextArg != "-" {
		fi, err := os.Stat(contextArg)
		if err != nil || !fi.IsDir() {
			return api.Errorf(api.ErrNotFound, "give a directory, or - to read a Dockerfile from stdin", "build context %s is not a directory", contextArg)
		}
	}
	return f.resolveDockerfile(contextArg)
}

func (f *buildFlags) resolveDockerfile(contextArg string) error {
	if f.file == "" {
		f.file = filepath.Join(contextArg, "Dockerfile")
	}
	f.file = absOrEmpty(f.file)
	return nil
}

// parseSecret reads --secret id=ID,src=FILE (also source=, type=file).
func parseSecret(v string) (id, src string, err error) {
	for _, kv := range strings.Split(v, ",") {
		k, val, _ := strings.Cut(kv, "=")
		switch k {
		case "id":
			id = val
		case "src", "source":
			src = absOrEmpty(val)
		case "type":
			if val != "file" {
				return "", "", api.Errorf(api.ErrNotImplemented, "use a file", "--secret type=%s is not supported", val)
			}
		default:
			return "", "", api.Errorf(api.ErrInvalidArgument, "use --secret id=ID,src=FILE", "invalid --secret %q", v)
		}
	}
	if id == "" || src == "" {
		return "", "", api.Errorf(api.ErrInvalidArgument, "use --secret id=ID,src=FILE", "invalid --secret %q", v)
	}
	if _, err := os.Stat(src); err != nil {
		return "", "", api.Errorf(api.ErrNotFound, "", "secret %s: %v", id, err)
	}
	return id, src, nil
}

// args are the flags again, resolved, for the command inside the session.
func (f *buildFlags) args() []string {
	var a []string
	for _, t := range f.tags {
		a = append(a, "--tag", t)
	}
	for _, b := range f.buildArgs {
		if !strings.Contains(b, "=") { // a bare K takes its value here, where the environment is the user's
			if v, ok := os.LookupEnv(b); ok {
				b += "=" + v
			}
		}
		a = append(a, "--build-arg", b)
	}
	for _, l := range f.labels {
		a = append(a, "--label", l)
	}
	for _, s := range f.secrets {
		a = append(a, "--secret", s)
	}
	a = append(a, "--file", f.file, "--pull="+f.pull, "--network", f.network, "--network-plan", f.networkPlan,
		"--state-dir", f.stateDir, "--progress", f.progress)
	if f.target != "" {
		a = append(a, "--target", f.target)
	}
	if f.iidfile != "" {
		a = append(a, "--iidfile", f.iidfile)
	}
	if f.noCache {
		a = append(a, "--no-cache")
	}
	if f.quiet {
		a = append(a, "--quiet")
	}
	return a
}

// buildNetwork decides the RUN steps' network (run's default when not
// given) and writes its /etc files for every mode but none.
func buildNetwork(cfg config.Config, f *buildFlags) (*network.Plan, func(), error) {
	mode, _, err := network.Parse(f.network)
	if err != nil || mode == network.ModeContainer {
		return nil, nil, api.Errorf(api.ErrInvalidArgument, "use --network none, host, pasta or slirp4netns", "invalid --network %q", f.network)
	}
	if mode == "" {
		mode, _, _ = network.Default()
	}
	if err := network.Installed(mode); err != nil {
		return nil, nil, api.Errorf(api.ErrFailedPrecondition, "", "%v", err)
	}
	f.network = mode
	if mode == network.ModeNone {
		return nil, func() {}, nil
	}
	if err := cfg.Dirs.Ensure(); err != nil {
		return nil, nil, err
	}
	dir, err := os.MkdirTemp(f.stateDir, "network-")
	if err != nil {
		return nil, nil, fmt.Errorf("failed to create the build's network directory: %w", err)
	}
	cleanup := func() { os.RemoveAll(dir) }
	p := &network.Plan{Mode: mode, Dir: dir}
	if err := p.WriteEtc("buildkitsandbox", nil, nil); err != nil {
		cleanup()
		return nil, nil, err
	}
	f.networkPlan = dir
	if !network.Private(mode) {
		p = nil // host: the session keeps the user's network namespace
	}
	return p, cleanup, nil
}
