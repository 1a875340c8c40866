// The C half of the session holder (see "Session holder" in
// docs/internal.md). Its constructor runs before the Go runtime starts any
// thread, the only moment a Go program can setns(CLONE_NEWUSER): it either
// plays the holder (`rrun __holder`, never returning to Go) or joins a
// running holder's user and mount namespaces for a verb of the warm path.
// Go reads the outcome through the rrun_join_* globals (join_linux.go).
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "prefork_linux.h"

// Outcomes of the constructor, read by Go.
#define JOIN_NONE 0   // not a warm-path command (or the holder is off)
#define JOIN_JOINED 1 // this process is in the holder's namespaces
#define JOIN_WANTED 2 // a warm-path command, but no usable holder

int rrun_join_state;
int rrun_join_pid;
unsigned int rrun_join_uid, rrun_join_gid; // the user's ids outside
long long rrun_join_start_ns, rrun_join_done_ns;
char rrun_join_mapping[16];
char rrun_join_rundir[PATH_MAX];
char rrun_join_reason[128]; // why a holder was not usable
char rrun_join_inherit[9];   // inherit_tag's: what this process's children inherit, as it was started

static uint32_t fnv(uint32_t h, const void *p, size_t n) {
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

// inherit_tag names, in 8 hex digits (FNV-1a), what a process started by
// this one inherits from it and a command's user sets for it: the resource
// limits, soft and hard (before the Go runtime raises its soft
// RLIMIT_NOFILE), the nice value and the CPU affinity (nice, taskset,
// Slurm's CPU binding). A warm plugin and a pre-started rrun serve only
// commands with the same tag: what they start (a container, its monitor)
// inherits these from them, and must get the ones of the command it is
// started for. (Supplementary groups are not in it: a pool process sees
// them through the holder's user namespace, as other numbers.)
static void inherit_tag(void) {
	uint32_t h = 2166136261u;
	for (int i = 0; i < RLIM_NLIMITS; i++) {
		struct rlimit rl = {0, 0};
		getrlimit(i, &rl);
		uint64_t v[2] = {(uint64_t)rl.rlim_cur, (uint64_t)rl.rlim_max};
		h = fnv(h, v, sizeof(v));
	}
	errno = 0;
	int nice = getpriority(PRIO_PROCESS, 0);
	if (errno == 0)
		h = fnv(h, &nice, sizeof(nice));
	cpu_set_t cpus;
	CPU_ZERO(&cpus);
	if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0)
		h = fnv(h, &cpus, sizeof(cpus));
	snprintf(rrun_join_inherit, sizeof(rrun_join_inherit), "%08x", h);
}

static long long now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static unsigned long long start_time(int pid);

// pinned reports whether a process that pins the holder still runs: each
// entry of RUNDIR/holder-pins is named PID-START (a process and its start
// time, so a recycled pid does not count) and keeps the holder up while
// that process lives; an entry of a process gone is removed. A Slurm step
// pins its slurmstepd (docs/slurm.md): the node's next step finds the
// holder, its pool and its warm plugins up however long this one ran.
static int pinned(const char *rundir) {
	char dir[PATH_MAX];
	if (snprintf(dir, sizeof(dir), "%s/holder-pins", rundir) >= (int)sizeof(dir))
		return 0;
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int any = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		int pid;
		unsigned long long start;
		char extra;
		if (sscanf(e->d_name, "%d-%llu%c", &pid, &start, &extra) != 2 || pid <= 0)
			continue;
		if (start_time(pid) == start) {
			any = 1;
			continue;
		}
		unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
	return any;
}

// holder_idle reports whether the holder should go: its record (path) is
// gone or names another process, or no command touched it for idle seconds
// and no pin holds it (pinned).
static int holder_idle(const char *path, const char *rundir, long idle) {
	struct stat st;
	if (stat(path, &st) < 0)
		return 1;
	FILE *f = fopen(path, "re");
	int pid = 0;
	if (!f)
		return 1;
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	fclose(f);
	if (pid != getpid())
		return 1;
	// Every tick, not only once idle: a node busy with steps would
	// otherwise keep the pins of every step that ended since.
	int pins = pinned(rundir);
	return time(NULL) - st.st_mtime > idle && !pins;
}

// on_child only interrupts the holder's wait.
static void on_child(int sig) { (void)sig; }

// holder_main is `rrun __holder IDLE_SECONDS RECORD [POOL MAPPING]`: it
// waits until its starter has written the id maps (a byte on fd 3), then
// holds the namespaces until it is killed or idle (running containers keep
// their namespaces alive themselves), keeping POOL pre-started commands
// (prefork_linux.c) meanwhile.
static void holder_main(int argc, char **argv) {
	long idle = argc > 2 ? atol(argv[2]) : 30;
	const char *record = argc > 3 ? argv[3] : "";
	int pool = argc > 5 ? atoi(argv[4]) : 0;
	char rundir[PATH_MAX];
	snprintf(rundir, sizeof(rundir), "%s", record);
	char *slash = strrchr(rundir, '/');
	if (slash)
		*slash = '\0';
	char c;
	if (read(3, &c, 1) != 1)
		_exit(1);
	close(3);
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0), dup2(null, 1), dup2(null, 2);
		if (null > 2)
			close(null);
	}
	if (chdir("/") < 0)
		_exit(1);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	// A served pool process's exit interrupts the wait (no SA_RESTART),
	// so it is reaped at once rather than left a zombie for a tick.
	struct sigaction chld = {.sa_handler = on_child};
	sigemptyset(&chld.sa_mask);
	sigaction(SIGCHLD, &chld, NULL);
	unsigned tick = idle > 0 && idle < 5 ? (unsigned)idle : 5;
	for (;;) {
		if (pool > 0)
			rrun_prefork_holder_wait(pool, rundir, argv[5], tick);
		else
			sleep(tick);
		if (holder_idle(record, rundir, idle > 0 ? idle : 30))
			_exit(0);
	}
}

// run_dir finds rrun's volatile dir as host/config's runDir does.
static int run_dir(char *out, size_t n) {
	const char *v = getenv("_RRUN_RUN_DIR");
	if (v && *v)
		return snprintf(out, n, "%s", v) < (int)n ? 0 : -1;
	v = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	if (v && v[0] == '/' && stat(v, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == getuid())
		return snprintf(out, n, "%s/rrun", v) < (int)n ? 0 : -1;
	const char *tmp = getenv("TMPDIR");
	if (!tmp || !*tmp)
		tmp = "/tmp";
	return snprintf(out, n, "%s/rrun-%u", tmp, getuid()) < (int)n ? 0 : -1;
}

// skip_global returns how many argv entries a global flag at argv[i] uses
// (0: not a global flag).
static int skip_global(char **argv, int i, int argc) {
	static const char *const flags[] = {"--log-level", "--storage", "--isolation"};
	for (size_t f = 0; f < sizeof(flags) / sizeof(flags[0]); f++) {
		size_t l = strlen(flags[f]);
		if (strncmp(argv[i], flags[f], l) == 0) {
			if (argv[i][l] == '=')
				return 1;
			if (argv[i][l] == '\0')
				return i + 1 < argc ? 2 : 1;
		}
	}
	return 0;
}

// warm_private reports whether the warm path serves private networks
// (pasta, slirp4netns, and the default): yes unless RRUN_WARM_NETWORK=0,
// the escape hatch back to a session per container. Go reads the same
// switch (session.WarmPrivate).
static int warm_private(void) {
	const char *v = getenv("RRUN_WARM_NETWORK");
	return !v || strcmp(v, "0") != 0;
}

// warm_network reports whether the first --network/--net of a run names a
// network the warm path serves: none or host, and pasta, slirp4netns or no
// --network at all (the default) when warm_private. container:NAME never.
static int warm_network(char **argv, int i, int argc) {
	for (; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		if (strcmp(a, "--") == 0)
			return 0;
		if (strcmp(a, "--network") == 0 || strcmp(a, "--net") == 0)
			v = i + 1 < argc ? argv[i + 1] : "";
		else if (strncmp(a, "--network=", 10) == 0)
			v = a + 10;
		else if (strncmp(a, "--net=", 6) == 0)
			v = a + 6;
		if (v)
			return strcmp(v, "none") == 0 || strcmp(v, "host") == 0 ||
			       (warm_private() && (strcmp(v, "pasta") == 0 || strcmp(v, "slirp4netns") == 0 || *v == '\0'));
	}
	return warm_private();
}

// in_slurm_step_cgroup reports whether this process is in a Slurm step's
// cgroup (.../job_J/step_S in /proc/self/cgroup): a holder joined there
// would live in the first job's cgroup (cmd/rrun's inSlurmCgroup).
static int in_slurm_step_cgroup(void) {
	FILE *f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return 0;
	char line[4096];
	int in = 0;
	while (!in && fgets(line, sizeof(line), f)) {
		char *j = strstr(line, "/job_");
		in = j && strstr(j, "/step_");
	}
	fclose(f);
	return in;
}

static int has_arg(int argc, char **argv, int from, const char *arg) {
	for (int i = from; i < argc; i++)
		if (strcmp(argv[i], arg) == 0)
			return 1;
	return 0;
}

// warm_verb reports whether argv is a command the warm path serves: 1 for
// a run, or a start or restart Go found warm-capable (a holder is started
// when none is usable), 2 for the reconcile
// of containers killed rrun processes left (it joins a holder that runs;
// see cmd/rrun/reconcile.go), 3 for an exec (only a pre-started process
// of a running holder serves it; it never joins), 4 for a Slurm step's
// prepare (it joins a holder that runs, and then runs the step's
// container itself; with none it starts `rrun run -d`, which starts one).
static int warm_verb(int argc, char **argv) {
	int i = 1;
	while (i < argc) {
		int n = skip_global(argv, i, argc);
		if (!n)
			break;
		i += n;
	}
	if (i < argc && strcmp(argv[i], "__reconcile") == 0)
		return 2;
	if (i < argc && strcmp(argv[i], "exec") == 0)
		return 3;
	if (i < argc && strcmp(argv[i], "__slurm-prepare") == 0)
		return in_slurm_step_cgroup() ? 0 : 4;
	if (i < argc && (strcmp(argv[i], "start") == 0 || strcmp(argv[i], "restart") == 0)) {
		// Go checked the containers' networks and re-executed the command
		// with _RRUN_WARM_START=1 (cmd/rrun/warmstart.go): a run's handling.
		const char *w = getenv("_RRUN_WARM_START");
		return w && strcmp(w, "1") == 0;
	}
	if (i >= argc || strcmp(argv[i], "run") != 0)
		return 0;
	return warm_network(argv, i + 1, argc);
}

// holder_record is the first line of RUNDIR/holder, written by Go.
struct holder_record {
	int pid;
	unsigned long long start, dev, ino, size, mtime;
	char mapping[16];
};

static int read_record(const char *dir, struct holder_record *r) {
	char path[PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/holder", dir);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	int n = fscanf(f, "%d %llu %llu %llu %llu %llu %15s", &r->pid, &r->start, &r->dev, &r->ino, &r->size, &r->mtime, r->mapping);
	fclose(f);
	return n == 7 ? 0 : -1;
}

// start_time is field 22 of /proc/PID/stat (0 when the pid is gone).
static unsigned long long start_time(int pid) {
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	unsigned long long v = 0;
	unsigned int flags = 0;
	if (p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return 0; // a dead holder nobody reaped is no holder
	// after ") " come fields 3..: state is field 3, flags field 9, start
	// time field 22. An exiting holder (PF_EXITING: killed, tearing its
	// namespaces down) is no holder either.
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu", &flags, &v) != 2)
		return 0;
	return flags & 0x4 ? 0 : v;
}

static int same_binary(const struct holder_record *r) {
	struct stat st;
	if (stat("/proc/self/exe", &st) < 0)
		return 0;
	unsigned long long mtime = (unsigned long long)st.st_mtim.tv_sec * 1000000000ULL + st.st_mtim.tv_nsec;
	return r->dev == (unsigned long long)st.st_dev && r->ino == (unsigned long long)st.st_ino &&
	       r->size == (unsigned long long)st.st_size && r->mtime == mtime;
}

static int usable(const struct holder_record *r) {
	char path[64];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%d", r->pid);
	if (stat(path, &st) < 0 || st.st_uid != getuid())
		return snprintf(rrun_join_reason, sizeof(rrun_join_reason), "holder %d is gone", r->pid), 0;
	if (start_time(r->pid) != r->start)
		return snprintf(rrun_join_reason, sizeof(rrun_join_reason), "holder %d is gone", r->pid), 0;
	if (!same_binary(r))
		return snprintf(rrun_join_reason, sizeof(rrun_join_reason), "holder %d runs another rrun binary", r->pid), 0;
	return 1;
}

static int open_ns(int pid, const char *ns) {
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, ns);
	return open(path, O_RDONLY | O_CLOEXEC);
}

// join_holder enters r's user then mount namespace and returns to the
// working directory. A failure after the user namespace was entered
// cannot be undone: the process exits 125.
static int join_holder(const struct holder_record *r) {
	int userfd = open_ns(r->pid, "user"), mntfd = open_ns(r->pid, "mnt");
	int ok = userfd >= 0 && mntfd >= 0 && start_time(r->pid) == r->start; // not a recycled pid
	char cwd[PATH_MAX];
	int cwdfd = open(".", O_PATH | O_CLOEXEC);
	int havecwd = getcwd(cwd, sizeof(cwd)) != NULL;
	if (ok && setns(userfd, CLONE_NEWUSER) < 0)
		ok = 0, snprintf(rrun_join_reason, sizeof(rrun_join_reason), "setns user: %s", strerror(errno));
	else if (ok && setns(mntfd, CLONE_NEWNS) < 0) {
		fprintf(stderr, "rrun: failed to join the session holder %d: setns mount: %s (set RRUN_HOLDER=0 to do without)\n", r->pid, strerror(errno));
		_exit(125);
	}
	if (ok && !(havecwd && chdir(cwd) == 0) && cwdfd >= 0)
		(void)!fchdir(cwdfd); // a cwd that is gone: Go reports it when it matters
	if (userfd >= 0)
		close(userfd);
	if (mntfd >= 0)
		close(mntfd);
	if (cwdfd >= 0)
		close(cwdfd);
	return ok ? 0 : -1;
}

__attribute__((constructor)) static void rrun_join_init(int argc, char **argv, char **envp) {
	inherit_tag();
	if (argc >= 2 && strcmp(argv[1], "__holder") == 0)
		holder_main(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "__prefork") == 0) {
		rrun_prefork_child_init(argc, argv);
		return;
	}
	const char *off = getenv("RRUN_HOLDER"), *idle = getenv("RRUN_SESSION_IDLE_TIMEOUT");
	if (getenv("_RRUN_IN_SESSION") || getenv("_RRUN_ROOTLESSKIT_PIPEFD") || (off && strcmp(off, "0") == 0) ||
	    (idle && (strcmp(idle, "0") == 0 || strcmp(idle, "0s") == 0)))
		return;
	int verb = warm_verb(argc, argv);
	if (!verb)
		return;
	rrun_join_start_ns = now_ns();
	rrun_join_uid = getuid(), rrun_join_gid = getgid();
	rrun_join_state = verb == 1 ? JOIN_WANTED : JOIN_NONE;
	if (run_dir(rrun_join_rundir, sizeof(rrun_join_rundir)) < 0)
		return;
	struct holder_record r;
	memset(&r, 0, sizeof(r));
	if (read_record(rrun_join_rundir, &r) < 0) {
		snprintf(rrun_join_reason, sizeof(rrun_join_reason), "no holder");
		return;
	}
	if (!usable(&r))
		return;
	// A keep-id step container (no --remap-root) needs the subordinate
	// range: with the single-uid mapping it keeps a session of its own
	// (cmd/rrun's slurmSessionMode).
	if (verb == 4 && strcmp(r.mapping, "single") == 0 && !has_arg(argc, argv, 1, "--remap-root"))
		return;
	if (verb == 1 || verb == 3 || verb == 4)
		rrun_prefork_try(argc, argv, envp, rrun_join_rundir, r.pid, verb); // returns when not served
	if (verb == 3)
		return;
	if (join_holder(&r) < 0)
		return;
	rrun_join_state = JOIN_JOINED;
	rrun_join_pid = r.pid;
	snprintf(rrun_join_mapping, sizeof(rrun_join_mapping), "%s", r.mapping);
	rrun_join_done_ns = now_ns();
}
