//go:build !linux

package native

import (
	"context"

	"github.com/rrun-project/rrun/plugins/api"
)

// Backend is the native isolation backend; it needs Linux namespaces, so
// here it only describes itself and refuses containers.
type Backend struct{}

// New returns a backend that refuses to run containers.
func New() *Backend { return &Backend{} }

func (*Backend) Info(context.Context) (api.PluginInfo, error) {
	return api.PluginInfo{Kind: api.KindIsolation, Name: "native", Version: "0.1.0", APIVersions: []string{api.APIVersion}}, nil
}

func (*Backend) Configure(context.Context, api.Config) error { return errLinuxOnly() }

func (*Backend) Create(context.Context, api.CreateRequest) (int, error) { return 0, errLinuxOnly() }
func (*Backend) Start(context.Context, string) error                    { return errLinuxOnly() }
func (*Backend) Wait(context.Context, string, string) (api.ExitStatus, error) {
	return api.ExitStatus{}, errLinuxOnly()
}
func (*Backend) Kill(context.Context, string, string, int) error    { return errLinuxOnly() }
func (*Backend) Exec(context.Context, api.ExecRequest) (int, error) { return 0, errLinuxOnly() }
func (*Backend) ResizePty(context.Context, string, string, uint, uint) error {
	return errLinuxOnly()
}
func (*Backend) Delete(context.Context, string) error { return errLinuxOnly() }
func (*Backend) State(context.Context, string) (api.ContainerState, error) {
	return api.ContainerState{}, errLinuxOnly()
}

func errLinuxOnly() error {
	return api.Errorf(api.ErrFailedPrecondition, "use a Linux host", "the native isolation backend needs Linux")
}
