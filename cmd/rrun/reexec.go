package main

import (
	"fmt"
	"os"

	"github.com/rrun-project/rrun/host/pluginmgr"
	"github.com/rrun-project/rrun/host/session"
	"github.com/rrun-project/rrun/plugins/api"
	"github.com/rrun-project/rrun/plugins/isolation/native"
	"github.com/rrun-project/rrun/plugins/isolation/oci"
	"github.com/rrun-project/rrun/plugins/storage/cstorage"
)

// The one registry of re-exec modes of the rrun binary. Each entry runs
// instead of the CLI and exits the process. (A container's init is
// rrun-nsinit, a program of its own: see plugins/isolation/native/nsinit.)

// builtinStorage and builtinIsolation are the plugins this binary serves
// as `rrun __plugin KIND NAME`.
var (
	builtinStorage   = []string{"overlay", "fuse-overlayfs", "vfs"}
	builtinIsolation = []string{"native", "oci"}
)

func reexecRole(args []string) func() {
	if session.IsRootlesskitChild() {
		return session.RunRootlesskitChild
	}
	if len(args) < 2 {
		return nil
	}
	switch args[1] {
	case pluginmgr.PluginArg:
		return func() { servePlugin(args[2:]) }
	case preforkArg:
		return servePrefork
	}
	return nil
}

func servePlugin(args []string) {
	if len(args) == 2 {
		switch {
		case args[0] == api.KindStorage && contains(builtinStorage, args[1]):
			api.ServeStorage(cstorage.New(args[1]))
			os.Exit(0)
		case args[0] == api.KindIsolation && args[1] == "oci":
			oneProc()
			oci.ServeMain(oci.New())
			os.Exit(0)
		case args[0] == api.KindIsolation && contains(builtinIsolation, args[1]):
			oneProc()
			api.ServeIsolation(native.New())
			os.Exit(0)
		}
	}
	fmt.Fprintf(os.Stderr, "rrun: no built-in plugin %v (see rrun plugins ls)\n", args)
	os.Exit(125)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
