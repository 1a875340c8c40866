// Package logline writes a container's log lines in docker's json-file
// shape ({"t": time, "s": stream, "l": line}) for the monitor in rrun. The
// small rrun-monitor (C, cmd/rrun-monitor/logs.c) writes the same bytes;
// cmd/rrun-monitor/monitortest compares the two. It imports the standard
// library's time and unicode/utf8 only.
package logline
