//go:build !linux || !cgo

package join

import "time"

// Without cgo there is no constructor: never joined, never wanted.

// Joined reports false: no constructor ran.
func Joined() bool { return false }

// Wanted reports false: without the constructor a holder cannot be joined.
func Wanted() bool { return false }

// HolderPID is 0.
func HolderPID() int { return 0 }

// HostIDs are 0.
func HostIDs() (uid, gid int) { return 0, 0 }

// Mapping is empty.
func Mapping() string { return "" }

// RunDir is empty.
func RunDir() string { return "" }

// Reason is empty.
func Reason() string { return "" }

// Times are zero.
func Times() (start, done time.Time) { return }

// InheritTag is empty: without the constructor the limits are not known
// as they were before the Go runtime raised RLIMIT_NOFILE.
func InheritTag() string { return "" }

// PreforkCtl is -1: no pool without the constructor.
func PreforkCtl() int { return -1 }
