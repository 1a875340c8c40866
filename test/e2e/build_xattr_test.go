package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestBuildKeepsXattrs: user.* xattrs survive COPY from the context, a RUN
// layer and COPY --from another stage, and security.capability (set in a
// RUN, as setcap does) survives COPY --from, with the overlay and the vfs
// storage backends.
func TestBuildKeepsXattrs(t *testing.T) {
	for _, driver := range []string{"overlay", "vfs"} {
		t.Run(driver, func(t *testing.T) {
			e := newEnv(t)
			e.vars = append(e.vars, "RRUN_STORAGE="+driver)
			e.ok("load", "-q", "-i", busyboxDocker)
			ctx := buildContext(t, e, map[string]string{"f": "context file", "Dockerfile": `FROM busybox AS first
COPY xattr /xattr
COPY f /f
RUN echo run > /r && /xattr set /r user.run made-by-run && cp /bin/busybox /ping && /xattr setcap /ping
FROM busybox
COPY --from=first /xattr /xattr
COPY --from=first /f /r /ping /
`})
			copyFileTo(t, filepath.Join(workDir, "xattr"), filepath.Join(ctx, "xattr"))
			if err := unix.Setxattr(filepath.Join(ctx, "f"), "user.ctx", []byte("from-context"), 0); err != nil {
				t.Fatalf("this test needs user xattrs on %s: %v", ctx, err)
			}
			buildOK(t, e, "-t", "xattrs", ctx)
			hex := func(s string) string {
				return strings.TrimSpace(e.ok("run", "--rm", "xattrs", "/xattr", "get", s, "user."+map[string]string{"/f": "ctx", "/r": "run"}[s]).stdout)
			}
			if got := hex("/f"); got != "66726f6d2d636f6e74657874" { // "from-context"
				t.Errorf("COPY lost user.ctx of a context file: %q", got)
			}
			if got := hex("/r"); got != "6d6164652d62792d72756e" { // "made-by-run"
				t.Errorf("a RUN layer or COPY --from lost user.run: %q", got)
			}
			if r := e.run("", "run", "--rm", "xattrs", "/xattr", "get", "/ping", "security.capability"); r.code != 0 || !strings.Contains(r.stdout, "00200000") {
				t.Errorf("COPY --from lost security.capability (cap_net_raw): %s", r)
			}
		})
	}
}

func copyFileTo(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o755); err != nil {
		t.Fatal(err)
	}
}
