// Command rrun-nsinit is the first process of every container of the
// native isolation backend, and of every process exec'd into one: it sets
// the process up in the namespaces the plugin made or joined and execs the
// container's command, so it lives only a few milliseconds. The plugin
// finds it next to its own executable (make build puts it in bin/, next to
// bin/rrun). It imports nothing but the backend's container side, so that
// starting it costs a small fraction of starting rrun.
package main

import "github.com/rrun-project/rrun/plugins/isolation/native/nsinit"

func main() { nsinit.Main() }
