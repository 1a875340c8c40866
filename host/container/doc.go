// Package container drives one container's life through the plugin
// contract, inside a session: it opens the chosen storage and isolation
// plugins, turns the image config and the user's flags into an OCI runtime
// spec with docker's rules, and runs create/start/wait/delete. It imports
// plugins/api and host packages only.
package container
