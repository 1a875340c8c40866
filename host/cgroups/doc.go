// Package cgroups finds where an unprivileged user may put a container's
// processes under resource limits: it tells cgroup v1, hybrid and v2 hosts
// apart, finds the cgroup v2 subtree delegated to the user and its
// controllers, creates one cgroup per container, writes its limits and
// reads its statistics. It reads the host through a Host so that tests can
// point it at fake /proc and /sys trees. It must not import plugin
// implementations or storage/.
package cgroups
