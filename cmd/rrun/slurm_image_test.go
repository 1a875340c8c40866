package main

import "testing"

// A registry on loopback is plain http, as docker treats 127.0.0.0/8.
func TestLoopbackRegistry(t *testing.T) {
	for ref, want := range map[string]bool{
		"127.0.0.1:5000/busybox":      true,
		"localhost:5000/lab/app:1":    true,
		"localhost/app":               true,
		"127.1.2.3/app":               true,
		"[::1]:5000/app":              true,
		"busybox":                     false,
		"library/busybox":             false,
		"registry.example.com/app:1":  false,
		"10.0.0.1:5000/app":           false,
		"127.0.0.1.example.com/app:1": false,
	} {
		if got := loopbackRegistry(ref); got != want {
			t.Errorf("loopbackRegistry(%q) = %v, want %v", ref, got, want)
		}
	}
}
