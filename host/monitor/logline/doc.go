// Package logline writes a container's log lines in docker's json-file
// shape ({"t": time, "s": stream, "l": line}). It is shared by the
// monitor in rrun and the small static rrun-monitor, so it imports the
// standard library's time and unicode/utf8 only.
package logline
