//go:build cgo

// The C half of Exec. Go cannot setns(CLONE_NEWNS) once its runtime has
// started threads, so, as runc's nsexec does, this constructor runs before
// the runtime of every process of the binary and does nothing unless the
// plugin set _RRUN_NSENTER="<pidfd>:<clone flags>". Then it joins the
// namespaces of the process behind the pidfd, clones a child with
// CLONE_PARENT (so that the plugin is its parent and reaps it; the pid
// namespace takes effect for children only), reports the child's pid on the
// control socket (fd 3, or $_RRUN_FD_BASE with preserved fds) as a JSON message and exits. The child returns into
// Go as `__init exec` or, with _RRUN_CEXEC set, sets itself up and execs
// the command in C (cexec_linux.c). With "<pidfd>:<clone flags>:<uid>:<gid>",
// the child first makes a user namespace of its own in which uid and gid
// are the container's one id (an exec as a user the single-uid container
// does not map; see userns_exec_linux.go): it is in the container's pid
// namespace, so /proc/self is its own there. Without _RRUN_NSENTER but with
// _RRUN_CINIT, the process is a container's init, which sets the container
// up and execs its command in C (cinit_linux.c).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "nsenter_linux.h"

static int rrun_entered;
int rrun_control_fd = 3;

// rrun_nsenter_entered tells the Go side that the namespaces were joined.
int rrun_nsenter_entered(void) { return rrun_entered; }

void rrun_send(const char *json) {
	size_t len = strlen(json), off = 0;
	while (off < len) {
		ssize_t n = write(rrun_control_fd, json + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		off += (size_t)n;
	}
}

static void rrun_fail(const char *what, int err) {
	char buf[256];
	snprintf(buf, sizeof(buf), "{\"type\":\"error\",\"message\":\"exec: failed to %s: %s\"}\n", what, strerror(err));
	rrun_send(buf);
	_exit(1);
}

static void rrun_write_file(const char *path, const char *data) {
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		rrun_fail("open the exec's id maps", errno);
	if (write(fd, data, strlen(data)) < 0)
		rrun_fail("write the exec's id maps", errno);
	close(fd);
}

// rrun_own_userns maps uid and gid, in a new user namespace, to the ids
// the process has in the container's (the container's one id). A process
// may write such one-line maps of itself; setgroups must be denied first.
static void rrun_own_userns(unsigned int uid, unsigned int gid) {
	char buf[64];
	unsigned int outer_uid = (unsigned int)geteuid(), outer_gid = (unsigned int)getegid();

	if (unshare(CLONE_NEWUSER) < 0)
		rrun_fail("create a user namespace for the exec's user", errno);
	rrun_write_file("/proc/self/setgroups", "deny");
	snprintf(buf, sizeof(buf), "%u %u 1\n", uid, outer_uid);
	rrun_write_file("/proc/self/uid_map", buf);
	snprintf(buf, sizeof(buf), "%u %u 1\n", gid, outer_gid);
	rrun_write_file("/proc/self/gid_map", buf);
}

__attribute__((constructor)) static void rrun_nsenter(void) {
	const char *v = getenv("_RRUN_NSENTER");
	int fd, n;
	unsigned long flags;
	unsigned int uid = 0, gid = 0;
	pid_t pid;
	char buf[64];
	int cexec = getenv("_RRUN_CEXEC") != NULL;
	const char *cinit = getenv("_RRUN_CINIT");

	if (v == NULL && cinit == NULL)
		return;
	if (getenv("_RRUN_FD_BASE") != NULL && atoi(getenv("_RRUN_FD_BASE")) > 3)
		rrun_control_fd = atoi(getenv("_RRUN_FD_BASE"));
	if (v == NULL) {
		// A container's init (cinit_linux.c); it returns only in a
		// spare whose container is set up in Go.
		int spare = strcmp(cinit, "spare") == 0;
		unsetenv("_RRUN_CINIT");
		rrun_cinit(spare);
		return;
	}
	n = sscanf(v, "%d:%lu:%u:%u", &fd, &flags, &uid, &gid);
	if (n != 2 && n != 4)
		rrun_fail("parse _RRUN_NSENTER", EINVAL);
	unsetenv("_RRUN_NSENTER");
	unsetenv("_RRUN_CEXEC");
	// Processes of the container must not ptrace us or open our
	// /proc/self/exe before we exec; execve resets this.
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		rrun_fail("make the process non-dumpable", errno);
	if (setns(fd, (int)flags) < 0)
		rrun_fail("join the container's namespaces", errno);
	close(fd);
	pid = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
	if (pid < 0)
		rrun_fail("fork into the container's pid namespace", errno);
	if (pid > 0) {
		snprintf(buf, sizeof(buf), "{\"type\":\"pid\",\"pid\":%d}\n", (int)pid);
		rrun_send(buf);
		_exit(0);
	}
	if (n == 4)
		rrun_own_userns(uid, gid);
	if (cexec)
		rrun_cexec();
	rrun_entered = 1;
}
