package e2e

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// fields is s split into words, for comparing table lines whatever the padding.
func fields(s string) string { return strings.Join(strings.Fields(s), " ") }

// inspect -f and image inspect -f run docker's templates on docker-shaped
// JSON; a bare inspect resolves a container first, then an image; --type
// restricts it.
func TestCLIFormatInspectContainersAndImages(t *testing.T) {
	e := withBusybox(t)
	if r := e.run("", "run", "--name", "three", "-l", "team=a", "busybox", "sh", "-c", "exit 3"); r.code != 3 {
		t.Fatalf("run: %s", r)
	}
	cases := [][2]string{
		{"{{.State.ExitCode}}", "3"},
		{"{{.State.Status}} {{.State.Running}} {{.State.Paused}} {{.State.OOMKilled}} {{.State.Pid}}", "exited false false false 0"},
		{"{{.Name}} {{.Config.Image}} {{index .Config.Labels \"team\"}}", "/three busybox a"},
		{"{{upper .State.Status}} {{title .State.Status}} {{truncate .State.Status 2}}", "EXITED Exited ex"},
		{"{{json .Config.Labels}}", `{"team":"a"}`},
		{"{{join .Config.Cmd \",\"}}", "sh,-c,exit 3"},
	}
	for _, c := range cases {
		if got := strings.TrimSpace(e.ok("inspect", "-f", c[0], "three").stdout); got != c[1] {
			t.Errorf("inspect -f %s: got %q, want %q", c[0], got, c[1])
		}
	}
	if got := strings.TrimSpace(e.ok("container", "inspect", "--format", "{{.State.ExitCode}}", "three").stdout); got != "3" {
		t.Errorf("container inspect --format: %q", got)
	}
	img := e.ok("image", "inspect", "-f", "{{.Config.Env}}|{{json .RepoTags}}|{{.Os}}/{{.Architecture}}|{{.RootFS.Type}}", "busybox").stdout
	if !strings.Contains(img, "[PATH=") || !strings.Contains(img, `["docker.io/library/busybox:latest"]`) || !strings.Contains(img, "linux/") || !strings.Contains(img, "|layers") {
		t.Errorf("image inspect -f: %q", img)
	}
	id := strings.TrimSpace(e.ok("inspect", "-f", "{{.Id}}", "busybox").stdout)
	if !strings.HasPrefix(id, "sha256:") {
		t.Errorf("bare inspect of an image: %q", id)
	}
	both := e.ok("inspect", "--format", "{{.Id}}", "three", "busybox").stdout
	if lines := strings.Split(strings.TrimSpace(both), "\n"); len(lines) != 2 || len(lines[0]) != 64 || lines[1] != id {
		t.Errorf("inspect of a container and an image: %q", both)
	}
	if r := e.run("", "inspect", "--type", "container", "busybox"); r.code == 0 {
		t.Errorf("inspect --type container of an image must fail: %s", r)
	}
	if r := e.run("", "inspect", "nosuch"); r.code == 0 || !strings.Contains(r.stderr, "nosuch") {
		t.Errorf("inspect nosuch: %s", r)
	}
	var arr []map[string]any
	if err := json.Unmarshal([]byte(e.ok("inspect", "three").stdout), &arr); err != nil || len(arr) != 1 {
		t.Fatalf("inspect without --format must stay a JSON array: %v", err)
	}
	for _, k := range []string{"State", "Config", "HostConfig", "Mounts", "NetworkSettings"} {
		if _, ok := arr[0][k]; !ok {
			t.Errorf("inspect lacks %s", k)
		}
	}
}

// ps shows published ports (column and .Ports), --no-trunc, -n/-l, and
// docker's table directive; inspect has docker's port maps.
func TestCLIFormatPsPorts(t *testing.T) {
	e := withBusybox(t)
	modes := privateModes(t)
	port := freePort(t, "tcp")
	id := e.detached(append([]string{"--name", "web", "--network", modes[0], "-p", fmt.Sprintf("%d:80", port)}, httpd("hi")...)...)
	getUntil(t, port)
	want := fmt.Sprintf("0.0.0.0:%d->80/tcp", port)
	if got := strings.TrimSpace(e.ok("ps", "--format", "{{.Names}} {{.Ports}}").stdout); got != "web "+want {
		t.Errorf("ps --format .Ports: %q, want %q", got, "web "+want)
	}
	table := strings.Split(strings.TrimSpace(e.ok("ps").stdout), "\n")
	if len(table) != 2 || fields(table[0]) != "CONTAINER ID IMAGE COMMAND CREATED STATUS PORTS NAMES" || !strings.Contains(table[1], want) {
		t.Errorf("ps table: %q", table)
	}
	custom := strings.Split(strings.TrimSpace(e.ok("ps", "--format", `table {{.ID}}\t{{.Names}}\t{{.RunningFor}}`).stdout), "\n")
	if len(custom) != 2 || fields(custom[0]) != "CONTAINER ID NAMES CREATED" || !strings.HasPrefix(custom[1], id[:12]+"   web") {
		t.Errorf("ps --format table: %q", custom)
	}
	if got := strings.TrimSpace(e.ok("ps", "-q", "--no-trunc").stdout); got != id {
		t.Errorf("ps -q --no-trunc: %q", got)
	}
	pb := strings.TrimSpace(e.ok("inspect", "-f", "{{json .HostConfig.PortBindings}} {{json .NetworkSettings.Ports}}", "web").stdout)
	if wantPB := fmt.Sprintf(`{"80/tcp":[{"HostIp":"","HostPort":"%d"}]} {"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"%d"}]}`, port, port); pb != wantPB {
		t.Errorf("inspect port maps: %s, want %s", pb, wantPB)
	}
	e.ok("run", "--name", "later", "busybox", "true")
	if got := strings.TrimSpace(e.ok("ps", "-l", "--format", "{{.Names}}").stdout); got != "later" {
		t.Errorf("ps -l: %q", got)
	}
	if got := strings.TrimSpace(e.ok("ps", "-n", "2", "--format", "{{.Names}}").stdout); got != "later\nweb" {
		t.Errorf("ps -n 2: %q", got)
	}
	if got := e.ok("ps", "--format", "json").stdout; !strings.Contains(got, `"Names":"web"`) {
		t.Errorf("ps --format json: %q", got)
	}
}

// images, version, info and system df take docker's --format.
func TestCLIFormatImagesVersionInfoDf(t *testing.T) {
	e := withBusybox(t)
	if got := strings.TrimSpace(e.ok("images", "--format", "{{upper .Repository}}:{{.Tag}}").stdout); got != "DOCKER.IO/LIBRARY/BUSYBOX:latest" {
		t.Errorf("images --format: %q", got)
	}
	tbl := strings.Split(strings.TrimSpace(e.ok("images", "--format", `table {{.Repository}}\t{{.ID}}`).stdout), "\n")
	if len(tbl) != 2 || fields(tbl[0]) != "REPOSITORY IMAGE ID" {
		t.Errorf("images --format table: %q", tbl)
	}
	var row map[string]string
	if err := json.Unmarshal([]byte(e.ok("images", "--format", "json").stdout), &row); err != nil || row["Tag"] != "latest" {
		t.Errorf("images --format json: %v %v", err, row)
	}
	if got := strings.TrimSpace(e.ok("version", "--format", "{{.Client.Os}}").stdout); got != "linux" {
		t.Errorf("version --format: %q", got)
	}
	var v struct{ Client struct{ Version string } }
	if err := json.Unmarshal([]byte(e.ok("version", "-f", "json").stdout), &v); err != nil || v.Client.Version == "" {
		t.Errorf("version -f json: %v %+v", err, v)
	}
	if out := e.ok("version").stdout; !strings.HasPrefix(out, "Client:\n Version:") {
		t.Errorf("version: %q", out)
	}
	if got := strings.TrimSpace(e.ok("info", "--format", "{{.OSType}} {{.Rootless}}").stdout); got != "linux true" {
		t.Errorf("info --format: %q", got)
	}
	if got := e.ok("system", "df", "--format", "{{.Type}}:{{.TotalCount}}").stdout; !strings.Contains(got, "Images:1\n") {
		t.Errorf("system df --format: %q", got)
	}
	if r := e.run("", "ps", "--format", "{{.Nope"); r.code != 125 || !strings.Contains(r.stderr, "template") {
		t.Errorf("a bad template must fail with 125: %s", r)
	}
}

// volume create/ls/inspect/rm/prune behave as docker's local volumes.
func TestCLIVolumeVerbs(t *testing.T) {
	e := withBusybox(t)
	if got := strings.TrimSpace(e.ok("volume", "create", "data").stdout); got != "data" {
		t.Fatalf("volume create: %q", got)
	}
	e.ok("run", "--name", "user", "-v", "data:/d", "-v", "/anon", "busybox", "sh", "-c", "echo x > /d/f")
	ls := strings.Split(strings.TrimSpace(e.ok("volume", "ls").stdout), "\n")
	// The anonymous volume's name is random: "data" may sort before or after it.
	if len(ls) != 3 || fields(ls[0]) != "DRIVER VOLUME NAME" || !slices.Contains([]string{fields(ls[1]), fields(ls[2])}, "local data") {
		t.Errorf("volume ls: %q", ls)
	}
	mp := strings.TrimSpace(e.ok("volume", "inspect", "-f", "{{.Driver}} {{.Mountpoint}}", "data").stdout)
	if !strings.HasPrefix(mp, "local ") || !strings.HasSuffix(mp, "/volumes/data/_data") {
		t.Errorf("volume inspect -f: %q", mp)
	}
	if r := e.run("", "volume", "rm", "data"); r.code == 0 || !strings.Contains(r.stderr, "in use by container user") {
		t.Errorf("volume rm of a used volume: %s", r)
	}
	if got := strings.TrimSpace(e.ok("volume", "ls", "-q", "--filter", "dangling=true").stdout); got != "" {
		t.Errorf("no volume is dangling yet: %q", got)
	}
	e.ok("rm", "user")
	if r := e.run("n\n", "volume", "prune"); r.code != 0 || !strings.Contains(r.stdout, "Are you sure you want to continue? [y/N]") || strings.Contains(r.stdout, "Deleted") {
		t.Errorf("volume prune answered no: %s", r)
	}
	pr := e.ok("volume", "prune", "-f").stdout
	if !strings.HasPrefix(pr, "Deleted Volumes:\n") || !strings.Contains(pr, "Total reclaimed space:") || strings.Contains(pr, "data\n") {
		t.Errorf("volume prune -f must remove the anonymous volume only: %q", pr)
	}
	if got := strings.TrimSpace(e.ok("volume", "rm", "data").stdout); got != "data" {
		t.Errorf("volume rm: %q", got)
	}
	if got := strings.TrimSpace(e.ok("volume", "ls", "-q").stdout); got != "" {
		t.Errorf("volumes left: %q", got)
	}
}
