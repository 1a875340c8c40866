package e2e

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/rrun-project/rrun/plugins/testsuite/fixtures"
)

// busybox httpd in a detached container answers on 127.0.0.1:HOSTPORT
// through each private network; `rrun port` and inspect show the mapping.
func TestNetworkPublishTCP(t *testing.T) {
	e := withBusybox(t)
	for _, mode := range privateModes(t) {
		port := freePort(t, "tcp")
		id := e.detached(append([]string{"--network", mode, "-p", fmt.Sprintf("%d:80", port)}, httpd("hello-"+mode)...)...)
		if got := getUntil(t, port); got != "hello-"+mode {
			t.Fatalf("%s: GET answered %q", mode, got)
		}
		want := fmt.Sprintf("80/tcp -> 0.0.0.0:%d", port)
		if got := strings.TrimSpace(e.ok("port", id).stdout); got != want {
			t.Fatalf("%s: rrun port: want %q, got %q", mode, want, got)
		}
		if in := e.ok("inspect", id).stdout; !strings.Contains(in, `"HostPort": "`+strconv.Itoa(port)+`"`) {
			t.Fatalf("%s: inspect lacks NetworkSettings.Ports: %s", mode, in)
		}
		e.ok("rm", "-f", id)
	}
}

// A UDP echo server in the container answers through a published port.
func TestNetworkPublishUDP(t *testing.T) {
	e := withBusybox(t)
	dir := udpEchoDir(t)
	for _, mode := range privateModes(t) {
		if mode == "pasta" && !fixtures.HasSubUIDs() {
			t.Log("pasta: skipped without a subuid range: the Debian pasta (2023-03) drops replies to UDP from the host's loopback, and a single-uid session has no builtin port driver (docs/networking.md)")
			continue
		}
		port := freePort(t, "udp")
		id := e.detached("--network", mode, "-p", fmt.Sprintf("%d:90/udp", port), "-v", dir+":/ue:ro", "busybox", "/ue/udpecho", "90")
		e.waitLog(id, "listening")
		if got := udpEcho(t, port, "ping-"+mode); got != "ping-"+mode {
			t.Fatalf("%s: UDP echo %q", mode, got)
		}
		e.ok("rm", "-f", id)
	}
}

// -P publishes the image's EXPOSE ports on free host ports.
func TestNetworkPublishAll(t *testing.T) {
	e := withBusybox(t)
	image := loadExposing(t, e)
	id := e.detached("-P", image, "sh", "-c", "mkdir /www && echo exposed > /www/index.html && exec httpd -f -p 80 -h /www")
	line := strings.TrimSpace(e.ok("port", id).stdout)
	_, addr, ok := strings.Cut(line, "80/tcp -> ")
	if !ok {
		t.Fatalf("rrun port after -P: %q", line)
	}
	_, portStr, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portStr)
	if got := getUntil(t, port); got != "exposed" {
		t.Fatalf("-P: GET answered %q", got)
	}
	e.ok("rm", "-f", id)
}

// A host port something else holds fails with one line and exit 125, and
// no container is left running.
func TestNetworkPortTaken(t *testing.T) {
	e := withBusybox(t)
	privateModes(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	r := e.run("", "run", "-d", "--name", "taken", "-p", fmt.Sprintf("%d:80", port), "busybox", "sleep", "100")
	oneLine(t, r, "already in use")
	if ps := e.ok("ps", "-q").stdout; strings.TrimSpace(ps) != "" {
		t.Fatalf("no container may run after a taken port: %q", ps)
	}
	oneLine(t, e.run("", "run", "--rm", "-p", "80:99999", "busybox", "true"), "not a port number")
	oneLine(t, e.run("", "run", "--rm", "--network", "none", "-p", "8080:80", "busybox", "true"), "cannot publish ports")
}

// A sidecar with --network container:app reaches the app on 127.0.0.1.
func TestNetworkContainerShare(t *testing.T) {
	e := withBusybox(t)
	privateModes(t)
	id := e.detached(append([]string{"--name", "app"}, httpd("from-app")...)...)
	r := e.ok("run", "--rm", "--network", "container:app", "busybox", "sh", "-c",
		"for i in $(seq 100); do wget -qO- http://127.0.0.1:80/ && exit 0; sleep 0.1; done; exit 1")
	if strings.TrimSpace(r.stdout) != "from-app" {
		t.Fatalf("sidecar got %s", r)
	}
	e.ok("rm", "-f", id)
	oneLine(t, e.run("", "run", "--rm", "--network", "container:nosuch", "busybox", "true"), "nosuch")
}

// --network none has only lo.
func TestNetworkNoneOnlyLo(t *testing.T) {
	e := withBusybox(t)
	r := e.ok("run", "--rm", "--network", "none", "busybox", "sh", "-c", "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '")
	if strings.TrimSpace(r.stdout) != "lo" {
		t.Fatalf("--network none: %s", r)
	}
}

// /etc/hosts, /etc/resolv.conf and /etc/hostname of a private network;
// host.containers.internal reaches a server the test runs on 127.0.0.1.
func TestNetworkEtcFiles(t *testing.T) {
	e := withBusybox(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go serveOnce(l, "from-host")
	hostPort := l.Addr().(*net.TCPAddr).Port
	for _, mode := range privateModes(t) {
		r := e.ok("run", "--rm", "--network", mode, "--hostname", "box", "--add-host", "db:192.0.2.9", "--dns", "192.0.2.53",
			"busybox", "sh", "-c", "cat /etc/hosts /etc/resolv.conf /etc/hostname")
		for _, want := range []string{"127.0.0.1\tlocalhost", "10.0.2.100\tbox", "10.0.2.2\thost.containers.internal", "192.0.2.9\tdb", "nameserver 192.0.2.53\n", "\nbox\n"} {
			if !strings.Contains(r.stdout, want) {
				t.Fatalf("%s: want %q in:\n%s", mode, want, r.stdout)
			}
		}
		r = e.ok("run", "--rm", "--network", mode, "busybox", "sh", "-c", "cat /etc/resolv.conf")
		if !strings.Contains(r.stdout, "nameserver 10.0.2.3") {
			t.Fatalf("%s: resolv.conf: %s", mode, r.stdout)
		}
	}
	mode := privateModes(t)[0]
	r := e.ok("run", "--rm", "--network", mode, "busybox", "wget", "-qO-", fmt.Sprintf("http://host.containers.internal:%d/", hostPort))
	if strings.TrimSpace(r.stdout) != "from-host" {
		t.Fatalf("host.containers.internal: %s", r)
	}
}

// serveOnce answers HTTP requests on l with body until l closes.
func serveOnce(l net.Listener, body string) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		buf := make([]byte, 4096)
		_, _ = c.Read(buf)
		fmt.Fprintf(c, "HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s\n", len(body)+1, body)
		c.Close()
	}
}

// Without a subordinate range (single-uid session, no rootlesskit), rrun
// starts pasta or slirp4netns itself: published ports work the same.
func TestNetworkNoSubuidPublish(t *testing.T) {
	if fixtures.HasSubUIDs() {
		t.Skip("this user has a subuid range; make test runs this test as rrun-nosub, which has none")
	}
	e := newEnv(t)
	e.ok("load", "-q", "-i", busyboxDocker)
	for _, mode := range privateModes(t) {
		port := freePort(t, "tcp")
		id := e.detached(append([]string{"--network", mode, "-p", fmt.Sprintf("%d:80", port)}, httpd("single-"+mode)...)...)
		if got := getUntil(t, port); got != "single-"+mode {
			t.Fatalf("%s: GET answered %q", mode, got)
		}
		e.ok("rm", "-f", id)
	}
}
