// Package pluginmgr finds, checks, launches and talks to rrun's plugins:
// built-ins (the rrun binary re-executed as `rrun __plugin KIND NAME`) and
// external executables named rrun-KIND-NAME on the plugin search path, over
// hashicorp/go-plugin gRPC. It turns a plugin crash into an error naming the
// plugin, its exit status and the end of its stderr. It imports plugins/api
// only, never a plugin implementation.
package pluginmgr
