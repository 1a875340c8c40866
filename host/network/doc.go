// Package network decides a container's network: the mode (none, host,
// pasta, slirp4netns, or another container's), its published ports, the
// /etc/hosts and /etc/resolv.conf it sees, and the rootlesskit network and
// port drivers that give a session that network. It must not import
// host/container, storage/ or any plugin.
package network
