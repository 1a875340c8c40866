package e2e

import (
	"log"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
)

// testRegistry is go-containerregistry's registry served on 127.0.0.1 by
// this process. Blobs of repositories named "corrupt/..." are served with a
// flipped byte (their digest no longer matches), and a blob request of a
// repository named "stall/..." is answered with half its bytes and then
// held until release is closed (then served whole).
type testRegistry struct {
	*httptest.Server
	host     string
	stalled  chan struct{} // closed when a stalled blob request has started
	release  chan struct{}
	stallOne sync.Once
}

func newRegistry(t *testing.T) *testRegistry {
	t.Helper()
	r := &testRegistry{stalled: make(chan struct{}), release: make(chan struct{})}
	inner := registry.New(registry.Logger(discardLogger()))
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.serve(inner, w, req)
	}))
	r.host = strings.TrimPrefix(r.URL, "http://")
	t.Cleanup(func() {
		r.stallOne.Do(func() { close(r.stalled) })
		if !closed(r.release) {
			close(r.release)
		}
		r.Close()
	})
	return r
}

func (r *testRegistry) serve(inner http.Handler, w http.ResponseWriter, req *http.Request) {
	isBlob := req.Method == http.MethodGet && strings.Contains(req.URL.Path, "/blobs/")
	switch {
	case isBlob && strings.HasPrefix(req.URL.Path, "/v2/corrupt/"):
		rec := httptest.NewRecorder()
		inner.ServeHTTP(rec, req)
		body := rec.Body.Bytes()
		if len(body) > 100 {
			body[len(body)/2] ^= 0xff
		}
		copyHeader(w, rec)
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	case isBlob && strings.HasPrefix(req.URL.Path, "/v2/stall/") && !closed(r.release):
		rec := httptest.NewRecorder()
		inner.ServeHTTP(rec, req)
		body := rec.Body.Bytes()
		copyHeader(w, rec)
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body[:len(body)/2])
		w.(http.Flusher).Flush()
		r.stallOne.Do(func() { close(r.stalled) })
		<-r.release
	default:
		inner.ServeHTTP(w, req)
	}
}

func copyHeader(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
}

// ref names repo:tag in this registry.
func (r *testRegistry) ref(repoTag string) string { return r.host + "/" + repoTag }

// push loads busybox into e and pushes it to the registry as repoTag,
// returning the reference and the manifest digest.
func (r *testRegistry) push(t *testing.T, e *env, repoTag string) (string, string) {
	t.Helper()
	ref := r.ref(repoTag)
	e.ok("tag", "busybox", ref)
	out := e.ok("push", "--tls-verify=false", ref).stdout
	digest := strings.TrimSpace(strings.TrimPrefix(lastLine(out), "digest: "))
	if !strings.HasPrefix(digest, "sha256:") {
		t.Fatalf("push printed no digest: %q", out)
	}
	return ref, digest
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// discardLogger keeps the registry's request log out of test output.
func discardLogger() *log.Logger { return log.New(discardWriter{}, "", 0) }

type discardWriter struct{}

func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }

// start starts rrun in its own process group (so a test can kill the
// whole tree) without waiting for it.
func (e *env) start(args ...string) *exec.Cmd {
	e.t.Helper()
	cmd := exec.Command(rrunBin, args...)
	cmd.Env = e.vars
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		e.t.Fatalf("start rrun %v: %v", args, err)
	}
	return cmd
}

func closed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
