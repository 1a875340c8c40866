// Package state keeps one record per container under rrun's data dir,
// written atomically (temp file + rename) under a lock, so that any number of
// rrun processes can create, list, update and remove containers at once and a
// killed one leaves nothing half-written. It knows nothing of plugins.
package state
