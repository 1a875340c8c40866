package network

import (
	"net"
	"strconv"
	"testing"
)

// FuzzParsePublish checks what an accepted -p value means: ports in
// 1..65535 (host 0: any), a host range as long as the container range,
// tcp or udp, an IP address or none, and each mapping written back as
// -p parses to itself.
func FuzzParsePublish(f *testing.F) {
	for _, s := range []string{"80", "8080:80", "127.0.0.1:8080:80/udp", "127.0.0.1::80", "[::1]:8080:80",
		"8000-8001:80-81", "80-81/tcp", "[fe80::1%eth0]:1:2", "0:80", "65535:65535", "1-3:1-2", "+80", "::80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ms, err := ParsePublish(s)
		if err != nil {
			return
		}
		if len(ms) == 0 {
			t.Fatalf("%q: accepted with no mapping", s)
		}
		for i, m := range ms {
			checkMapping(t, s, m)
			if m.Proto != ms[0].Proto || m.HostIP != ms[0].HostIP || m.ContainerPort != ms[0].ContainerPort+i {
				t.Fatalf("%q: mapping %d %+v is not the next of %+v", s, i, m, ms[0])
			}
			if (m.HostPort == 0) != (ms[0].HostPort == 0) || (m.HostPort != 0 && m.HostPort != ms[0].HostPort+i) {
				t.Fatalf("%q: host port %d of mapping %d does not follow %d", s, m.HostPort, i, ms[0].HostPort)
			}
			if i > 0 && i < len(ms)-1 {
				continue // a long range: the ends are enough to write back
			}
			again, err := ParsePublish(publishValue(m))
			if err != nil || len(again) != 1 || again[0] != m {
				t.Fatalf("%q: mapping %+v written as %q parses to %+v, %v", s, m, publishValue(m), again, err)
			}
		}
	})
}

func checkMapping(t *testing.T, s string, m Mapping) {
	t.Helper()
	if m.ContainerPort < 1 || m.ContainerPort > 65535 || m.HostPort < 0 || m.HostPort > 65535 {
		t.Fatalf("%q: port out of range in %+v", s, m)
	}
	if m.Proto != "tcp" && m.Proto != "udp" {
		t.Fatalf("%q: protocol %q", s, m.Proto)
	}
	if m.HostIP != "" && net.ParseIP(m.HostIP) == nil {
		t.Fatalf("%q: host IP %q is not an IP address", s, m.HostIP)
	}
}

// publishValue writes m as a -p value.
func publishValue(m Mapping) string {
	host := ""
	if m.HostPort != 0 {
		host = strconv.Itoa(m.HostPort)
	}
	v := host + ":" + strconv.Itoa(m.ContainerPort) + "/" + m.Proto
	switch {
	case m.HostIP != "":
		return "[" + m.HostIP + "]:" + v
	case host == "":
		return strconv.Itoa(m.ContainerPort) + "/" + m.Proto
	}
	return v
}
