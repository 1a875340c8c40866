// Package testsuite holds one conformance suite per plugin interface:
// TestStorage for api.Storage and TestIsolation for api.Isolation. Every
// backend, built-in or external, must pass its suite, both in-process and
// over go-plugin gRPC; the built-ins and plugins/examples run them in their
// tests. It imports plugins/api and test fixtures only, never host/.
package testsuite
