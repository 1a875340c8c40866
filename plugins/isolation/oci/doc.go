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
//   - linux.resources: the host makes the cgroup and writes the limits
//     (cgroup v2 with delegation; on v1 the host refuses limits). The
//     backend strips resources and cgroupsPath from what the runtime sees
//     (crun runs with --cgroup-manager=disabled) and moves the created init
//     into the host's cgroup before Start.
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
