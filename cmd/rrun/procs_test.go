package main

import (
	"runtime"
	"testing"
)

// A prepare runs on one P; the pre-started process that served it serves
// its next command (a run that may pull) with the Ps it started with, and
// a GOMAXPROCS the user set is never overridden.
func TestOneProcIsUndoneForTheNextCommand(t *testing.T) {
	t.Setenv("GOMAXPROCS", "")
	start := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(start)
	if start == 1 {
		runtime.GOMAXPROCS(2)
		start = 2
	}
	oneProc()
	if got := runtime.GOMAXPROCS(0); got != 1 {
		t.Fatalf("after oneProc GOMAXPROCS is %d, want 1", got)
	}
	oneProc() // twice (a prepare served by a process that runs one already) keeps the first value
	defaultProcs()
	if got := runtime.GOMAXPROCS(0); got != start {
		t.Fatalf("after defaultProcs GOMAXPROCS is %d, want %d", got, start)
	}

	t.Setenv("GOMAXPROCS", "3")
	runtime.GOMAXPROCS(3)
	oneProc()
	if got := runtime.GOMAXPROCS(0); got != 3 {
		t.Fatalf("oneProc changed the user's GOMAXPROCS=3 to %d", got)
	}
	defaultProcs()
	if got := runtime.GOMAXPROCS(0); got != 3 {
		t.Fatalf("defaultProcs changed the user's GOMAXPROCS=3 to %d", got)
	}
}
