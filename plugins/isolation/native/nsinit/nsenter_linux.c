//go:build cgo

// The C half of Exec. Go cannot setns(CLONE_NEWNS) once its runtime has
// started threads, so, as runc's nsexec does, this constructor runs before
// the runtime of every process of the binary and does nothing unless the
// plugin set _RRUN_NSENTER="<pidfd>:<clone flags>". Then it joins the
// namespaces of the process behind the pidfd, clones a child with
// CLONE_PARENT (so that the plugin is its parent and reaps it; the pid
// namespace takes effect for children only), reports the child's pid on the
// control socket (fd 3, or $_RRUN_FD_BASE with preserved fds) as a JSON message and exits. The child returns into
// Go as `__init exec`.
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static int rrun_entered;
static int rrun_control_fd = 3;

// rrun_nsenter_entered tells the Go side that the namespaces were joined.
int rrun_nsenter_entered(void) { return rrun_entered; }

static void rrun_send(const char *json) {
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

__attribute__((constructor)) static void rrun_nsenter(void) {
	const char *v = getenv("_RRUN_NSENTER");
	int fd;
	unsigned long flags;
	pid_t pid;
	char buf[64];

	if (v == NULL)
		return;
	if (getenv("_RRUN_FD_BASE") != NULL && atoi(getenv("_RRUN_FD_BASE")) > 3)
		rrun_control_fd = atoi(getenv("_RRUN_FD_BASE"));
	if (sscanf(v, "%d:%lu", &fd, &flags) != 2)
		rrun_fail("parse _RRUN_NSENTER", EINVAL);
	unsetenv("_RRUN_NSENTER");
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
	rrun_entered = 1;
}
