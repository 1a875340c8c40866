// Package layering proves DESIGN.md's import rules by reading imports with
// go list: plugins never import host, storage never imports isolation code,
// and plugins/api imports nothing else of rrun but its generated code.
package layering

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/rrun-project/rrun/"

// imports maps every package of the module to the module packages it
// imports (directly or not).
func imports(t *testing.T) map[string][]string {
	tags := strings.TrimSpace(string(run(t, "make", "-s", "-C", "../..", "print-tags")))
	out := run(t, "go", "list", "-tags", tags, "-deps=false", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, module+"...")
	m := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		for _, d := range f[1:] {
			if strings.HasPrefix(d, module) {
				m[f[0]] = append(m[f[0]], d)
			}
		}
		if _, ok := m[f[0]]; !ok {
			m[f[0]] = nil
		}
	}
	return m
}

func run(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return out
}

func TestLayering(t *testing.T) {
	rules := []struct {
		from, forbidden string
	}{
		{module + "plugins/", module + "host/"},
		{module + "plugins/", module + "cmd/"},
		{module + "storage", module + "plugins/isolation/"},
		{module + "host/", module + "storage"},
		{module + "host/", module + "plugins/storage/"},
		{module + "host/", module + "plugins/isolation/"},
		{module + "plugins/api", module + "plugins/storage"},
		{module + "plugins/api", module + "plugins/isolation"},
		{module + "plugins/examples/", module + "storage"},
		// The SDK a third party needs is plugins/api + plugins/testsuite.
		{module + "plugins/testsuite", module + "test/"},
		{module + "plugins/testsuite", module + "storage"},
		{module + "plugins/testsuite", module + "plugins/storage/"},
		{module + "plugins/testsuite", module + "plugins/isolation/"},
	}
	pkgs := imports(t)
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	for pkg, deps := range pkgs {
		for _, r := range rules {
			if !strings.HasPrefix(pkg, r.from) {
				continue
			}
			for _, d := range deps {
				if strings.HasPrefix(d, r.forbidden) {
					t.Errorf("%s imports %s, which DESIGN.md forbids", pkg, d)
				}
			}
		}
	}
}
