package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestBuildAddURL: ADD of an http URL downloads through the build's
// network (here --network host, to reach a server on 127.0.0.1), as
// docker does: not extracted, mode 0600, owner 0:0, the time of
// Last-Modified, --checksum checked; with --network none it fails before
// any step, with one line.
func TestBuildAddURL(t *testing.T) {
	modified := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/files/data.txt" && r.URL.Path != "/files/a.tar" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Last-Modified", modified.Format(http.TimeFormat))
		_, _ = w.Write([]byte("downloaded\n"))
	}))
	defer srv.Close()
	sum := sha256.Sum256([]byte("downloaded\n"))
	e := withBusybox(t)
	ctx := buildContext(t, e, map[string]string{"Dockerfile": "FROM busybox\n" +
		"ADD " + srv.URL + "/files/data.txt /d/\n" +
		"ADD --checksum=sha256:" + hex.EncodeToString(sum[:]) + " " + srv.URL + "/files/a.tar /checked.tar\n"})
	buildOK(t, e, "--network", "host", "-t", "added", ctx)
	out := e.ok("run", "--rm", "added", "sh", "-c", "stat -c '%a %u:%g %Y' /d/data.txt /checked.tar; cat /d/data.txt")
	want := "600 0:0 1577934245\n600 0:0 1577934245\ndownloaded\n"
	if out.stdout != want {
		t.Errorf("ADD URL: got %q, want %q", out.stdout, want)
	}
	if r := buildOK(t, e, "--network", "host", ctx); strings.Count(r.stderr, "CACHED") != 2 {
		t.Errorf("an unchanged download must be a cache hit:\n%s", r.stderr)
	}
	r := e.run("", "build", "--network", "none", "--no-cache", ctx)
	if r.code == 0 || !strings.Contains(r.stderr, "Dockerfile:2: ADD") || !strings.Contains(r.stderr, "cannot download with --network none") ||
		strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("ADD URL with --network none must fail before any step, in one line with the line and why: %s", r)
	}
	bad := buildContext(t, e, map[string]string{"Dockerfile": "FROM busybox\nADD --checksum=sha256:" + strings.Repeat("0", 64) + " " + srv.URL + "/files/data.txt /x\n"})
	if r := e.run("", "build", "--network", "host", bad); r.code == 0 || !strings.Contains(r.stderr, "digest mismatch") {
		t.Errorf("ADD --checksum with the wrong digest must fail: %s", r)
	}
}
