package e2e

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// login checks the credentials with the registry and stores them in the
// auth.json that pull and push read; logout removes them.
func TestCLILoginLogout(t *testing.T) {
	e := newEnv(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); ok && u == "ci" && p == "s3cret" {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	if r := e.run("wrong\n", "login", "--tls-verify=false", "-u", "ci", "--password-stdin", host); r.code == 0 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Fatalf("login with a wrong password must fail in one line: %s", r)
	}
	r := e.run("s3cret\n", "login", "--tls-verify=false", "-u", "ci", "--password-stdin", host)
	if r.code != 0 || strings.TrimSpace(r.stdout) != "Login Succeeded" {
		t.Fatalf("login: %s", r)
	}
	auth := filepath.Join(e.home, "run", "containers", "auth.json")
	data, err := os.ReadFile(auth)
	if err != nil || !strings.Contains(string(data), host) || !strings.Contains(string(data), "Y2k6czNjcmV0") { // base64("ci:s3cret")
		t.Fatalf("auth.json after login: %v %s", err, data)
	}
	if r := e.ok("logout", host); strings.TrimSpace(r.stdout) != "Removing login credentials for "+host {
		t.Fatalf("logout: %s", r)
	}
	if data, _ := os.ReadFile(auth); strings.Contains(string(data), host) {
		t.Fatalf("logout left the credentials: %s", data)
	}
}
