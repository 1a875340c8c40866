// Package oci is rrun's built-in isolation backend that delegates to an OCI
// runtime, crun or runc, through its command line: create, start, state,
// kill, delete and exec, with a console socket for terminals. It is the
// reference for third-party backends that delegate to another program.
//
// Options: runtime = "crun" | "runc" | PATH (default: crun, else runc, found
// on PATH); log_level as for every plugin.
//
// Process model. The runtime forks the container's init (and each exec
// process) and exits, so the kernel reparents them to the nearest child
// subreaper: the plugin marks itself as one (plugins/api/reaper) and reaps
// them, which is where exit statuses come from. Served as a plugin
// (ServeMain) it also reaps every orphan it inherits; otherwise zombies of
// exec processes in the container's pid namespace would keep the init from
// finishing its exit, and Wait would hang.
//
// Spec contract, beyond the api.Isolation one:
//
//   - ociVersion: the host's spec is rewritten to OCIVersion (1.0.2-dev),
//     which every crun and runc since 2020 accepts; Debian 12's crun 1.8.1
//     refuses 1.3.0. The fields the host fills all exist in 1.0.2.
//   - root.path: a single bind descriptor for "/" is used as the root
//     directly; other descriptors are mounted, in order, under
//     <RunDir>/<id>/rootfs and unmounted at Delete.
//   - process.terminal is set from Stdio.Terminal. The runtime sends the pty
//     master to a socket of the plugin's, which keeps a dup for ResizePty
//     and forwards it to Stdio.ConsoleSocket before Create or Exec returns.
//   - linux.resources: the backend announces isolation.resources, so the
//     runtime applies the limits. Where the host found a delegated cgroup v2
//     it sets cgroupsPath (relative to /sys/fs/cgroup) and resources and
//     makes no cgroup itself; crun then runs with --cgroup-manager=cgroupfs
//     (runc's default), which makes the cgroup, enables the controllers,
//     writes the limits and removes it at delete. Without a cgroupsPath
//     (cgroup v1, where the host refuses limits) crun runs with
//     --cgroup-manager=disabled and no runtime touches cgroups.
//   - Errors: a missing or non-executable command fails `create` in both
//     runtimes, so Create returns api.ErrCommandNotFound or
//     api.ErrCommandNotExecutable (the host maps both to 127 / 126).
//   - <RunDir>/<id>/meta.json records the init and exec pids, terminals,
//     start time and exit statuses the plugin knew, so that a new plugin
//     process on the same RunDir adopts the container (the runtime's own
//     state lives in <RunDir>/runtime). Wait on an adopted process whose
//     exit nobody recorded returns api.ErrUnavailable once it is gone, and
//     State reports ExitCode -1.
//
// It imports only plugins/api, never host/ or storage/.
package oci
