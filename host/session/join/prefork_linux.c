// The C half of the pre-started pool (see "Pre-started commands" in
// docs/internal.md): the session holder keeps RRUN_PREFORK rrun processes
// that already paid the Go runtime's and the packages' start-up, each
// waiting on its own socket in $RUN/prefork; a warm-path command's
// constructor hands its whole invocation (fds, argv, environment, working
// directory) to one of them and only relays signals and the exit code.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "prefork_linux.h"

extern int rrun_join_state, rrun_join_pid;
extern unsigned int rrun_join_uid, rrun_join_gid;
extern long long rrun_join_start_ns, rrun_join_done_ns;
extern char rrun_join_mapping[16];
extern char rrun_join_rundir[PATH_MAX];
extern char rrun_join_inherit[9];

int rrun_prefork_ctl = -1; // a pool process's link to the holder

// ---- the pool process (`rrun __prefork RUNDIR MAPPING`) ----

// outside_id is the id that 0 maps to in a map file of this user namespace.
static unsigned int outside_id(const char *path) {
	unsigned int in = 1, out = 0;
	FILE *f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%u %u", &in, &out) != 2 || in != 0)
			out = 0;
		fclose(f);
	}
	return out;
}

// prefork_child_init runs in a pool process before Go: it moves the
// holder's link (fd 3) out of the way and fills fds 3.. with placeholders,
// so that the Go runtime's own fds land above the numbers a client may
// pass on, and marks the process joined (it was born in the holder's
// namespaces).
void rrun_prefork_child_init(int argc, char **argv) {
	if (argc < 4)
		_exit(125);
	rrun_prefork_ctl = fcntl(3, F_DUPFD_CLOEXEC, PREFORK_FD_LIMIT + 8);
	if (rrun_prefork_ctl < 0)
		_exit(125);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int fd = 3; fd < PREFORK_FD_LIMIT; fd++)
		if (fd != null)
			dup3(null, fd, O_CLOEXEC);
	rrun_join_state = 1;
	rrun_join_pid = getppid();
	rrun_join_uid = outside_id("/proc/self/uid_map");
	rrun_join_gid = outside_id("/proc/self/gid_map");
	snprintf(rrun_join_rundir, sizeof(rrun_join_rundir), "%s", argv[2]);
	snprintf(rrun_join_mapping, sizeof(rrun_join_mapping), "%s", argv[3]);
}

// ---- the holder's side: keep the pool full ----

struct slot {
	int pid, fd;        // the pool process and the holder's end of its link
	int busy, served;   // serving a command ('T', until 'R'); served one at least
	long long taken_ns; // when it took its command
};

static struct slot slots[PREFORK_MAX];

// retry_at: after a pool process died before serving, none is started
// for two seconds (a binary that cannot start is no busy loop).
static time_t retry_at;

static long long now_ns(void);

// PREFORK_COMING_NS is how long a busy pool process counts as coming back
// (a foreground run it serves, which ends and says 'R'): meanwhile no
// replacement is started for it. A command that runs longer gets one.
#define PREFORK_COMING_NS (250LL * 1000 * 1000)

static int spawn(struct slot *s, const char *rundir, const char *mapping) {
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	int pid = fork();
	if (pid < 0) {
		close(sv[0]), close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		if (dup2(sv[1], 3) < 0)
			_exit(125);
		signal(SIGINT, SIG_DFL); // the holder ignores them; the command must not
		signal(SIGHUP, SIG_DFL);
		char *args[] = {"rrun", "__prefork", (char *)rundir, (char *)mapping, NULL};
		char *env[] = {NULL};
		execve("/proc/self/exe", args, env);
		_exit(125);
	}
	close(sv[1]);
	s->pid = pid, s->fd = sv[0], s->busy = 0, s->served = 0;
	return 0;
}

static void drop(struct slot *s) {
	close(s->fd);
	if (!s->served)
		retry_at = time(NULL) + 2;
	s->fd = -1, s->pid = 0, s->busy = 0;
}

static int idle_count(void) {
	int idle = 0;
	for (int i = 0; i < PREFORK_MAX; i++)
		idle += slots[i].pid && !slots[i].busy;
	return idle;
}

// settle reads what a pool process said: 'T' it took a command, 'R' it is
// back for another (one more than n idle ones is told to go: its link
// closes), or its end.
static void settle(struct slot *s, int n) {
	char c = 0;
	ssize_t r = read(s->fd, &c, 1);
	if (r == 1 && c == 'T') {
		s->busy = 1, s->served = 1, s->taken_ns = now_ns();
	} else if (r == 1 && c == 'R') {
		s->busy = 0;
		if (idle_count() > n)
			drop(s);
	} else if (r != 1) {
		drop(s);
	}
}

// rrun_prefork_holder_wait is the holder's wait of up to tick seconds: it
// keeps n pool processes idle or coming back (see PREFORK_COMING_NS),
// notes taken, returned or dead ones and reaps.
void rrun_prefork_holder_wait(int n, const char *rundir, const char *mapping, unsigned tick) {
	struct pollfd p[PREFORK_MAX];
	n = n > PREFORK_MAX / 2 ? PREFORK_MAX / 2 : n;
	time_t now = time(NULL);
	long long ns = now_ns();
	int have = 0, timeout = (int)tick * 1000;
	for (int i = 0; i < PREFORK_MAX; i++) {
		struct slot *s = &slots[i];
		if (s->pid && s->busy && ns - s->taken_ns < PREFORK_COMING_NS) {
			have++;
			int left = (int)((PREFORK_COMING_NS - (ns - s->taken_ns)) / 1000000) + 1;
			timeout = left < timeout ? left : timeout;
		} else if (s->pid && !s->busy) {
			have++;
		}
	}
	for (int i = 0; i < PREFORK_MAX && have < n && retry_at <= now; i++) {
		struct slot *s = &slots[i];
		if (s->pid)
			continue;
		if (spawn(s, rundir, mapping) < 0)
			retry_at = now + 2;
		else
			have++;
	}
	for (int i = 0; i < PREFORK_MAX; i++) {
		p[i].fd = slots[i].pid ? slots[i].fd : -1;
		p[i].events = POLLIN;
		p[i].revents = 0;
	}
	int r = poll(p, PREFORK_MAX, timeout);
	for (int i = 0; r > 0 && i < PREFORK_MAX; i++)
		if (p[i].revents)
			settle(&slots[i], n);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

// ---- the client's side ----

static long long now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

// env_ok reports whether envp can be served by a pool process: the Go
// runtime and gRPC read a few variables once, at start, and a process
// started without them would ignore them. A command in a Slurm job is not
// served either (its job's limits and cgroup are the point), but for a
// step's prepare (verb 4), which runs in no step cgroup (warm_verb) and
// whose container is the warm isolation plugin's child anyway.
static int env_ok(char **envp, int verb) {
	static const char *const early[] = {"GODEBUG=", "GOGC=", "GOMAXPROCS=", "GOMEMLIMIT=", "GOTRACEBACK=", "GRPC_GO_", "SLURM_JOB_ID=", "RRUN_PREFORK=0"};
	for (char **e = envp; *e; e++)
		for (size_t i = 0; i < sizeof(early) / sizeof(early[0]); i++)
			if (strncmp(*e, early[i], strlen(early[i])) == 0 && !(verb == 4 && strcmp(early[i], "SLURM_JOB_ID=") == 0))
				return 0;
	return 1;
}

// names_high_fd reports whether an argument names an fd at or above
// PREFORK_FD_LIMIT by path (/dev/fd/N, /proc/self/fd/N): only this process
// has it.
static int names_high_fd(int argc, char **argv) {
	static const char *const prefixes[] = {"/dev/fd/", "/proc/self/fd/"};
	for (int i = 1; i < argc; i++)
		for (size_t p = 0; p < 2; p++)
			for (const char *a = strstr(argv[i], prefixes[p]); a; a = strstr(a + 1, prefixes[p]))
				if (atoi(a + strlen(prefixes[p])) >= PREFORK_FD_LIMIT)
					return 1;
	return 0;
}

// open_fds lists this process's open fds below PREFORK_FD_LIMIT (higher
// ones are not passed on: the normal path marks them close-on-exec too);
// it fails (-1) when fd 0, 1 or 2 is closed, or an argument names a
// higher one by path: the pool process could not reproduce either.
static int open_fds(int *fds, int max, int argc, char **argv) {
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	int n = 0, self = dirfd(d), bad = 0, high = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		int fd = atoi(e->d_name);
		if (fd == self)
			continue;
		if (fd >= PREFORK_FD_LIMIT)
			high = 1;
		else if (n == max)
			bad = 1;
		else
			fds[n++] = fd;
	}
	closedir(d);
	for (int i = 0; i < 3; i++) { // fds 0-2 must be open (a closed one: the normal path)
		int found = 0;
		for (int j = 0; j < n; j++)
			found |= fds[j] == i;
		if (!found)
			bad = 1;
	}
	return bad || (high && names_high_fd(argc, argv)) ? -1 : n;
}

static int same_file(const char *a, const char *b) {
	char x[8192], y[8192];
	int fa = open(a, O_RDONLY | O_CLOEXEC), fb = open(b, O_RDONLY | O_CLOEXEC);
	ssize_t na = fa >= 0 ? read(fa, x, sizeof(x)) : -1, nb = fb >= 0 ? read(fb, y, sizeof(y)) : -1;
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	return na >= 0 && na == nb && na < (ssize_t)sizeof(x) && memcmp(x, y, (size_t)na) == 0;
}

// userns_beside reports whether process pid (a pool process, in the
// holder's user namespace) runs in a user namespace whose parent is this
// process's: a command that could not have joined the holder itself (one
// in a user namespace of its own, say) is not served by its pool either.
static int userns_beside(int pid) {
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	int parent = ioctl(fd, NS_GET_PARENT); // EPERM: its parent is not in our view
	close(fd);
	if (parent < 0)
		return 0;
	struct stat a, b;
	int ok = fstat(parent, &a) == 0 && stat("/proc/self/ns/user", &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
	close(parent);
	return ok;
}

// pool_peer checks the process behind a connected socket: this user, a
// child of the holder the caller checked, in this command's cgroups, its
// user namespace a child of this command's.
static int pool_peer(int s, int holder) {
	struct ucred cr;
	socklen_t l = sizeof(cr);
	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &l) < 0 || cr.uid != getuid())
		return 0;
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", cr.pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	int ppid = 0;
	char *p = n > 0 ? (buf[n] = '\0', strrchr(buf, ')')) : NULL;
	if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1 || ppid != holder)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/cgroup", cr.pid);
	if (!same_file("/proc/self/cgroup", path) || !userns_beside(cr.pid))
		return 0;
	return cr.pid;
}

static int connect_one(const char *path) {
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(a.sun_path))
		return -1;
	strcpy(a.sun_path, path);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) == 0)
		return s;
	if (errno == ECONNREFUSED)
		unlink(path); // its process was killed: nobody else cleans it
	close(s);
	return -1;
}

static int write_all(int s, const void *p, size_t n) {
	const char *c = p;
	while (n > 0) {
		ssize_t w = send(s, c, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w, n -= (size_t)w;
	}
	return 0;
}

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGALRM, SIGCONT, SIGTSTP};

// ignored_signals is the set of forwarded signals this process was started
// with ignored (a background job of a script ignores SIGINT): the server
// ignores them too, until the command asks for them (signal.Notify), as a
// process started with them ignored does.
static uint32_t ignored_signals(void) {
	uint32_t set = 0;
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++) {
		struct sigaction old;
		if (sigaction(forwarded[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			set |= 1u << forwarded[i];
	}
	return set;
}

// send_request sends the header with the fds, then cwd, argv and envp as
// NUL-terminated strings.
static int send_request(int s, int argc, char **argv, char **envp, const int *fds, int nfds, int verb) {
	struct prefork_header h;
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, PREFORK_MAGIC, 4);
	h.version = PREFORK_VERSION;
	h.nfds = (uint32_t)nfds;
	h.argc = (uint32_t)argc;
	h.start_ns = rrun_join_start_ns;
	mode_t um = umask(0);
	umask(um);
	h.umask = (uint32_t)um;
	for (int i = 0; i < nfds; i++)
		h.targets[i] = fds[i];
	h.ignored = ignored_signals();
	h.verb = (uint32_t)verb;
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)))
		return -1; // a cwd that is gone: the normal path reports it
	uint64_t len = strlen(cwd) + 1;
	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	for (char **e = envp; *e; e++, h.envc++)
		len += strlen(*e) + 1;
	h.len = len;
	char cbuf[CMSG_SPACE(sizeof(int) * PREFORK_FD_LIMIT)];
	memset(cbuf, 0, sizeof(cbuf));
	struct iovec iov = {.iov_base = &h, .iov_len = sizeof(h)};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = CMSG_SPACE(sizeof(int) * nfds)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET, c->cmsg_type = SCM_RIGHTS, c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	if (sendmsg(s, &m, MSG_NOSIGNAL) != (ssize_t)sizeof(h))
		return -1;
	if (write_all(s, cwd, strlen(cwd) + 1) < 0)
		return -1;
	for (int i = 0; i < argc; i++)
		if (write_all(s, argv[i], strlen(argv[i]) + 1) < 0)
			return -1;
	for (char **e = envp; *e; e++)
		if (write_all(s, *e, strlen(*e) + 1) < 0)
			return -1;
	return 0;
}

static int read_full(int s, void *p, size_t n) {
	char *c = p;
	while (n > 0) {
		ssize_t r = read(s, c, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c += r, n -= (size_t)r;
	}
	return 0;
}

static volatile sig_atomic_t server_pid, last_sig;

static void forward(int sig) {
	int e = errno;
	if (sig == SIGTSTP) { // stop the command with this client, as a shell expects
		kill(server_pid, SIGSTOP);
		signal(SIGTSTP, SIG_DFL);
		raise(SIGTSTP);
		signal(SIGTSTP, forward);
	} else {
		if (sig != SIGWINCH && sig != SIGCONT)
			last_sig = sig;
		kill(server_pid, sig);
	}
	errno = e;
}

// relay_or_die forwards signals to the serving process until it sends the
// exit code, and exits with it. A server that dies first, after it was
// sent a signal, most likely died of it: the client then dies of the same
// signal, as the command would have; otherwise it prints one line on errfd
// (the client's stderr) and exits 125. The terminal is restored either way.
static void relay_or_die(int s, int pid, int errfd) {
	struct termios saved;
	int tty = tcgetattr(0, &saved) == 0;
	server_pid = pid;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	uint32_t ignored = ignored_signals();
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaction(forwarded[i], &sa, NULL); // ignored ones too: the server ignores them until it asks for them
	char x[5];
	if (read_full(s, x, 5) == 0 && x[0] == 'E') {
		int32_t code;
		memcpy(&code, x + 1, 4);
		_exit(code);
	}
	if (tty)
		tcsetattr(0, TCSANOW, &saved);
	if (last_sig && !(ignored & (1u << last_sig))) { // it died of what it was sent, most likely: so does the client, as before
		sigset_t set;
		signal(last_sig, SIG_DFL);
		sigemptyset(&set);
		sigaddset(&set, last_sig);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(last_sig);
	}
	dprintf(errfd, "rrun: the rrun process serving this command (pid %d) died before it finished; set RRUN_PREFORK=0 to run commands without the pre-started pool\n", pid);
	_exit(125);
}

// rrun_prefork_try hands this command to an idle pool process of the
// holder (pid holder) in rundir (verb: warm_verb's) and never returns when one took it; it
// returns when none is idle, any check fails, or the pool is off.
void rrun_prefork_try(int argc, char **argv, char **envp, const char *rundir, int holder, int verb) {
	const char *n = getenv("RRUN_PREFORK");
	if ((n && strcmp(n, "0") == 0) || !env_ok(envp, verb))
		return;
	int fds[PREFORK_FD_LIMIT];
	int nfds = open_fds(fds, PREFORK_FD_LIMIT, argc, argv);
	if (nfds < 0)
		return;
	char dir[PATH_MAX];
	if (snprintf(dir, sizeof(dir), "%s/prefork", rundir) >= (int)sizeof(dir))
		return;
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	int tries = 0;
	while ((e = readdir(d)) && tries < PREFORK_MAX * 2) {
		// PID-TAG.sock: a pool process started with other limits, nice
		// value or affinity would pass its own on to what it starts
		// (inherit_tag).
		char suffix[32];
		snprintf(suffix, sizeof(suffix), "-%s.sock", rrun_join_inherit);
		size_t l = strlen(e->d_name), sl = strlen(suffix);
		if (l <= sl || strcmp(e->d_name + l - sl, suffix) != 0)
			continue;
		tries++;
		char path[PATH_MAX + 256];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		int s = connect_one(path);
		if (s < 0)
			continue;
		int pid = pool_peer(s, holder);
		char ack = 0;
		if (pid && send_request(s, argc, argv, envp, fds, nfds, verb) == 0 && read_full(s, &ack, 1) == 0 && ack == 'A') {
			closedir(d);
			rrun_join_done_ns = now_ns();
			relay_or_die(s, pid, 2);
		}
		close(s); // not taken (busy, refused, or another binary): try the next
	}
	closedir(d);
}
