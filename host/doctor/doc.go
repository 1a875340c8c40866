// Package doctor checks whether this host can run rootless containers with
// rrun and says, one line per problem, what is missing and the command that
// fixes it. Every check reads the host through a Host, so tests can point
// it at fake files and probes. It must not import storage/ or any plugin
// implementation (plugins/api is fine).
package doctor
