// Package session puts an rrun command into a rootless session: a user
// namespace (uid 0 inside = the invoking user, 1..N = its subordinate range,
// mapped by newuidmap/newgidmap through rootlesskit) with its own mount and
// pid namespaces. Everything that touches the store or a container runs
// inside one. It must not import storage/ or any plugin implementation.
package session
