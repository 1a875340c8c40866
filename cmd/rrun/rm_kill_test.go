package main

import (
	"os"
	"testing"
	"time"
)

func TestStartedByTellsAnOlderProcessFromAYoungerOne(t *testing.T) {
	if !startedBy(os.Getpid(), time.Now()) {
		t.Fatal("this process started before now")
	}
	if startedBy(os.Getpid(), time.Now().Add(-time.Hour)) {
		t.Fatal("this process did not start an hour ago: a namespace with a reused inode must not be killed")
	}
	if startedBy(os.Getpid(), time.Time{}) {
		t.Fatal("a record without a start time matches no process")
	}
}
