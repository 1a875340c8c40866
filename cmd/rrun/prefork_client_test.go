package main

import (
	"os"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

// The Go client's request (a detached monitor handed to a pool process)
// is what the pool process reads: the same header layout, the fds at their
// numbers, the working directory, argv and environment.
func TestPreforkRequestRoundTrip(t *testing.T) {
	sv, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(sv[0])
	defer unix.Close(sv[1])
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	args := []string{"/usr/bin/rrun", "--log-level", "warn", "__monitor", "0123abcd"}
	env := []string{"HOME=/home/u", "_RRUN_OWNER_FD=3", "EMPTY="}
	done := make(chan error, 1)
	go func() { done <- sendPreforkRequest(sv[0], args, env, []*os.File{null, w, w, r}) }()
	req, err := readPreforkRequest(sv[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	defer closeAll(req.fds)
	cwd, _ := os.Getwd()
	um := unix.Umask(0)
	unix.Umask(um)
	if req.cwd != cwd || !slices.Equal(req.args, args) || !slices.Equal(req.env, env) {
		t.Fatalf("strings: cwd %q args %q env %q", req.cwd, req.args, req.env)
	}
	if req.verb != preforkDetached || req.umask != um || !slices.Equal(req.targets, []int{0, 1, 2, 3}) || len(req.fds) != 4 {
		t.Fatalf("header: verb %d umask %o targets %v fds %v", req.verb, req.umask, req.targets, req.fds)
	}
	// fd 1 of the request is the pipe's write end: what is written there
	// comes out of r.
	if _, err := unix.Write(req.fds[1], []byte("x")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	if _, err := r.Read(b); err != nil || b[0] != 'x' {
		t.Fatalf("the passed fd 1 is not the pipe: %q, %v", b, err)
	}
}
