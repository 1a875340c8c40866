//go:build !cgo

package native

import (
	"errors"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// seccompBuilt is false without cgo: libseccomp cannot be linked.
const seccompBuilt = false

func compileSeccomp(*specs.LinuxSeccomp) ([]byte, error) {
	return nil, errors.New("seccomp needs a binary built with cgo (CGO_ENABLED=1) and libseccomp")
}
