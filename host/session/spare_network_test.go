package session

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A spare network is used only while what pasta read at its start still
// holds: younger than spareMaxAge and than the host's resolv.conf.
func TestSpareNetworkStaleness(t *testing.T) {
	hostResolvConf = filepath.Join(t.TempDir(), "resolv.conf")
	t.Cleanup(func() { hostResolvConf = "/etc/resolv.conf" })
	if err := os.WriteFile(hostResolvConf, []byte("nameserver 192.0.2.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	older := time.Now().Add(-10 * time.Second)
	if err := os.Chtimes(hostResolvConf, older, older); err != nil {
		t.Fatal(err)
	}
	n := &startedNetwork{started: time.Now()}
	if n.stale() {
		t.Fatal("a spare made after the last change of resolv.conf is stale")
	}
	if err := os.Chtimes(hostResolvConf, time.Now().Add(time.Second), time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if !n.stale() {
		t.Fatal("a spare made before resolv.conf changed is not stale")
	}
	if !(&startedNetwork{started: time.Now().Add(-spareMaxAge - time.Second)}).stale() {
		t.Fatal("a spare older than spareMaxAge is not stale")
	}
}
