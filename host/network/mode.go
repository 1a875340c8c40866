package network

import (
	"fmt"
	"os/exec"
	"strings"
)

// Modes a container's network can have.
const (
	ModeNone        = "none"        // its own network namespace with only lo
	ModeHost        = "host"        // the user's own network namespace
	ModePasta       = "pasta"       // a private namespace through pasta
	ModeSlirp4netns = "slirp4netns" // a private namespace through slirp4netns
	ModeContainer   = "container"   // another container's namespace
)

// containerPrefix starts --network container:NAME.
const containerPrefix = "container:"

// Parse splits a --network value into its mode and, for container:NAME,
// the container. "" is the default (see Default).
func Parse(value string) (mode, target string, err error) {
	switch value {
	case "", ModeNone, ModeHost, ModePasta, ModeSlirp4netns:
		return value, "", nil
	}
	if name, ok := strings.CutPrefix(value, containerPrefix); ok && name != "" {
		return ModeContainer, name, nil
	}
	return "", "", fmt.Errorf("network %q is not supported", value)
}

// Private reports whether mode gives the container a private network
// namespace with a way out (and so published ports).
func Private(mode string) bool { return mode == ModePasta || mode == ModeSlirp4netns }

// Default is the network a container gets without --network: pasta where it
// is installed, else slirp4netns, else none. why says so in a few words;
// fix is not empty when the default had to fall back to none.
func Default() (mode, why, fix string) {
	if _, err := exec.LookPath("pasta"); err == nil {
		return ModePasta, "pasta is installed", ""
	}
	if _, err := exec.LookPath("slirp4netns"); err == nil {
		return ModeSlirp4netns, "slirp4netns is installed (pasta is not)", ""
	}
	return ModeNone, "neither pasta nor slirp4netns is installed",
		"sudo apt-get install passt (or slirp4netns) for a private network with published ports"
}

// Installed checks that the program a private mode needs is on PATH.
func Installed(mode string) error {
	pkg := map[string]string{ModePasta: "passt", ModeSlirp4netns: "slirp4netns"}[mode]
	if pkg == "" {
		return nil
	}
	if _, err := exec.LookPath(mode); err != nil {
		return fmt.Errorf("%s is not installed (fix: sudo apt-get install %s)", mode, pkg)
	}
	return nil
}
