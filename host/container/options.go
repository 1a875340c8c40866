package container

// RunOptions are the user's choices for `rrun create` / `rrun run`. They are
// stored in the container's record (JSON) so that a monitor can build the
// container again from them: every field is data, resolved by the CLI
// (relative paths made absolute, env files read) before it is stored.
type RunOptions struct {
	Image      string   `json:"image"`
	Cmd        []string `json:"cmd,omitempty"`
	Entrypoint *string  `json:"entrypoint,omitempty"` // nil: the image's; "": none
	Env        []string `json:"env,omitempty"`        // -e and --env-file, in order
	Workdir    string   `json:"workdir,omitempty"`
	User       string   `json:"user,omitempty"`      // user[:group], names or ids
	GroupAdd   []string `json:"group_add,omitempty"` // --group-add: more supplementary groups, names or gids
	Hostname   string   `json:"hostname,omitempty"`
	Name       string   `json:"name,omitempty"`

	Detach      bool `json:"detach,omitempty"`
	Interactive bool `json:"interactive,omitempty"`
	TTY         bool `json:"tty,omitempty"`
	Remove      bool `json:"remove,omitempty"`
	Init        bool `json:"init,omitempty"`
	// PreserveFds passes the caller's fds 3 to 3+N-1 on to the container
	// (run only; the CLI offers them to the monitor, see monitor.OfferFds).
	PreserveFds int `json:"preserve_fds,omitempty"`

	Volumes  []string `json:"volumes,omitempty"` // -v host:ctr[:ro] or name:ctr[:ro] or ctr (anonymous)
	Mounts   []string `json:"mounts,omitempty"`  // --mount type=bind|tmpfs|volume,...
	Tmpfs    []string `json:"tmpfs,omitempty"`   // --tmpfs ctr[:opts]
	ReadOnly bool     `json:"read_only,omitempty"`
	Network  string   `json:"network,omitempty"` // none | host | pasta | slirp4netns | container:NAME

	// Networking (the networking issue).
	Publish    []string `json:"publish,omitempty"` // -p [ip:][hostPort:]containerPort[/proto]
	PublishAll bool     `json:"publish_all,omitempty"`
	DNS        []string `json:"dns,omitempty"`
	AddHost    []string `json:"add_host,omitempty"` // host:ip

	// ID mapping and resource limits (the CI issue).
	UserNS     string `json:"userns,omitempty"` // "" | keep-id
	Memory     string `json:"memory,omitempty"`
	MemorySwap string `json:"memory_swap,omitempty"`
	CPUs       string `json:"cpus,omitempty"`
	CPUShares  int64  `json:"cpu_shares,omitempty"`
	PidsLimit  int64  `json:"pids_limit,omitempty"`
	Cgroups    string `json:"cgroups,omitempty"` // "" (enabled) | disabled

	StopSignal  string `json:"stop_signal,omitempty"`  // default SIGTERM
	StopTimeout *int   `json:"stop_timeout,omitempty"` // seconds, default 10
	Restart     string `json:"restart,omitempty"`      // no | on-failure[:N] | always | unless-stopped

	CapAdd      []string          `json:"cap_add,omitempty"`
	CapDrop     []string          `json:"cap_drop,omitempty"`
	SecurityOpt []string          `json:"security_opt,omitempty"` // no-new-privileges[:true|false], seccomp=unconfined|<profile JSON>
	Privileged  bool              `json:"privileged,omitempty"`   // all capabilities, no seccomp filter, no masked paths
	Ulimits     []string          `json:"ulimits,omitempty"`      // nofile=1024:2048
	Labels      map[string]string `json:"labels,omitempty"`
	Pull        string            `json:"pull,omitempty"` // always | missing | never
	// SkipTLSVerify is --tls-verify=false, AuthFile --authfile (absolute):
	// the registry options of --pull's pull.
	SkipTLSVerify bool   `json:"skip_tls_verify,omitempty"`
	AuthFile      string `json:"authfile,omitempty"`
}
