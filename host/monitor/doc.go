// Package monitor owns one container for its whole life, inside a session:
// it prepares and starts it through the plugins, keeps its record current,
// writes its log (detached) or passes its stdio through (foreground), and
// answers `stop`, `kill`, `wait`, `exec` and `resize` on a unix socket that
// any rrun process can reach, inside or outside the session. It is the
// session's child subreaper, so a container outlives a crash of the
// isolation plugin. It imports host packages and plugins/api only.
package monitor
