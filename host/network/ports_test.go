package network

import (
	"reflect"
	"strings"
	"testing"
)

func TestParsePublish(t *testing.T) {
	cases := []struct {
		in   string
		want []Mapping
	}{
		{"80", []Mapping{{ContainerPort: 80, Proto: "tcp"}}},
		{"8080:80", []Mapping{{HostPort: 8080, ContainerPort: 80, Proto: "tcp"}}},
		{"127.0.0.1:8080:80/udp", []Mapping{{HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 80, Proto: "udp"}}},
		{"127.0.0.1::80", []Mapping{{HostIP: "127.0.0.1", ContainerPort: 80, Proto: "tcp"}}},
		{"[::1]:8080:80", []Mapping{{HostIP: "::1", HostPort: 8080, ContainerPort: 80, Proto: "tcp"}}},
		{"8000-8001:80-81", []Mapping{{HostPort: 8000, ContainerPort: 80, Proto: "tcp"}, {HostPort: 8001, ContainerPort: 81, Proto: "tcp"}}},
	}
	for _, c := range cases {
		got, err := ParsePublish(c.in)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParsePublish(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "0", "70000", "a:80", "8000-8002:80-81", "80/sctp", "1:2:3:4", "x.y:80:80", "90-80"} {
		if _, err := ParsePublish(bad); err == nil {
			t.Errorf("ParsePublish(%q) must fail", bad)
		}
	}
}

func TestMappingString(t *testing.T) {
	m := Mapping{HostPort: 8080, ContainerPort: 80, Proto: "tcp"}
	if m.String() != "80/tcp -> 0.0.0.0:8080" {
		t.Fatalf("got %q", m)
	}
}

func TestParseAddHost(t *testing.T) {
	if n, ip, err := ParseAddHost("db:10.1.2.3"); err != nil || n != "db" || ip != "10.1.2.3" {
		t.Fatalf("got %s %s %v", n, ip, err)
	}
	if _, ip, err := ParseAddHost("v6=[::1]"); err != nil || ip != "::1" {
		t.Fatalf("got %s %v", ip, err)
	}
	for _, bad := range []string{"db", ":1.2.3.4", "db:nothost"} {
		if _, _, err := ParseAddHost(bad); err == nil {
			t.Errorf("ParseAddHost(%q) must fail", bad)
		}
	}
}

func TestEtcFiles(t *testing.T) {
	p := &Plan{Mode: ModeSlirp4netns}
	hosts, err := p.Hosts("box", []string{"db:192.0.2.9", "gw:host-gateway"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"10.0.2.100\tbox\n", "10.0.2.2\thost.containers.internal", "192.0.2.9\tdb\n", "10.0.2.2\tgw\n"} {
		if !strings.Contains(string(hosts), want) {
			t.Errorf("hosts lacks %q:\n%s", want, hosts)
		}
	}
	host := []byte("nameserver 127.0.0.53\nsearch example.com\n")
	if got := string(p.ResolvConf(host, nil)); got != "nameserver 10.0.2.3\nsearch example.com\n" {
		t.Errorf("private resolv.conf: %q", got)
	}
	if got := string((&Plan{Mode: ModeHost}).ResolvConf(host, []string{"1.1.1.1"})); got != "nameserver 1.1.1.1\nsearch example.com\n" {
		t.Errorf("--dns: %q", got)
	}
	none := &Plan{Mode: ModeNone}
	if _, err := none.Hosts("box", []string{"gw:host-gateway"}); err == nil {
		t.Error("host-gateway without a way to the host must fail")
	}
	shared := &Plan{Mode: ModeContainer, Shares: ModePasta}
	if h, _ := shared.Hosts("side", nil); !strings.Contains(string(h), "10.0.2.2\thost.containers.internal") {
		t.Errorf("container: takes the shared network's addresses:\n%s", h)
	}
}

func TestPastaArgsPublish(t *testing.T) {
	args := strings.Join(pastaArgs([]Mapping{
		{HostPort: 8080, ContainerPort: 80, Proto: "tcp"},
		{HostIP: "127.0.0.1", HostPort: 5353, ContainerPort: 53, Proto: "udp"},
	}, "/run/p.pid", 42), " ")
	for _, want := range []string{"-t 8080:80", "-u 127.0.0.1/5353:53", "--pid /run/p.pid", "-T none", " 42"} {
		if !strings.Contains(args, want) {
			t.Errorf("pasta args lack %q: %s", want, args)
		}
	}
	if strings.Contains(args, "-t none") || strings.Contains(args, "-u none") {
		t.Errorf("published ports must not also say none: %s", args)
	}
}

func TestParseMode(t *testing.T) {
	if m, target, err := Parse("container:app"); err != nil || m != ModeContainer || target != "app" {
		t.Fatalf("got %s %s %v", m, target, err)
	}
	for _, bad := range []string{"bridge", "container:", "slirp"} {
		if _, _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) must fail", bad)
		}
	}
}
