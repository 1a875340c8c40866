// rrun-monitor: see monitor.h. It is exec'd by rrun (execSmallMonitor),
// never started by hand, as `rrun-monitor ID` with its state in
// HANDOFF_ENV.
//
// One thread, always: a private network's helper was forked by the thread
// that exec'd this program with Pdeathsig (SIGKILL), which fires when
// that *thread* ends; this process's only thread is that one, so the
// helper lives exactly as long as this process.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "monitor.h"

// DRAIN_MS is how long the output is still logged once the init exited (a
// background process of the container may hold a pipe open).
#define DRAIN_MS 2000

struct state st;
bool init_done;
int init_code = -1;

static sigset_t orig_mask;
static struct sigaction orig_pipe, orig_chld;
static int sigfd = -1;

long long now_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// errstr is errno e's text, lowercase as Go's errors are.
const char *errstr(int e) {
	static char s[64];
	const char *d = strerrordesc_np(e);
	snprintf(s, sizeof(s), "%s", d ? d : "unknown error");
	if (s[0] >= 'A' && s[0] <= 'Z' && !(s[1] >= 'A' && s[1] <= 'Z'))
		s[0] = (char)(s[0] - 'A' + 'a');
	return s;
}

// kill_init signals the init (SIGKILL for 0); an exited init is not an
// error (docker's kill of a container that just stopped).
int kill_init(int sig) {
	if (init_done)
		return 0;
	if (kill(st.pid, sig ? sig : SIGKILL) < 0 && errno != ESRCH)
		return errno;
	return 0;
}

// private_fds makes every inherited fd close-on-exec: only the owner lock
// and the listener cross to --resume (resume), and nothing but its own to
// an exec delegate.
static void private_fds(void) {
	int fds[] = {st.listener, st.log, st.out, st.err, st.master, st.stdin_fd, st.owner, st.net_lock};
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			fcntl(fds[i], F_SETFD, FD_CLOEXEC);
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC); // and any other (kernel 5.11+)
}

// signals turns SIGCHLD into a readable fd and SIGPIPE into EPIPE; what
// this process execs gets the dispositions and mask it inherited back
// (restore_signals).
static void signals(void) {
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &orig_mask);
	sigaction(SIGPIPE, &(struct sigaction){.sa_handler = SIG_IGN}, &orig_pipe);
	sigaction(SIGCHLD, &(struct sigaction){.sa_handler = SIG_DFL}, &orig_chld); // an ignored SIGCHLD reaps for us
	sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
}

void restore_signals(void) {
	sigaction(SIGPIPE, &orig_pipe, NULL);
	sigaction(SIGCHLD, &orig_chld, NULL);
	sigprocmask(SIG_SETMASK, &orig_mask, NULL);
}

// reap collects every exited child (the init, exec delegates, orphans of
// the container: this process is their child subreaper).
static void reap(void) {
	for (;;) {
		int ws;
		pid_t pid = waitpid(-1, &ws, WNOHANG);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid <= 0)
			return;
		if (pid == st.net_helper)
			st.net_helper = 0; // gone: its pid may be reused
		if (pid == st.pid && !init_done) {
			init_done = true;
			init_code = WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : WEXITSTATUS(ws);
		}
	}
}

// remove_tree removes name (under dirfd) and what it holds, following no
// symbolic link, as os.RemoveAll.
static void remove_tree(int dirfd, const char *name, int depth) {
	if (unlinkat(dirfd, name, 0) == 0 || (errno != EISDIR && errno != EPERM) || depth > 64)
		return;
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	for (struct dirent *e; (e = readdir(d));)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			remove_tree(fd, e->d_name, depth + 1);
	closedir(d);
	unlinkat(dirfd, name, AT_REMOVEDIR);
}

// stop_network ends the private network's helper (pasta or slirp4netns,
// this process's child), removes its state dir and drops the dir's lock,
// as the big monitor does once a container exited.
static void stop_network(void) {
	if (st.net_helper > 0) {
		kill(st.net_helper, SIGKILL); // our unreaped child: the pid is still its
		while (waitpid(st.net_helper, NULL, 0) < 0 && errno == EINTR)
			;
		st.net_helper = 0;
	}
	if (st.net_dir[0])
		remove_tree(AT_FDCWD, st.net_dir, 0); // a dir left is removed by the next rrun that finds its lock free
	if (st.net_lock >= 0) {
		close(st.net_lock);
		st.net_lock = -1;
	}
}

// poll_timeout is how long the loop may sleep: until a stop's SIGKILL,
// the end of the drain, or (without a signalfd) the next reap.
static int poll_timeout(long long drain_until) {
	long long at = serve_deadline(), now = now_ms();
	if (drain_until && (!at || drain_until < at))
		at = drain_until;
	if (sigfd < 0 && (!at || now + 100 < at))
		at = now + 100;
	return !at ? -1 : at <= now ? 0 : (int)(at - now);
}

// run serves the container until its init exited and its output is
// logged (or DRAIN_MS passed), and returns docker's exit code for it.
static int run(void) {
	struct pollfd *pfd = NULL;
	long long drain_until = 0;
	reap(); // the init may have exited before the signalfd existed
	for (;;) {
		if (init_done && !drain_until) {
			serve_exited();
			stop_network();
			drain_until = now_ms() + DRAIN_MS;
		}
		if (init_done && (!logs_open() || now_ms() >= drain_until))
			break;
		struct pollfd *p = realloc(pfd, (size_t)(1 + NSTREAMS + serve_npoll()) * sizeof(*pfd));
		if (!p) {
			poll(NULL, 0, 100); // out of memory: the next round may have some
			continue;
		}
		pfd = p;
		int n = 0, pos[NSTREAMS];
		pfd[n++] = (struct pollfd){.fd = sigfd, .events = POLLIN};
		for (int i = 0; i < NSTREAMS; i++) {
			pos[i] = logs_fd(i) >= 0 ? n : -1;
			if (pos[i] >= 0)
				pfd[n++] = (struct pollfd){.fd = logs_fd(i), .events = POLLIN};
		}
		int first = n;
		n += serve_pollfds(pfd + n);
		if (poll(pfd, (nfds_t)n, poll_timeout(drain_until)) < 0)
			continue; // EINTR (ENOMEM: try again)
		struct signalfd_siginfo si;
		while (sigfd >= 0 && read(sigfd, &si, sizeof(si)) > 0)
			;
		reap();
		for (int i = 0; i < NSTREAMS; i++)
			if (pos[i] >= 0 && pfd[pos[i]].revents)
				logs_pump(i);
		serve_events(pfd + first, n - first);
		serve_timers();
	}
	serve_last();
	free(pfd);
	return init_code;
}

// resume execs `rrun __monitor ID --resume CODE` in this process: it keeps
// the owner lock and the listener, records the exit, releases the
// container and applies the restart policy.
static void resume(int code) {
	char owner[16], listener[16], codes[16];
	snprintf(owner, sizeof(owner), "%d", st.owner);
	snprintf(listener, sizeof(listener), "%d", st.listener);
	snprintf(codes, sizeof(codes), "%d", code);
	if (st.owner >= 0)
		fcntl(st.owner, F_SETFD, 0);
	if (st.listener >= 0)
		fcntl(st.listener, F_SETFD, 0);
	const char *kv[] = {OWNER_FD_ENV, owner, LISTENER_FD_ENV, listener, RESTARTS_ENV, st.restarts, NULL};
	char **env = env_with(kv);
	char **argv = calloc((size_t)st.nrrun + 5, sizeof(char *));
	if (argv) {
		memcpy(argv, st.rrun, (size_t)st.nrrun * sizeof(char *));
		argv[st.nrrun] = "__monitor";
		argv[st.nrrun + 1] = st.id;
		argv[st.nrrun + 2] = "--resume";
		argv[st.nrrun + 3] = codes;
		restore_signals();
		execve(st.rrun[0], argv, env);
	}
	dprintf(2, "rrun-monitor: failed to exec %s to record the exit (%d) of %s: %s\n", st.rrun[0], code, st.id,
		errstr(errno));
	exit(code);
}

int main(void) {
	char err[256];
	if (handoff_read(&st, err, sizeof(err)) < 0) {
		dprintf(2, "rrun-monitor: %s\n", err);
		return 125;
	}
	private_fds();
	signals();
	logs_init(&st);
	serve_init();
	resume(run());
}
