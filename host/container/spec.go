package container

import (
	"fmt"
	"maps"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rrun-project/rrun/host/cgroups"
	"github.com/rrun-project/rrun/host/network"
	"github.com/rrun-project/rrun/plugins/api"
)

// SpecEnv is what the spec needs from the session besides the options.
type SpecEnv struct {
	VolumesDir string        // <data dir>/volumes: named and anonymous volumes live here
	InitPath   string        // host path of the init that --init bind-mounts at initDest
	Network    *network.Plan // this start's network (nil: o.Network as given, no /etc files)
	rootfs     []api.Mount   // the container's root filesystem, set by specFor
	Cgroups    string        // config.toml's [containers] cgroups: "disabled" skips cgroups
	// OwnNetNS gives a private network (pasta, slirp4netns) a network
	// namespace of the container's own, which the session then connects
	// (the warm path); false: the container shares the session's.
	OwnNetNS bool
	// NetNSPath, with OwnNetNS, names that namespace, made and being
	// connected before the container (the isolation backend joins it:
	// api.CapIsolationNetNSPath); "": the backend makes it.
	NetNSPath string
	// BackendResources: the isolation backend applies linux.resources
	// itself (capability isolation.resources); the host writes no cgroup.
	BackendResources bool
	cgroupHost       *cgroups.Host // nil: the real host (tests point it at a fake tree)
}

// initDest is where --init's binary appears in the container.
const initDest = "/.rrun/init"

// processArgs applies docker's rule: ENTRYPOINT + (the user's command, or
// CMD). --entrypoint replaces the image's ENTRYPOINT and drops its CMD;
// --entrypoint "" leaves no entrypoint.
func processArgs(img ocispec.ImageConfig, entrypoint *string, userCmd []string) ([]string, error) {
	entry, cmd := img.Entrypoint, img.Cmd
	if entrypoint != nil {
		entry, cmd = nil, nil
		if *entrypoint != "" {
			entry = []string{*entrypoint}
		}
	}
	if len(userCmd) > 0 {
		cmd = userCmd
	}
	args := append(append([]string{}, entry...), cmd...)
	if len(args) == 0 {
		return nil, api.Errorf(api.ErrInvalidArgument, "give a command after the image name",
			"no command specified: the image has no ENTRYPOINT or CMD")
	}
	return args, nil
}

// buildSpecEnv makes the OCI runtime spec the isolation backend executes,
// from the image config and resolved options (see RunOptions.Resolve). It
// creates the volumes and missing -v host directories the spec mounts.
func buildSpecEnv(img ocispec.Image, o RunOptions, id string, user specs.User, env SpecEnv) (*specs.Spec, error) {
	args, err := processArgs(img.Config, o.Entrypoint, o.Cmd)
	if err != nil {
		return nil, err
	}
	hostname := o.Hostname
	if hostname == "" {
		hostname = id[:12]
	}
	proc, err := buildProcess(img.Config, o, args, hostname, user)
	if err != nil {
		return nil, err
	}
	mounts, err := buildMounts(o, id, env)
	if err != nil {
		return nil, err
	}
	seccomp, err := seccompFor(o, proc.Capabilities.Bounding)
	if err != nil {
		return nil, err
	}
	if o.Init {
		proc.Args = append([]string{initDest, "--"}, proc.Args...)
	}
	linux := &specs.Linux{
		Namespaces:    namespaces(networkMode(o, env), env.OwnNetNS, env.NetNSPath),
		Devices:       defaultDevices(),
		MaskedPaths:   maskedPaths,
		ReadonlyPaths: readonlyPaths,
		Seccomp:       seccomp,
	}
	if o.Privileged {
		linux.MaskedPaths, linux.ReadonlyPaths = nil, nil // docker's rule
	}
	return &specs.Spec{
		Version:     specs.Version,
		Hostname:    hostname,
		Root:        &specs.Root{Path: "rootfs", Readonly: o.ReadOnly},
		Process:     proc,
		Mounts:      mounts,
		Linux:       linux,
		Annotations: annotations(o),
	}, nil
}

func buildProcess(img ocispec.ImageConfig, o RunOptions, args []string, hostname string, user specs.User) (*specs.Process, error) {
	cwd := o.Workdir
	if cwd == "" {
		cwd = img.WorkingDir
	}
	if cwd == "" {
		cwd = "/"
	}
	caps, err := o.capabilities()
	if err != nil {
		return nil, err
	}
	nnp, err := noNewPrivileges(o.SecurityOpt)
	if err != nil {
		return nil, err
	}
	rlimits, err := processRlimits(o.Ulimits)
	if err != nil {
		return nil, err
	}
	return &specs.Process{
		Terminal:        o.TTY,
		Args:            args,
		Env:             processEnv(img, o.Env, hostname, o.TTY),
		Cwd:             cwd,
		User:            user,
		Capabilities:    processCaps(caps, user.UID),
		NoNewPrivileges: nnp,
		Rlimits:         rlimits,
	}, nil
}

// buildMounts is the default mounts, the user's, and --init's binary.
func buildMounts(o RunOptions, id string, env SpecEnv) ([]specs.Mount, error) {
	ums, err := collectMounts(o)
	if err != nil {
		return nil, err
	}
	user, err := specMounts(ums, id, env)
	if err != nil {
		return nil, err
	}
	if o.Init {
		if env.InitPath == "" {
			return nil, api.Errorf(api.ErrNotImplemented, "run without --init", "--init is not available: no init binary was given")
		}
		user = append(user, specs.Mount{Destination: initDest, Type: "bind", Source: env.InitPath, Options: []string{"rbind", "ro"}})
	}
	return mergeMounts(defaultMounts(), append(networkMounts(env), user...)), nil
}

// annotations carry the labels, and the image under a key of rrun's.
func annotations(o RunOptions) map[string]string {
	a := maps.Clone(o.Labels)
	if a == nil {
		a = map[string]string{}
	}
	a["io.rrun.image"] = o.Image
	return a
}

func specJSONError(err error) error {
	return fmt.Errorf("failed to encode the runtime spec: %w", err)
}
