package e2e

import (
	"strings"
	"testing"
)

// TestBuildCommonInstructions builds one image with the common
// instructions and checks its files, config and the run of it.
func TestBuildCommonInstructions(t *testing.T) {
	e := withBusybox(t)
	ctx := buildContext(t, e, map[string]string{
		"Dockerfile": `FROM busybox
ARG GREETING=hello
ENV APP=/app PATH=/app/bin:$PATH
LABEL org.example.v=1 maintainer=me
WORKDIR $APP
COPY --chmod=0755 hello.sh bin/
COPY data/ ./data/
RUN echo "$GREETING from $(pwd)" > greeting && echo u:x:1000:1000::/:/bin/sh >> /etc/passwd
RUN ["sh", "-c", "echo exec form > exec"]
USER u
EXPOSE 8080 53/udp
VOLUME /cache
STOPSIGNAL SIGTERM
ENTRYPOINT ["hello.sh"]
CMD ["world"]
`,
		"hello.sh":   "#!/bin/sh\necho \"hi $1 $(cat /app/greeting) $(id -un)\"\n",
		"data/a.txt": "A",
		"data/b.txt": "B",
	})
	r := buildOK(t, e, "-t", "example.com/common:1", "--build-arg", "GREETING=howdy", "--label", "team=ci", ctx)
	if !strings.Contains(r.stderr, "RUN echo") || !strings.Contains(r.stderr, "writing image sha256:") {
		t.Errorf("build output lacks the step lines or the image id:\n%s", r.stderr)
	}
	out := e.ok("run", "--rm", "example.com/common:1")
	if want := "hi world howdy from /app u\n"; out.stdout != want {
		t.Errorf("run of the built image printed %q, want %q", out.stdout, want)
	}
	files := e.ok("run", "--rm", "--entrypoint", "cat", "example.com/common:1", "/app/data/a.txt", "/app/data/b.txt", "/app/exec")
	if files.stdout != "ABexec form\n" {
		t.Errorf("copied files: %q", files.stdout)
	}
	cfg := inspectImage(t, e, "example.com/common:1")
	if cfg.Config.WorkingDir != "/app" || cfg.Config.User != "u" || cfg.Config.StopSignal != "SIGTERM" ||
		cfg.Config.Labels["org.example.v"] != "1" || cfg.Config.Labels["team"] != "ci" || cfg.Config.ExposedPorts["53/udp"] == nil {
		t.Errorf("config: %+v", cfg.Config)
	}
}

// TestBuildFailingRunLeavesNothing: a failing RUN exits non-zero with the
// command, its exit code and its last lines, and leaves no image.
func TestBuildFailingRunLeavesNothing(t *testing.T) {
	e := withBusybox(t)
	ctx := buildContext(t, e, map[string]string{"Dockerfile": "FROM busybox\nRUN echo about to fail; exit 3\n"})
	r := e.run("", "build", "--network", "none", "-t", "broken", ctx)
	if r.code == 0 || !strings.Contains(r.stderr, "exit code: 3") || !strings.Contains(r.stderr, "about to fail") {
		t.Fatalf("a failing RUN must fail the build with its code and output: %s", r)
	}
	if imgs := e.ok("images", "-q"); len(strings.Fields(imgs.stdout)) != 1 {
		t.Errorf("a failed build left an image: %s", imgs.stdout)
	}
}

// TestBuildCacheAndInvalidation: a rebuild reuses every step; changing
// one copied file rebuilds from its COPY on; --no-cache runs everything.
func TestBuildCacheAndInvalidation(t *testing.T) {
	e := withBusybox(t)
	ctx := buildContext(t, e, map[string]string{
		"Dockerfile": "FROM busybox\nRUN echo one > /one\nCOPY a.txt /a.txt\nRUN cat /a.txt > /copy\n",
		"a.txt":      "1",
	})
	first := buildOK(t, e, "-q", ctx)
	second := buildOK(t, e, ctx)
	if strings.Count(second.stderr, "CACHED") != 3 {
		t.Errorf("a rebuild must reuse the three steps:\n%s", second.stderr)
	}
	if !strings.Contains(second.stderr, strings.TrimSpace(strings.TrimPrefix(first.stdout, "sha256:"))) {
		t.Errorf("a fully cached rebuild must make the same image %s:\n%s", first.stdout, second.stderr)
	}
	writeFile(t, ctx+"/a.txt", "2")
	third := buildOK(t, e, "-t", "cached", ctx)
	if strings.Count(third.stderr, "CACHED") != 1 {
		t.Errorf("after a change only the first RUN is cached:\n%s", third.stderr)
	}
	if out := e.ok("run", "--rm", "cached", "cat", "/copy"); out.stdout != "2" {
		t.Errorf("the rebuilt image has %q, want 2", out.stdout)
	}
	fourth := buildOK(t, e, "--no-cache", ctx)
	if strings.Contains(fourth.stderr, "CACHED") {
		t.Errorf("--no-cache must run every step:\n%s", fourth.stderr)
	}
	e.ok("rmi", "cached")
	e.ok("builder", "prune", "-f")
	if r := buildOK(t, e, ctx); strings.Contains(r.stderr, "CACHED") {
		t.Errorf("builder prune must reclaim the cache:\n%s", r.stderr)
	}
}

// TestBuilderPruneKeepsUnnamedImages: `builder prune` reclaims only the
// build cache (docker's semantics): an unnamed image made by a build stays
// and runs, the next build runs every step again; `image prune` then
// removes the unnamed image.
func TestBuilderPruneKeepsUnnamedImages(t *testing.T) {
	e := withBusybox(t)
	ctx := buildContext(t, e, map[string]string{"Dockerfile": "FROM busybox\nRUN echo one > /one\n"})
	id := strings.TrimSpace(buildOK(t, e, "-q", ctx).stdout)
	e.ok("builder", "prune", "-f")
	if out := e.ok("run", "--rm", id, "cat", "/one"); out.stdout != "one\n" {
		t.Errorf("the unnamed image after builder prune has %q", out.stdout)
	}
	if r := buildOK(t, e, ctx); strings.Contains(r.stderr, "CACHED") {
		t.Errorf("builder prune must reclaim the cache:\n%s", r.stderr)
	}
	e.ok("image", "prune", "-f")
	if r := e.run("", "image", "inspect", id); r.code == 0 {
		t.Errorf("image prune must remove the unnamed image %s", id)
	}
}
