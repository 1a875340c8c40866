// Package reaper makes an isolation plugin the child subreaper of the
// processes it starts through another program, and reaps them.
//
// A backend that delegates to an OCI runtime (crun, runc) does not parent
// the container's init: the runtime forks it and exits, and the kernel
// hands the orphan to the nearest ancestor marked as child subreaper. If
// the plugin is not that subreaper, the init goes to the session or the
// machine's pid 1 and its exit status is lost. If the plugin is the
// subreaper but does not reap, exec processes (whose runtime also exited)
// stay zombies inside the container's pid namespace, and the container's
// init can never finish exiting: the kernel waits for every process of the
// namespace to be reaped, so Wait hangs.
//
// Get marks the process as child subreaper and starts one SIGCHLD loop per
// process. Watch delivers the exit status of a pid the backend knows (the
// init, an exec). Children in a pid namespace below the process's own
// (container processes a runtime left behind, known or not) are always
// reaped. ReapOrphans, called once by a plugin's main, also reaps every
// other child that was not started through Run, so that no zombie is left
// behind. Commands the backend waits for itself (the runtime CLI)
// must go through Run, which keeps the reaper off their pids.
//
// A sweep (on SIGCHLD) asks waitid which child exited and reaps it when it
// is the reaper's; only when that child is another's (its code waits for
// it) does it list the children of every thread of the process.
//
// Process is a container's process and how it ended, as both built-in
// backends keep it: Child (a process the reaper reaps for the backend),
// Adopt (one an earlier plugin process started) and Finished (one that
// never ran). It signals through a pidfd and counts only exits, never the
// stops of a child that traces itself.
//
// It imports only the standard library and golang.org/x/sys.
package reaper
