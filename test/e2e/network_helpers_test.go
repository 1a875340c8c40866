package e2e

import (
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rrun-project/rrun/plugins/testsuite/fixtures"
)

// privateModes are the private networks installed here; a test of each
// skips the ones that are missing (test/setup-host.sh installs both).
func privateModes(t *testing.T) []string {
	var modes []string
	for _, m := range []string{"pasta", "slirp4netns"} {
		if _, err := exec.LookPath(m); err == nil {
			modes = append(modes, m)
		}
	}
	if len(modes) == 0 {
		t.Skip("neither pasta nor slirp4netns is installed (test/setup-host.sh installs them)")
	}
	return modes
}

// freePort is a port nothing listens on at the moment of the call.
func freePort(t *testing.T, proto string) int {
	t.Helper()
	if proto == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// httpd is a busybox command line serving body on port 80.
func httpd(body string) []string {
	return []string{"busybox", "sh", "-c", "mkdir -p /www && echo " + body + " > /www/index.html && exec httpd -f -p 80 -h /www"}
}

// getUntil fetches http://127.0.0.1:port/ until it answers (a published
// port may answer before the server in the container listens).
func getUntil(t *testing.T, port int) string {
	t.Helper()
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/"
	deadline := time.Now().Add(15 * time.Second)
	client := http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := client.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return strings.TrimSpace(string(b))
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s never answered: %v", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// udpEcho sends msg to 127.0.0.1:port until the echo comes back.
func udpEcho(t *testing.T, port int, msg string) string {
	t.Helper()
	c, err := net.Dial("udp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 1500)
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, _ = c.Write([]byte(msg))
		_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		if n, err := c.Read(buf); err == nil {
			return string(buf[:n])
		}
		if time.Now().After(deadline) {
			t.Fatalf("no UDP echo from 127.0.0.1:%d", port)
		}
	}
}

var (
	udpEchoOnce sync.Once
	udpEchoBin  string
	udpEchoErr  error
)

// udpEchoDir builds testdata/udpecho (static) once, alone in a directory
// to bind-mount.
func udpEchoDir(t *testing.T) string {
	udpEchoOnce.Do(func() {
		udpEchoBin = filepath.Join(workDir, "udpecho", "udpecho")
		cmd := exec.Command("go", "build", "-o", udpEchoBin, "./test/e2e/testdata/udpecho")
		cmd.Dir, cmd.Env = repoRoot(), append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			udpEchoErr = &buildError{string(out), err}
		}
	})
	if udpEchoErr != nil {
		t.Fatal(udpEchoErr)
	}
	return filepath.Dir(udpEchoBin)
}

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return e.err.Error() + ": " + e.out }

// loadExposing loads busybox as example.com/web:1 with EXPOSE 80/tcp.
func loadExposing(t *testing.T, e *env) string {
	t.Helper()
	cfg := fixtures.BusyboxConfig()
	cfg.Config.ExposedPorts = map[string]struct{}{"80/tcp": {}}
	entries, err := fixtures.BusyboxEntries()
	if err != nil {
		t.Fatal(err)
	}
	img, err := fixtures.Image(cfg, entries)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(e.home, "web.tar")
	if err := fixtures.WriteDockerArchive(path, img, "example.com/web:1"); err != nil {
		t.Fatal(err)
	}
	e.ok("load", "-q", "-i", path)
	return "example.com/web:1"
}
