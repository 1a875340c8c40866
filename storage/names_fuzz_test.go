package storage

import (
	"testing"

	"go.podman.io/image/v5/docker/reference"
)

// FuzzImageReference checks image names as rrun normalizes them (pull,
// push, tag): an accepted reference is fully qualified, carries a tag or a
// digest, reads the same with a docker:// prefix, and normalizes to
// itself; a name taken from an OCI archive's annotation holds the same.
func FuzzImageReference(f *testing.F) {
	for _, s := range []string{"busybox", "library/busybox:1.36", "docker.io/library/busybox:latest", "localhost:5000/a/b:c",
		"quay.io/x/y@sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "docker://alpine",
		"UPPER/case", "a:b:c", "[::1]:5000/x", "x@sha256:short", "latest", "ghcr.io/o/r:t@sha256:" +
			"fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n := ociRefName(s); n != nil {
			checkNormalized(t, s, n)
		}
		n, err := parseRegistryRef(s)
		if err != nil {
			if _, err2 := parseRegistryRef("docker://" + s); err2 == nil && s != "" {
				t.Fatalf("%q refused (%v), but docker://%s accepted", s, err, s)
			}
			return
		}
		checkNormalized(t, s, n)
		if p, err := parseRegistryRef(trimTransport(s)); err != nil || p.String() != n.String() {
			t.Fatalf("%q without docker:// is %v, %v; with it %s", s, p, err, n)
		}
		if s != trimTransport(s) {
			return
		}
		if p, err := parseRegistryRef("docker://" + s); err != nil || p.String() != n.String() {
			t.Fatalf("docker://%s is %v, %v; %q is %s", s, p, err, s, n)
		}
	})
}

// checkNormalized fails t unless n (read from s) is a fully qualified
// name with a tag or digest that reads back as itself.
func checkNormalized(t *testing.T, s string, n reference.Named) {
	t.Helper()
	_, tagged := n.(reference.Tagged)
	_, digested := n.(reference.Digested)
	if reference.Domain(n) == "" || !(tagged || digested) {
		t.Fatalf("%q: %s has no registry, or neither tag nor digest", s, n)
	}
	again, err := parseRegistryRef(n.String())
	if err != nil || again.String() != n.String() {
		t.Fatalf("%q: normalized %s reads back as %v, %v", s, n, again, err)
	}
	if full, err := reference.ParseNamed(n.String()); err != nil || full.String() != n.String() {
		t.Fatalf("%q: %s is not a fully qualified reference: %v", s, n, err)
	}
}
