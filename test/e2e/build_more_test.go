package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommitAndHistory: rrun commit makes an image of a changed
// container, with --change and -m; rrun history shows its steps.
func TestCommitAndHistory(t *testing.T) {
	e := withBusybox(t)
	e.ok("run", "--name", "c1", "busybox", "sh", "-c", "echo changed > /changed")
	r := e.ok("commit", "--change", `CMD ["cat", "/changed"]`, "--change", "ENV K=v", "-m", "my message", "--author", "me", "c1", "committed:1")
	if !strings.HasPrefix(r.stdout, "sha256:") {
		t.Fatalf("commit must print the image id: %s", r)
	}
	if out := e.ok("run", "--rm", "committed:1"); out.stdout != "changed\n" {
		t.Errorf("the committed image runs %q", out.stdout)
	}
	if out := e.ok("run", "--rm", "committed:1", "sh", "-c", "echo $K"); out.stdout != "v\n" {
		t.Errorf("--change ENV: %q", out.stdout)
	}
	h := e.ok("history", "committed:1")
	if !strings.Contains(h.stdout, "my message") || !strings.HasPrefix(h.stdout, "IMAGE") {
		t.Errorf("history lacks the commit:\n%s", h.stdout)
	}
	f := e.ok("history", "--no-trunc", "--format", "{{.CreatedBy}}|{{.Size}}", "committed:1")
	if !strings.Contains(f.stdout, "echo changed > /changed|") {
		t.Errorf("history --format --no-trunc:\n%s", f.stdout)
	}
}

// TestBuildHistoryAndMetadata: history entries are docker's, ONBUILD is
// stored and triggered, HEALTHCHECK is kept, -q and --iidfile print the id.
func TestBuildHistoryAndMetadata(t *testing.T) {
	e := withBusybox(t)
	parent := buildContext(t, e, map[string]string{"Dockerfile": `FROM busybox
HEALTHCHECK --interval=5s CMD true
ONBUILD RUN echo triggered > /onbuild
ENV A=1
`})
	buildOK(t, e, "-t", "parent", parent)
	child := buildContext(t, e, map[string]string{"Dockerfile": "FROM parent\nRUN cat /onbuild\n"})
	iid := filepath.Join(e.home, "iid")
	r := buildOK(t, e, "-q", "--iidfile", iid, "-t", "child", child)
	id := strings.TrimSpace(r.stdout)
	if data, _ := os.ReadFile(iid); string(data) != id || !strings.HasPrefix(id, "sha256:") {
		t.Errorf("-q printed %q, --iidfile holds %q", id, data)
	}
	if out := e.ok("run", "--rm", "child", "cat", "/onbuild"); out.stdout != "triggered\n" {
		t.Errorf("ONBUILD trigger did not run: %q", out.stdout)
	}
	if insp := inspectImage(t, e, "parent"); insp.Config.Healthcheck == nil {
		t.Errorf("HEALTHCHECK is not in the image config: %+v", insp.Config)
	}
	h := e.ok("history", "--no-trunc", "--format", "{{.CreatedBy}}", "parent")
	for _, want := range []string{"ENV A=1", "ONBUILD RUN echo triggered > /onbuild", "HEALTHCHECK"} {
		if !strings.Contains(h.stdout, want) {
			t.Errorf("history lacks %q:\n%s", want, h.stdout)
		}
	}
}

// TestBuildAddTarHeredocSecretCache covers ADD's local tar extraction,
// RUN and COPY heredocs, RUN --mount=type=secret and type=cache.
func TestBuildAddTarHeredocSecretCache(t *testing.T) {
	e := withBusybox(t)
	ctx := buildContext(t, e, map[string]string{"Dockerfile": `# syntax=docker/dockerfile:1
FROM busybox
ADD files.tar /unpacked/
COPY <<EOF /heredoc.txt
from a heredoc
EOF
RUN <<EOF
echo run heredoc > /run-heredoc
EOF
RUN --mount=type=secret,id=tok cat /run/secrets/tok > /secret-seen
RUN --mount=type=cache,target=/cache echo cached >> /cache/log && cat /cache/log > /cache-seen
`})
	writeTar(t, filepath.Join(ctx, "files.tar"), map[string]string{"a/b.txt": "in tar"})
	secret := filepath.Join(e.home, "token")
	writeFile(t, secret, "tok-value")
	buildOK(t, e, "-t", "misc", "--secret", "id=tok,src="+secret, ctx)
	out := e.ok("run", "--rm", "misc", "sh", "-c", "cat /unpacked/a/b.txt /heredoc.txt /run-heredoc /secret-seen; test -e /run/secrets/tok || echo none")
	if out.stdout != "in tarfrom a heredoc\nrun heredoc\ntok-valuenone\n" {
		t.Errorf("got %q", out.stdout)
	}
}

// TestBuildStdinAndParseErrors: a Dockerfile on stdin (no context) and a
// context tar on stdin build; a bad instruction fails with file and line
// before any step runs.
func TestBuildStdinAndParseErrors(t *testing.T) {
	e := withBusybox(t)
	r := e.run("FROM busybox\nRUN echo from-stdin > /f\n", "build", "--network", "none", "-t", "stdin1", "-")
	if r.code != 0 {
		t.Fatalf("Dockerfile on stdin: %s", r)
	}
	if out := e.ok("run", "--rm", "stdin1", "cat", "/f"); out.stdout != "from-stdin\n" {
		t.Errorf("stdin build: %q", out.stdout)
	}
	ctx := buildContext(t, e, nil)
	tarPath := filepath.Join(ctx, "ctx.tar")
	writeTar(t, tarPath, map[string]string{"Dockerfile": "FROM busybox\nCOPY a.txt /a.txt\n", "a.txt": "from tar"})
	data, err := os.ReadFile(tarPath)
	if err != nil {
		t.Fatal(err)
	}
	if r := e.run(string(data), "build", "--network", "none", "-t", "stdin2", "-"); r.code != 0 {
		t.Fatalf("context tar on stdin: %s", r)
	}
	if out := e.ok("run", "--rm", "stdin2", "cat", "/a.txt"); out.stdout != "from tar" {
		t.Errorf("tar context build: %q", out.stdout)
	}
	bad := buildContext(t, e, map[string]string{"Dockerfile": "FROM busybox\nRUN echo should-not-run\nFROBNICATE x\n"})
	r = e.run("", "build", "--network", "none", bad)
	if r.code == 0 || !strings.Contains(r.stderr, "Dockerfile:3") || strings.Contains(r.stderr, "should-not-run") {
		t.Errorf("an unknown instruction must fail with file:line before any step: %s", r)
	}
	if r := e.run("", "build", "--network", "none", "--target", "nope", bad); r.code == 0 {
		t.Errorf("an unknown --target must fail: %s", r)
	}
}

// TestBuildRefusedWithoutCommitCapability: the example storage plugin
// has no storage.commit; rrun build says so before any step.
func TestBuildRefusedWithoutCommitCapability(t *testing.T) {
	e := newEnv(t)
	e.vars = append(e.vars, "RRUN_EXAMPLE_ROOTFS="+exampleRootfs)
	ctx := buildContext(t, e, map[string]string{"Dockerfile": "FROM example/rootfs\nRUN echo should-not-run\n"})
	r := e.run("", "--storage", "rootfsdir", "build", "--network", "none", ctx)
	if r.code != 125 || !strings.Contains(r.stderr, "storage.commit") || strings.Contains(r.stderr, "should-not-run") {
		t.Errorf("a build on a plugin without storage.commit must fail naming it: %s", r)
	}
}

// TestBuildHeredocShebang: a RUN heredoc whose first line is a shebang
// runs with that interpreter, from a file (BuildKit's /dev/pipes/NAME),
// not through SHELL; the file is not left in the image; a change of the
// text is a cache miss.
func TestBuildHeredocShebang(t *testing.T) {
	e := withBusybox(t)
	df := "FROM busybox\nRUN <<EOF\n#!/bin/sh -e\necho \"script: $0\" > /shebang\nEOF\n" +
		"RUN <<AWK\n#!/bin/awk -f\nBEGIN { print \"awk ran\" > \"/awk\" }\nAWK\n"
	ctx := buildContext(t, e, map[string]string{"Dockerfile": df})
	buildOK(t, e, "-t", "shebang", ctx)
	out := e.ok("run", "--rm", "shebang", "sh", "-c", "cat /shebang /awk; ls /dev/pipes 2>&1 | grep -c EOF; true")
	if out.stdout != "script: /dev/pipes/EOF\nawk ran\n0\n" {
		t.Errorf("a shebang heredoc must run as a file with its interpreter; got %q", out.stdout)
	}
	writeFile(t, filepath.Join(ctx, "Dockerfile"), strings.Replace(df, "awk ran", "awk ran again", 1))
	if r := buildOK(t, e, "-t", "shebang", ctx); strings.Count(r.stderr, "CACHED") != 1 {
		t.Errorf("a changed heredoc must run again (only the first RUN cached):\n%s", r.stderr)
	}
}
