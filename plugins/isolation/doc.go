// Package isolation holds rrun's built-in isolation backends, one sibling
// package each (native; later oci for crun/runc). Every backend implements
// api.Isolation and must pass plugins/testsuite.TestIsolation.
//
// Nothing here may import rrun's host/ or storage/ packages.
package isolation
