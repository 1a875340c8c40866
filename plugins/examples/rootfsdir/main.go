// Command rrun-storage-rootfsdir is an example storage plugin for rrun,
// written as an out-of-tree plugin would be: it imports only the plugin
// SDK (plugins/api), golang.org/x/sys and the standard library.
//
// It serves one unpacked root filesystem directory as one image,
// example/rootfs:latest, and hands it to containers as a read-only bind
// mount. Build it with
//
//	go build -o rrun-storage-rootfsdir ./plugins/examples/rootfsdir
//
// and put it in $RRUN_PLUGIN_PATH; the directory comes from the plugin
// option "rootfs" or from $RRUN_EXAMPLE_ROOTFS.
package main

import (
	"fmt"
	"os"

	"github.com/rrun-project/rrun/plugins/api"
)

func main() {
	if os.Getenv(api.Handshake.MagicCookieKey) != api.Handshake.MagicCookieValue {
		fmt.Fprintln(os.Stderr, "rrun-storage-rootfsdir is an rrun storage plugin: put it in $RRUN_PLUGIN_PATH and select it with rrun's storage setting")
		os.Exit(1)
	}
	api.ServeStorage(&backend{})
}
