package network

import (
	"errors"
	"net"
	"testing"
)

func TestAllocate(t *testing.T) {
	ms, err := Allocate([]Mapping{{HostIP: "127.0.0.1", ContainerPort: 80, Proto: "tcp"}, {HostIP: "127.0.0.1", ContainerPort: 53, Proto: "udp"}})
	if err != nil || ms[0].HostPort == 0 || ms[1].HostPort == 0 {
		t.Fatalf("free ports must be picked: %+v %v", ms, err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	_, err = Allocate([]Mapping{{HostPort: port, ContainerPort: 80, Proto: "tcp"}})
	var taken *PortTakenError
	if !errors.As(err, &taken) {
		t.Fatalf("a taken port must be a PortTakenError: %v", err)
	}
}
