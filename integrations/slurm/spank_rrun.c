/*
 * spank_rrun: a SPANK plugin that runs each task of a Slurm job step inside
 * an rrun container (srun --container-image=IMAGE cmd), in the spirit of
 * NVIDIA's pyxis for enroot.
 *
 * A thin shim: all container logic is in rrun. Per step and node,
 * slurm_spank_user_init runs `rrun __slurm-prepare` as the job's user, which
 * pulls the image when missing, starts a holder container (a paused pid 1)
 * and prints the holder's pid. Each task then, in slurm_spank_task_init (its
 * own process, as the user, just before Slurm execs the command), takes the
 * holder's environment and working directory, joins its user, ipc, uts, pid
 * and mount namespaces and enters that directory. Joining a pid namespace only moves the
 * children, so the task forks: the child takes on the container's confinement
 * (its seccomp filter, capability sets and no_new_privs, which
 * __slurm-prepare printed, and no fds but stdio and PMI_FD) and returns to
 * Slurm, which execs the command inside the container; the parent relays signals and passes on the
 * exit status. At the step's end (also after scancel or a time limit),
 * slurm_spank_exit kills the step's holder through a pidfd taken in
 * user_init, and the container's monitor removes the container (it runs
 * with --rm); when slurmstepd itself is killed, the node's next prepare
 * does. slurm_spank_job_epilog removes every container left of the job on
 * the node (the --container-name ones).
 *
 * plugstack.conf arguments: rrun=PATH (default: rrun from the job's PATH),
 * dir=PATTERN (per-node rrun data and run dirs; %U uid, %u user, %n node,
 * %j job id; default: rrun's own XDG dirs).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <slurm/slurm.h>
#include <slurm/spank.h>

SPANK_PLUGIN(rrun, 1);

#define OUT_MAX (256 * 1024)
/* How long the epilog waits for `rrun __slurm-cleanup` (seconds): a
 * removal takes well under a second; one stuck past this is killed and
 * logged, and the node goes on to its next job. */
#define CLEANUP_LIMIT 300

/* What the options and plugstack.conf asked for, per slurmstepd. */
static struct {
	char *image, *mounts, *workdir, *env, *name, *isolation, *storage;
	int remap_root; /* -1: not given */
	int readonly, entrypoint;
	char *rrun, *dir;
} opt = {.remap_root = -1};

/* What __slurm-prepare answered, inherited by the tasks (forked after user_init). */
static struct {
	int ready, failed;
	pid_t pid;
	int pidfd; /* the holder of a step's own container, killed at the step's end; -1: none */
	char **entrypoint;
	int nentry;
	char cname[256];
	/* The container's confinement (__slurm-prepare's caps, nnp, seccomp lines). */
	int have_caps, nnp;
	uint64_t cap_inh, cap_prm, cap_eff, cap_bnd, cap_amb;
	unsigned int seccomp_flags;
	struct sock_filter *bpf; /* NULL: the container has no filter */
	unsigned short nbpf;
} prep = {.pidfd = -1};

static int set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v ? v : "");
	return *dst ? 0 : -1;
}

static int cb_image(int v, const char *a, int r) { return set_str(&opt.image, a); }
static int cb_mounts(int v, const char *a, int r) { return set_str(&opt.mounts, a); }
static int cb_workdir(int v, const char *a, int r) { return set_str(&opt.workdir, a); }
static int cb_env(int v, const char *a, int r) { return set_str(&opt.env, a); }
static int cb_name(int v, const char *a, int r) { return set_str(&opt.name, a); }
static int cb_isolation(int v, const char *a, int r) { return set_str(&opt.isolation, a); }
static int cb_storage(int v, const char *a, int r) { return set_str(&opt.storage, a); }
static int cb_remap(int v, const char *a, int r) { opt.remap_root = v; return 0; }
static int cb_readonly(int v, const char *a, int r) { opt.readonly = 1; return 0; }
static int cb_entrypoint(int v, const char *a, int r) { opt.entrypoint = 1; return 0; }

struct spank_option spank_options[] = {
	{"container-image", "[REGISTRY/]IMAGE[:TAG]", "[rrun] run the tasks in a container of this image (pulled on each node when missing)", 1, 0, cb_image},
	{"container-mounts", "SRC:DST[:ro][,...]", "[rrun] bind mounts into the container", 1, 0, cb_mounts},
	{"container-workdir", "PATH", "[rrun] working directory inside the container", 1, 0, cb_workdir},
	{"container-env", "NAME[,NAME...]", "[rrun] variables whose values from the job override the image's", 1, 0, cb_env},
	{"container-name", "NAME", "[rrun] one container per job and node, reused by later steps of the job", 1, 0, cb_name},
	{"container-remap-root", NULL, "[rrun] run as root inside the container (uid 0 = you)", 0, 1, cb_remap},
	{"no-container-remap-root", NULL, "[rrun] run with your own uid inside the container (default)", 0, 0, cb_remap},
	{"container-readonly", NULL, "[rrun] read-only root filesystem", 0, 0, cb_readonly},
	{"container-entrypoint", NULL, "[rrun] run the image's entrypoint before the command", 0, 0, cb_entrypoint},
	{"container-isolation", "NAME", "[rrun] rrun isolation backend", 1, 0, cb_isolation},
	{"container-storage", "NAME", "[rrun] rrun storage backend", 1, 0, cb_storage},
	SPANK_OPTIONS_TABLE_END};

static void parse_plugstack(int ac, char **av)
{
	for (int i = 0; i < ac; i++) {
		if (strncmp(av[i], "rrun=", 5) == 0)
			set_str(&opt.rrun, av[i] + 5);
		else if (strncmp(av[i], "dir=", 4) == 0)
			set_str(&opt.dir, av[i] + 4);
		else
			slurm_error("rrun: unknown plugstack.conf argument %s (known: rrun=PATH, dir=PATTERN)", av[i]);
	}
}

int slurm_spank_init(spank_t sp, int ac, char **av)
{
	parse_plugstack(ac, av);
	/* sbatch and salloc know the options only when registered here; srun
	 * and slurmstepd would also read the table. */
	if (spank_context() == S_CTX_ALLOCATOR)
		for (struct spank_option *o = spank_options; o->name; o++)
			if (spank_option_register(sp, o) != ESPANK_SUCCESS)
				slurm_error("rrun: cannot register --%s", o->name);
	return 0;
}

/* Appends s to buf (cap bytes), keeping it NUL-terminated. */
static void cat(char *buf, size_t cap, const char *s)
{
	size_t n = strlen(buf);
	if (n + 1 < cap)
		snprintf(buf + n, cap - n, "%s", s);
}

/* expand writes PATTERN with %U, %u, %n, %j replaced. */
static void expand(char *out, size_t cap, const char *pat, uid_t uid, const char *node, uint32_t job)
{
	char tmp[64];
	out[0] = 0;
	for (const char *p = pat; *p; p++) {
		if (*p != '%' || !p[1]) {
			char c[2] = {*p, 0};
			cat(out, cap, c);
			continue;
		}
		p++;
		if (*p == 'U') {
			snprintf(tmp, sizeof tmp, "%u", (unsigned)uid);
			cat(out, cap, tmp);
		} else if (*p == 'u') {
			struct passwd *pw = getpwuid(uid);
			cat(out, cap, pw ? pw->pw_name : "unknown");
		} else if (*p == 'n') {
			cat(out, cap, node);
		} else if (*p == 'j') {
			snprintf(tmp, sizeof tmp, "%u", job);
			cat(out, cap, tmp);
		} else {
			char c[3] = {'%', *p, 0};
			cat(out, cap, c);
		}
	}
}

/* Everything one rrun invocation needs, gathered in the parent. */
struct job {
	uid_t uid;
	gid_t gid;
	uint32_t jobid, stepid;
	char node[128];
	char base[1024]; /* expanded dir=, or empty */
	char **env;      /* the job's environment (may be NULL) */
};

static const char *envget(char **env, const char *key)
{
	size_t n = strlen(key);
	for (char **e = env; e && *e; e++)
		if (strncmp(*e, key, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

/* find_rrun resolves the rrun binary: plugstack's rrun=, else PATH of the job. */
static int find_rrun(const struct job *j, char *out, size_t cap)
{
	if (opt.rrun && *opt.rrun) {
		snprintf(out, cap, "%s", opt.rrun);
		return 0;
	}
	if (j->base[0] && !j->env) { /* the epilog: the binary the job's prepare recorded on this node */
		char marker[1100];
		snprintf(marker, sizeof marker, "%s/jobs/%u", j->base, j->jobid);
		int fd = open(marker, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, out, cap - 1) : -1;
		if (fd >= 0)
			close(fd);
		if (n > 0 && out[0] == '/') {
			out[n] = 0;
			return 0;
		}
		snprintf(marker, sizeof marker, "%s/rrun", j->base); /* an older rrun's record */
		n = readlink(marker, out, cap - 1);
		if (n > 0) {
			out[n] = 0;
			return 0;
		}
	}
	const char *path = envget(j->env, "PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	char *dup = strdup(path), *save = NULL;
	for (char *d = strtok_r(dup, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(out, cap, "%s/rrun", d);
		if (access(out, X_OK) == 0) {
			free(dup);
			return 0;
		}
	}
	free(dup);
	return -1;
}

/* child_exec runs in the forked child: become the user for good, set the env, exec.
 * A detached child (a grandchild whose parent exits at once) must not ask for
 * SIGKILL at its parent's death: it would be killed as it starts. */
static void child_exec(const struct job *j, char **argv, int outfd, int errfd, int detached)
{
	if (outfd >= 0)
		dup2(outfd, 1);
	if (errfd >= 0)
		dup2(errfd, 2);
	int devnull = open("/dev/null", O_RDONLY);
	if (devnull >= 0)
		dup2(devnull, 0);
	/* user_init runs with the euid dropped temporarily; take it back to drop it for good. */
	if (geteuid() != 0 && getuid() == 0 && seteuid(0) != 0)
		_exit(126);
	if (getuid() == 0 || geteuid() == 0) {
		if (setgroups(0, NULL) != 0 || setresgid(j->gid, j->gid, j->gid) != 0 ||
		    setresuid(j->uid, j->uid, j->uid) != 0) {
			fprintf(stderr, "rrun: cannot switch to uid %u: %s\n", (unsigned)j->uid, strerror(errno));
			_exit(126);
		}
	}
	if (!detached)
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	clearenv();
	for (char **e = j->env; e && *e; e++)
		putenv(*e);
	struct passwd *pw = getpwuid(j->uid);
	if (!getenv("HOME") && pw)
		setenv("HOME", pw->pw_dir, 1);
	if (!getenv("PATH"))
		setenv("PATH", "/usr/local/bin:/usr/bin:/bin", 1);
	if (j->base[0]) {
		char p[1200];
		snprintf(p, sizeof p, "%s/data", j->base);
		setenv("XDG_DATA_HOME", p, 1);
		snprintf(p, sizeof p, "%s/run", j->base);
		setenv("XDG_RUNTIME_DIR", p, 1);
		setenv("RRUN_SLURM_DIR", j->base, 1);
	}
	setenv("RRUN_SLURM_NODE", j->node, 1);
	if (chdir("/") != 0)
		_exit(126);
	execv(argv[0], argv);
	fprintf(stderr, "rrun: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* A command started by run_start, whose output run_collect reads. */
struct running {
	pid_t pid; /* 0: none */
	int out, err;
};

/* run_start starts argv as the job's user with its stdout and stderr on
 * pipes. With detach, the command runs in a grandchild in its own session,
 * reparented away from slurmstepd: at step end Slurm signals every process
 * descended from slurmstepd, and a cleanup must outlive that. */
static int run_start(const struct job *j, char **argv, int detach, struct running *r)
{
	int op[2], ep[2];
	if (pipe2(op, O_CLOEXEC) != 0)
		return -1;
	if (pipe2(ep, O_CLOEXEC) != 0) {
		close(op[0]);
		close(op[1]);
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(op[0]), close(op[1]), close(ep[0]), close(ep[1]);
		return -1;
	}
	if (pid == 0) {
		if (detach) {
			setsid(); /* the grandchild's process group is this pid */
			pid_t g = fork();
			if (g != 0)
				_exit(g < 0 ? 1 : 0);
		} else {
			setpgid(0, 0);
		}
		child_exec(j, argv, op[1], ep[1], detach);
	}
	close(op[1]);
	close(ep[1]);
	*r = (struct running){.pid = pid, .out = op[0], .err = ep[0]};
	return 0;
}

/* run_collect reads r's stdout (out) and stderr (err) to their end and
 * returns its exit status or -1 (detached: 0, or 1 when it printed anything
 * on stderr). With limit > 0 it waits at most limit seconds for the
 * command's output to end: past that, the command's process group is
 * killed and -1 returned with the reason in err (an epilog that never
 * returns would keep the node from every later job). */
static int run_collect(struct running *r, const char *what, char *out, size_t cap, char *err, size_t ecap, int detach, int limit)
{
	/* Both pipes at once: a command that fills one while the other is
	 * read would block. */
	struct pollfd pf[2] = {{.fd = r->out, .events = POLLIN}, {.fd = r->err, .events = POLLIN}};
	char *buf[2] = {out, err};
	size_t len[2] = {0, 0}, size[2] = {cap, ecap};
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int timed_out = 0;
	while (pf[0].fd >= 0 || pf[1].fd >= 0) {
		int wait = -1;
		if (limit > 0) {
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			long ms = (long)limit * 1000 - ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000);
			if (ms <= 0) {
				timed_out = 1;
				break;
			}
			wait = (int)ms;
		}
		int n = poll(pf, 2, wait);
		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; n > 0 && i < 2; i++) {
			if (pf[i].fd < 0 || !pf[i].revents)
				continue;
			char scratch[4096], *dst = scratch;
			size_t room = sizeof scratch;
			if (len[i] + 1 < size[i])
				dst = buf[i] + len[i], room = size[i] - 1 - len[i];
			ssize_t got = read(pf[i].fd, dst, room);
			if (got > 0 && dst != scratch)
				len[i] += (size_t)got;
			else if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) {
				close(pf[i].fd);
				pf[i].fd = -1;
			}
		}
	}
	for (int i = 0; i < 2; i++)
		if (pf[i].fd >= 0)
			close(pf[i].fd);
	out[len[0]] = 0;
	err[len[1]] = 0;
	pid_t pid = r->pid;
	r->pid = 0;
	if (timed_out) {
		kill(-pid, SIGKILL);
		snprintf(err, ecap, "%s did not finish in %d s (killed; see the node's rrun logs)", what, limit);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (timed_out)
		return -1;
	if (detach)
		return len[1] > 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* run_rrun runs argv as the job's user (run_start) and collects its output
 * (run_collect). */
static int run_rrun(const struct job *j, char **argv, char *out, size_t cap, char *err, size_t ecap, int detach, int limit)
{
	struct running r;
	if (run_start(j, argv, detach, &r) != 0)
		return -1;
	char what[1200];
	snprintf(what, sizeof what, "%s %s", argv[0], argv[1] ? argv[1] : "");
	return run_collect(&r, what, out, cap, err, ecap, detach, limit);
}

static int job_of(spank_t sp, struct job *j, int with_env)
{
	memset(j, 0, sizeof *j);
	if (spank_get_item(sp, S_JOB_UID, &j->uid) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_ID, &j->jobid) != ESPANK_SUCCESS)
		return -1;
	if (spank_get_item(sp, S_JOB_GID, &j->gid) != ESPANK_SUCCESS) { /* not in the epilog */
		struct passwd *pw = getpwuid(j->uid);
		if (!pw)
			return -1;
		j->gid = pw->pw_gid;
	}
	if (spank_get_item(sp, S_JOB_STEPID, &j->stepid) != ESPANK_SUCCESS)
		j->stepid = 0;
	const char *node = getenv("SLURMD_NODENAME");
	char buf[128];
	if (!node && spank_getenv(sp, "SLURMD_NODENAME", buf, sizeof buf) == ESPANK_SUCCESS)
		node = buf;
	if (!node) {
		gethostname(buf, sizeof buf);
		node = buf;
	}
	snprintf(j->node, sizeof j->node, "%s", node);
	if (with_env && spank_get_item(sp, S_JOB_ENV, &j->env) != ESPANK_SUCCESS)
		j->env = NULL;
	if (opt.dir && *opt.dir)
		expand(j->base, sizeof j->base, opt.dir, j->uid, j->node, j->jobid);
	return 0;
}

/* Trims trailing newlines and returns the last line of s. */
static const char *last_line(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = 0;
	char *l = strrchr(s, '\n');
	return l ? l + 1 : s;
}

/* parse_seccomp reads "FLAGS HEXBPF" (a struct sock_filter[] in hex).
 * Each byte is decoded from a copy of its two digits: sscanf on the line
 * itself takes the length of the rest of the line on every call, ~100 MB
 * scanned per step and node for docker's profile (~10 KB of BPF), in
 * slurmstepd before the tasks could start. */
static int parse_seccomp(const char *s)
{
	char *end;
	prep.seccomp_flags = (unsigned int)strtoul(s, &end, 10);
	if (*end != ' ')
		return -1;
	const char *hex = end + 1;
	size_t len = strlen(hex), n = len / 2;
	if (len % 2 != 0 || n == 0 || n % sizeof(struct sock_filter) != 0 || n / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return -1;
	unsigned char *b = malloc(n);
	if (!b)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char pair[3] = {hex[2 * i], hex[2 * i + 1], 0};
		if (!isxdigit((unsigned char)pair[0]) || !isxdigit((unsigned char)pair[1])) {
			free(b);
			return -1;
		}
		b[i] = (unsigned char)strtoul(pair, NULL, 16);
	}
	prep.bpf = (struct sock_filter *)b;
	prep.nbpf = (unsigned short)(n / sizeof(struct sock_filter));
	return 0;
}

/* parse_prepare reads __slurm-prepare's answer: "pid N", the container's
 * confinement ("caps INH PRM EFF BND AMB", "nnp 0|1", "seccomp FLAGS HEX")
 * and, with --container-entrypoint, "entrypoint ARG" lines, then "ready".
 * Without the caps line (an rrun older than the plugin) the step fails: a
 * task never runs less confined than its container; without "ready" the
 * prepare failed midway. */
static int parse_prepare(char *out)
{
	char *save = NULL;
	int ready = 0;
	for (char *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, "pid ", 4) == 0) {
			prep.pid = (pid_t)atol(l + 4);
		} else if (strncmp(l, "caps ", 5) == 0) {
			unsigned long long c[5];
			if (sscanf(l + 5, "%llx %llx %llx %llx %llx", &c[0], &c[1], &c[2], &c[3], &c[4]) != 5)
				return -1;
			prep.cap_inh = c[0], prep.cap_prm = c[1], prep.cap_eff = c[2], prep.cap_bnd = c[3], prep.cap_amb = c[4];
			prep.have_caps = 1;
		} else if (strncmp(l, "nnp ", 4) == 0) {
			prep.nnp = atoi(l + 4) != 0;
		} else if (strncmp(l, "seccomp ", 8) == 0) {
			if (parse_seccomp(l + 8) != 0)
				return -1;
		} else if (strcmp(l, "ready") == 0) {
			ready = 1;
		} else if (strncmp(l, "entrypoint ", 11) == 0) {
			prep.entrypoint = realloc(prep.entrypoint, sizeof(char *) * (prep.nentry + 2));
			prep.entrypoint[prep.nentry++] = strdup(l + 11);
			prep.entrypoint[prep.nentry] = NULL;
		}
	}
	return prep.pid > 0 && prep.have_caps && ready ? 0 : -1;
}

static int is_step(spank_t sp, struct job *j)
{
	/* The batch script and the extern step run on the host, as with pyxis. */
	return j->stepid != SLURM_BATCH_SCRIPT && j->stepid != SLURM_EXTERN_CONT &&
	       j->stepid != SLURM_INTERACTIVE_STEP;
}

static void container_name(const struct job *j)
{
	if (opt.name && *opt.name)
		snprintf(prep.cname, sizeof prep.cname, "slurm-%u-%s-%s", j->jobid, opt.name, j->node);
	else
		snprintf(prep.cname, sizeof prep.cname, "slurm-%u.%u-%s", j->jobid, j->stepid, j->node);
}

#define ARGV_MAX 48

static int prepare_argv(const struct job *j, char *rrun, char **argv)
{
	static char jobid[32], stepd[32];
	int n = 0;
	argv[n++] = rrun;
	if (opt.storage && *opt.storage) {
		argv[n++] = "--storage";
		argv[n++] = opt.storage;
	}
	if (opt.isolation && *opt.isolation) {
		argv[n++] = "--isolation";
		argv[n++] = opt.isolation;
	}
	argv[n++] = "__slurm-prepare";
	argv[n++] = "--name";
	argv[n++] = prep.cname;
	snprintf(jobid, sizeof jobid, "%u", j->jobid);
	argv[n++] = "--job";
	argv[n++] = jobid;
	if (opt.mounts && *opt.mounts) {
		argv[n++] = "--mounts";
		argv[n++] = opt.mounts;
	}
	if (opt.workdir && *opt.workdir) {
		argv[n++] = "--workdir";
		argv[n++] = opt.workdir;
	}
	static char user[64];
	if (opt.remap_root == 1) {
		argv[n++] = "--remap-root";
	} else {
		snprintf(user, sizeof user, "%u:%u", (unsigned)j->uid, (unsigned)j->gid);
		argv[n++] = "--user";
		argv[n++] = user;
	}
	if (opt.readonly)
		argv[n++] = "--readonly";
	if (opt.entrypoint)
		argv[n++] = "--entrypoint";
	if (opt.name && *opt.name) {
		argv[n++] = "--reuse";
	} else {
		snprintf(stepd, sizeof stepd, "%d", (int)getpid());
		argv[n++] = "--stepd";
		argv[n++] = stepd;
	}
	argv[n++] = opt.image;
	argv[n] = NULL;
	return n;
}

/* The step's prepare, started early: slurm_spank_init_post_opt starts it
 * as soon as slurmstepd has the step, and slurm_spank_user_init reads its
 * answer, so that the prepare (tens of ms) runs while slurmstepd sets up
 * the step (its topology, PAM, I/O, ...) instead of after. */
static struct running early;

/* early_allowed: where Slurm tracks steps by cgroup, slurmstepd moves
 * into the step's cgroups around slurm_spank_init_post_opt (proctrack/cgroup
 * before it, task/cgroup after it), and the prepare must start from them
 * (it keeps a session of its own there: docs/slurm.md). With a cgroup
 * plugin the prepare is started in slurm_spank_user_init, as before. */
static int early_allowed(void)
{
	const slurm_conf_t *c = dlsym(RTLD_DEFAULT, "slurm_conf");
	if (!c)
		return 0;
	return !(c->task_plugin && strstr(c->task_plugin, "cgroup")) &&
	       !(c->proctrack_type && strstr(c->proctrack_type, "cgroup"));
}

/* step_job fills j when this step runs in a container (remote context,
 * an image given, not the batch script or the extern step). */
static int step_job(spank_t sp, struct job *j)
{
	return opt.image && *opt.image && spank_remote(sp) == 1 && job_of(sp, j, 1) == 0 && is_step(sp, j);
}

/* start_prepare starts the step's __slurm-prepare: 0, or -1 when rrun is
 * not in the job's PATH, -2 when it cannot be started (errno says why). */
static int start_prepare(const struct job *j)
{
	char rrun[1024];
	if (find_rrun(j, rrun, sizeof rrun) != 0)
		return -1;
	container_name(j);
	char *argv[ARGV_MAX];
	prepare_argv(j, rrun, argv);
	/* Detached: the prepare may go on as the container's monitor once it
	 * announced the container (its stdout and stderr then end); its last
	 * line, "ready", says the announcement is complete. */
	return run_start(j, argv, 1, &early) == 0 ? 0 : -2;
}

int slurm_spank_init_post_opt(spank_t sp, int ac, char **av)
{
	struct job j;
	if (spank_context() == S_CTX_REMOTE && early_allowed() && step_job(sp, &j))
		start_prepare(&j); /* a failure is said by slurm_spank_user_init, which starts it again */
	return 0;
}

/* finish_prepare reads the answer of the prepare started, and takes a
 * pidfd of the container's holder. */
static void finish_prepare(const struct job *j)
{
	char *out = calloc(1, OUT_MAX), err[8192];
	if (!out) {
		slurm_error("rrun: node %s: out of memory", j->node);
		prep.failed = 1;
		return;
	}
	run_collect(&early, "rrun __slurm-prepare", out, OUT_MAX, err, sizeof err, 1, 0);
	if (parse_prepare(out) != 0) {
		const char *line = last_line(err);
		if (strncmp(line, "rrun: ", 6) == 0)
			line += 6;
		slurm_error("rrun: node %s: %s", j->node, *line ? line : "rrun __slurm-prepare failed without a message (run rrun doctor on the node)");
		free(out);
		/* Each task then exits 125 (rrun's own failure, as docker's): a
		 * failed user_init would leave srun's exit status 0. */
		prep.failed = 1;
		return;
	}
	free(out);
	prep.ready = 1;
	if (!opt.name || !*opt.name) {
		/* A step's own container ends with the step (slurm_spank_exit).
		 * The pidfd is close-on-exec, and the tasks close it anyway. */
		prep.pidfd = (int)syscall(SYS_pidfd_open, prep.pid, 0);
		if (prep.pidfd < 0)
			slurm_info("rrun: node %s: cannot watch the container's holder %d (%s); the node's next step removes the container",
			           j->node, (int)prep.pid, strerror(errno));
	}
}

int slurm_spank_user_init(spank_t sp, int ac, char **av)
{
	struct job j;
	if (!step_job(sp, &j))
		return 0;
	int rc = early.pid ? 0 : start_prepare(&j);
	if (rc == -1)
		slurm_error("rrun: node %s: rrun not found in the job's PATH (install rrun on every node, or set rrun=PATH in plugstack.conf)", j.node);
	else if (rc == -2)
		slurm_error("rrun: node %s: cannot start rrun __slurm-prepare: %s", j.node, strerror(errno));
	if (rc != 0) {
		prep.failed = 1;
		return 0;
	}
	finish_prepare(&j);
	return 0;
}

/* slurm_spank_exit, in slurmstepd at the step's end however it ended (the
 * tasks are gone): kill the step's holder. Its monitor sees the container
 * end and removes it with the node's warm plugins. */
int slurm_spank_exit(spank_t sp, int ac, char **av)
{
	if (spank_remote(sp) != 1)
		return 0;
	if (early.pid) { /* started, but the step ended before user_init read it */
		struct job j;
		if (job_of(sp, &j, 0) == 0)
			finish_prepare(&j);
	}
	if (prep.pidfd < 0)
		return 0;
	if (syscall(SYS_pidfd_send_signal, prep.pidfd, SIGKILL, NULL, 0) != 0 && errno != ESRCH)
		slurm_error("rrun: cannot kill the container's holder %d: %s", (int)prep.pid, strerror(errno));
	close(prep.pidfd);
	prep.pidfd = -1;
	return 0;
}

/* in_list reports whether name is one of the comma-separated names. */
static int in_list(const char *list, const char *name, size_t len)
{
	if (!list)
		return 0;
	for (const char *p = list; *p;) {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		if (n == len && strncmp(p, name, n) == 0)
			return 1;
		if (!c)
			break;
		p = c + 1;
	}
	return 0;
}

/* apply_env gives the task the container's variables (the holder's
 * environment: the image's Env and PATH, as rrun run sets them); the job's
 * value wins for the names of --container-env (pyxis's rule). HOSTNAME is
 * rrun's, not the image's: the job keeps its own. */
static int apply_env(spank_t sp)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/environ", (int)prep.pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		slurm_error("rrun: cannot read %s (the container is gone?): %s", path, strerror(errno));
		return -1;
	}
	static char buf[OUT_MAX];
	size_t n = 0;
	ssize_t r;
	while (n + 1 < sizeof buf && (r = read(fd, buf + n, sizeof buf - 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	buf[n] = 0;
	for (char *kv = buf; kv < buf + n; kv += strlen(kv) + 1) {
		char *eq = strchr(kv, '=');
		if (!eq)
			continue;
		*eq = 0;
		char cur[8];
		int has = spank_getenv(sp, kv, cur, sizeof cur) != ESPANK_ENV_NOEXIST;
		if (strcmp(kv, "HOSTNAME") != 0 && !(has && in_list(opt.env, kv, strlen(kv))))
			spank_setenv(sp, kv, eq + 1, 1);
		*eq = '=';
	}
	return 0;
}

static const char *nsnames[] = {"user", "ipc", "uts", "pid", "mnt"};
#define NNS (sizeof nsnames / sizeof nsnames[0])

/* join_container enters the holder's namespaces: user first (it gives the
 * capabilities for the others), mount last (it changes what /proc is). */
static int join_container(void)
{
	int fds[NNS];
	char path[64];
	for (size_t i = 0; i < NNS; i++) {
		snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)prep.pid, nsnames[i]);
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0) {
			slurm_error("rrun: cannot open %s (the container is gone?): %s", path, strerror(errno));
			return -1;
		}
	}
	for (size_t i = 0; i < NNS; i++) {
		if (setns(fds[i], 0) != 0) {
			slurm_error("rrun: cannot join the container's %s namespace: %s", nsnames[i], strerror(errno));
			return -1;
		}
		close(fds[i]);
	}
	return 0;
}

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* cloexec_range marks fds lo..hi close-on-exec (close_range, else one by one). */
static void cloexec_range(unsigned int lo, unsigned int hi)
{
	if (lo > hi || syscall(SYS_close_range, lo, hi, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	long max = sysconf(_SC_OPEN_MAX);
	for (long fd = lo; fd < max && (unsigned long)fd <= hi; fd++) {
		int fl = fcntl((int)fd, F_GETFD);
		if (fl >= 0)
			fcntl((int)fd, F_SETFD, fl | FD_CLOEXEC);
	}
}

/* keep_task_fds leaves the command only the fds Slurm means it to have:
 * 0-2 and the PMI fd (PMI_FD, set by the mpi plugin before task_init); every
 * other fd (what srun's caller, slurmstepd or a plugin left open) is closed
 * at exec, as in a container's own processes. */
static void keep_task_fds(spank_t sp)
{
	char v[32];
	long pmi = -1;
	if (spank_getenv(sp, "PMI_FD", v, sizeof v) == ESPANK_SUCCESS) {
		char *end;
		pmi = strtol(v, &end, 10);
		if (*end || pmi < 3)
			pmi = -1;
	}
	if (pmi < 0) {
		cloexec_range(3, ~0U);
		return;
	}
	cloexec_range(3, (unsigned int)pmi - 1);
	cloexec_range((unsigned int)pmi + 1, ~0U);
}

/* load_seccomp puts the task under the container's filter. Without
 * no_new_privs this needs CAP_SYS_ADMIN, which the task has in the
 * container's user namespace since it joined it. */
static int load_seccomp(void)
{
	if (!prep.bpf)
		return 0;
	struct sock_fprog prog = {.len = prep.nbpf, .filter = prep.bpf};
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, prep.seccomp_flags, &prog) != 0) {
		slurm_error("rrun: cannot load the container's seccomp filter: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* set_caps gives the task the container's capability sets: the bounding set
 * first (dropping needs CAP_SETPCAP), then effective, permitted and
 * inheritable, then ambient. The ids stay: the task is already the user the
 * holder runs as (uid 0 inside with --container-remap-root). */
static int set_caps(void)
{
	for (int c = 0; c < 64; c++) {
		if (prep.cap_bnd & (1ULL << c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0) {
			if (errno == EINVAL) /* past the kernel's last capability */
				break;
			slurm_error("rrun: cannot drop capability %d: %s", c, strerror(errno));
			return -1;
		}
	}
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2] = {
		{.effective = (uint32_t)prep.cap_eff, .permitted = (uint32_t)prep.cap_prm, .inheritable = (uint32_t)prep.cap_inh},
		{.effective = (uint32_t)(prep.cap_eff >> 32), .permitted = (uint32_t)(prep.cap_prm >> 32), .inheritable = (uint32_t)(prep.cap_inh >> 32)},
	};
	if (syscall(SYS_capset, &hdr, data) != 0) {
		slurm_error("rrun: cannot set the container's capabilities: %s", strerror(errno));
		return -1;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
		slurm_error("rrun: cannot clear ambient capabilities: %s", strerror(errno));
		return -1;
	}
	for (int c = 0; c < 64; c++)
		if ((prep.cap_amb & (1ULL << c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) != 0) {
			slurm_error("rrun: cannot raise ambient capability %d: %s", c, strerror(errno));
			return -1;
		}
	return 0;
}

/* confine_task makes the task (inside the container's namespaces, just
 * before Slurm execs the command) what the container's own processes are:
 * its fds, capability sets, no_new_privs and seccomp filter, in the order
 * the container's init uses. Without no_new_privs the filter comes before
 * the capabilities are dropped (it needs CAP_SYS_ADMIN); the few calls left
 * (capset, prctl, and Slurm's own until execve) are ones docker's profile
 * allows. */
static int confine_task(spank_t sp)
{
	keep_task_fds(sp);
	if (!prep.nnp && load_seccomp() != 0)
		return -1;
	if (set_caps() != 0)
		return -1;
	if (prep.nnp) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
			slurm_error("rrun: cannot set no_new_privs: %s", strerror(errno));
			return -1;
		}
		if (load_seccomp() != 0)
			return -1;
	}
	return 0;
}

static volatile pid_t relay_child;

static void relay(int sig)
{
	if (relay_child > 0)
		kill(relay_child, sig);
}

/* become_relay never returns: it forwards signals to the task's command
 * (the child, in the container's pid namespace) and exits as it did. */
static void become_relay(pid_t child)
{
	relay_child = child;
	struct sigaction sa = {.sa_handler = relay};
	sigemptyset(&sa.sa_mask);
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP && s != SIGCHLD)
			sigaction(s, &sa, NULL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	int st;
	while (waitpid(child, &st, 0) < 0)
		if (errno != EINTR)
			_exit(125);
	if (WIFEXITED(st))
		_exit(WEXITSTATUS(st));
	int sig = WTERMSIG(st);
	signal(sig, SIG_DFL);
	prctl(PR_SET_DUMPABLE, 0); /* no core file of the relay itself */
	kill(getpid(), sig);
	_exit(128 + sig);
}

/* exec_entrypoint runs the image's entrypoint with the task's command as
 * its arguments (--container-entrypoint); SPANK cannot change the command
 * Slurm execs, so the task execs it itself, with the task's environment. */
static void exec_entrypoint(spank_t sp)
{
	int argc = 0;
	char **argv = NULL, **env = NULL;
	if (spank_get_item(sp, S_JOB_ARGV, &argc, &argv) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_ENV, &env) != ESPANK_SUCCESS)
		return;
	char **all = calloc(prep.nentry + argc + 1, sizeof(char *));
	if (!all)
		_exit(125);
	for (int i = 0; i < prep.nentry; i++)
		all[i] = prep.entrypoint[i];
	for (int i = 0; i < argc; i++)
		all[prep.nentry + i] = argv[i];
	environ = env;
	execvp(all[0], all);
	fprintf(stderr, "rrun: cannot run the entrypoint %s: %s\n", all[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

int slurm_spank_task_init(spank_t sp, int ac, char **av)
{
	if (prep.failed)
		_exit(125);
	if (!prep.ready)
		return 0;
	/* The holder's working directory is the image's WORKDIR or
	 * --container-workdir: open it now, enter it once inside. */
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/cwd", (int)prep.pid);
	int cwd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cwd < 0) {
		slurm_error("rrun: cannot open %s (the container is gone?): %s", path, strerror(errno));
		return -1;
	}
	if (apply_env(sp) != 0 || join_container() != 0)
		return -1;
	if (fchdir(cwd) != 0) {
		slurm_error("rrun: cannot change to the container's working directory: %s", strerror(errno));
		return -1;
	}
	close(cwd);
	pid_t child = fork();
	if (child < 0) {
		slurm_error("rrun: fork: %s", strerror(errno));
		return -1;
	}
	if (child > 0)
		become_relay(child);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1) /* the relay died before the prctl */
		_exit(137);
	if (confine_task(sp) != 0)
		_exit(125);
	if (prep.nentry > 0)
		exec_entrypoint(sp);
	return 0;
}

/* cleanup_job removes every container of the job on this node (run as the
 * job's user from the epilog, where the job has no PATH: the rrun binary is
 * the one the prepare step recorded). */
static void cleanup_job(const struct job *j)
{
	char rrun[1024];
	if (find_rrun(j, rrun, sizeof rrun) != 0)
		return;
	char jobid[32];
	snprintf(jobid, sizeof jobid, "%u", j->jobid);
	char *argv[] = {rrun, "__slurm-cleanup", "--job", jobid, NULL};
	char out[4096], err[4096];
	if (run_rrun(j, argv, out, sizeof out, err, sizeof err, 1, CLEANUP_LIMIT) != 0)
		slurm_error("rrun: node %s: removing the containers of job %u: %s", j->node, j->jobid, last_line(err));
	else
		slurm_info("rrun: node %s: removed the containers of job %u", j->node, j->jobid);
}

int slurm_spank_job_epilog(spank_t sp, int ac, char **av)
{
	if (!opt.dir)
		parse_plugstack(ac, av);
	if (!opt.dir || !*opt.dir)
		return 0;
	struct job j;
	if (job_of(sp, &j, 0) != 0)
		return 0;
	struct stat st;
	char marker[1200];
	snprintf(marker, sizeof marker, "%s/jobs/%u", j.base, j.jobid);
	if (stat(marker, &st) != 0) /* no named container of this job on this node */
		return 0;
	slurm_info("rrun: node %s: removing the containers of job %u", j.node, j.jobid);
	cleanup_job(&j);
	return 0;
}
