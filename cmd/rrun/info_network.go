package main

import (
	"os/exec"
	"strings"

	"github.com/rrun-project/rrun/host/network"
)

// networkInfo is `rrun info`'s Network line: the default network, why,
// and which private network programs are installed.
func networkInfo() string {
	mode, why, fix := network.Default()
	var found []string
	for _, prog := range []string{"pasta", "slirp4netns"} {
		if p, err := exec.LookPath(prog); err == nil {
			found = append(found, prog+"="+p)
		}
	}
	s := mode + " by default (" + why
	if fix != "" {
		s += "; fix: " + fix
	}
	if len(found) > 0 {
		s += "; " + strings.Join(found, ", ")
	}
	return s + ")"
}
