// Package monitortest tests rrun-monitor, the C program in its parent
// directory (Go cannot build a package with C files and no cgo): it builds
// the binary with `make monitor`, runs it with a shell script as the
// container's init and this test binary as rrun, and checks its log lines
// against host/monitor/logline and its socket against host/monitor's
// Request and Response.
package monitortest
