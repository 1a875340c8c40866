//go:build cgo

// The C exec path. For an exec without a terminal and without a user
// namespace of its own, the plugin sets _RRUN_CEXEC and the child that
// nsenter_linux.c cloned into the container does here what execMain,
// becomeProcess and execProcess do in Go, in the same order and with the
// same messages, and execs the command: the Go runtime never starts (its
// start and the JSON decode were most of an exec's cost). The
// configuration is EncodeCExec's (cexec_linux.go). Keep the two in step.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "nsenter_linux.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

#define RRUN_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

enum { RRUN_CX_NNP = 1, RRUN_CX_SINGLE_ID_MAP = 2, RRUN_CX_CAPS = 4, RRUN_CX_UMASK = 8, RRUN_CX_SECCOMP = 16 };

// rrun_errstr is strerror as Go spells errnos: lower case first.
const char *rrun_errstr(int err) {
	static char buf[128];
	snprintf(buf, sizeof(buf), "%s", strerror(err));
	if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}

// rrun_json_str appends s to out as a JSON string; out has room for
// 6 bytes per byte of s plus the quotes.
static char *rrun_json_str(char *out, const char *s) {
	*out++ = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			*out++ = '\\';
			*out++ = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			out += sprintf(out, "\\u%04x", c);
		} else {
			*out++ = (char)c;
		}
	}
	*out++ = '"';
	return out;
}

// rrun_message sends {"type":…,"kind":…,"message":…} as the Go side's
// Message encodes; kind may be NULL.
void rrun_message(const char *type, const char *kind, const char *text) {
	char *buf = malloc(6 * strlen(text) + 128), *p;
	if (buf == NULL)
		return;
	p = buf + sprintf(buf, "{\"type\":\"%s\",", type);
	if (kind != NULL)
		p += sprintf(p, "\"kind\":\"%s\",", kind);
	p += sprintf(p, "\"message\":");
	p = rrun_json_str(p, text);
	strcpy(p, "}\n");
	rrun_send(buf);
	free(buf);
}

static char *rrun_vformat(const char *format, va_list ap) {
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, format, ap2);
	va_end(ap2);
	char *s = malloc((size_t)(n > 0 ? n : 0) + 1);
	if (s != NULL)
		vsnprintf(s, (size_t)n + 1, format, ap);
	return s;
}

void rrun_logf(const char *format, ...) {
	va_list ap;
	va_start(ap, format);
	char *s = rrun_vformat(format, ap);
	va_end(ap);
	if (s != NULL)
		rrun_message("log", NULL, s);
	free(s);
}

// rrun_failf is initChannel.fail: an error message, exit 1.
void __attribute__((noreturn)) rrun_failf(const char *format, ...) {
	va_list ap;
	va_start(ap, format);
	char *s = rrun_vformat(format, ap);
	va_end(ap);
	rrun_message("error", NULL, s != NULL ? s : "exec: out of memory");
	_exit(1);
}

static void __attribute__((noreturn)) rrun_exec_error(const char *kind, int code, const char *format, ...) {
	va_list ap;
	va_start(ap, format);
	char *s = rrun_vformat(format, ap);
	va_end(ap);
	rrun_message("exec-error", kind, s != NULL ? s : "exec: out of memory");
	_exit(code);
}

// Reading the configuration.


const unsigned char *rrun_take(struct rrun_reader *r, size_t n) {
	const unsigned char *p = r->p;
	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = 1;
		return NULL;
	}
	r->p += n;
	return p;
}

uint32_t rrun_u32(struct rrun_reader *r) {
	uint32_t v = 0;
	const unsigned char *p = rrun_take(r, sizeof(v));
	if (p != NULL)
		memcpy(&v, p, sizeof(v));
	return v;
}

uint64_t rrun_u64(struct rrun_reader *r) {
	uint64_t v = 0;
	const unsigned char *p = rrun_take(r, sizeof(v));
	if (p != NULL)
		memcpy(&v, p, sizeof(v));
	return v;
}

// rrun_str returns a string of the configuration in place: its length,
// its bytes, a NUL.
char *rrun_str(struct rrun_reader *r) {
	uint32_t n = rrun_u32(r);
	const unsigned char *p = rrun_take(r, (size_t)n + 1);
	if (p == NULL || p[n] != 0 || memchr(p, 0, n) != NULL) {
		r->bad = 1;
		return (char *)"";
	}
	return (char *)p;
}

// rrun_count reads a list's length and allocates size bytes per entry
// (plus one, for argv's and envp's NULL).
void *rrun_count(struct rrun_reader *r, uint32_t *n, size_t size) {
	*n = rrun_u32(r);
	if (r->bad || *n > (uint32_t)(r->end - r->p)) {
		r->bad = 1;
		*n = 0;
	}
	void *v = calloc((size_t)*n + 1, size);
	if (v == NULL)
		r->bad = 1;
	return v;
}

char **rrun_strs(struct rrun_reader *r) {
	uint32_t n;
	char **v = rrun_count(r, &n, sizeof(char *));
	for (uint32_t i = 0; v != NULL && i < n; i++)
		v[i] = rrun_str(r);
	return v;
}

void rrun_read_full(int fd, void *buf, size_t n) {
	size_t off = 0;
	while (off < n) {
		ssize_t k = read(fd, (char *)buf + off, n - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			_exit(1); // the plugin went away; nobody to tell
		off += (size_t)k;
	}
}

void rrun_parse(struct rrun_reader *r, struct rrun_cexec_config *c) {
	c->version = rrun_u32(r);
	if (c->version != RRUN_PROTOCOL_VERSION)
		return;
	c->flags = rrun_u32(r), c->uid = rrun_u32(r), c->gid = rrun_u32(r);
	c->umask = rrun_u32(r), c->last_cap = rrun_u32(r);
	c->bounding = rrun_u64(r), c->effective = rrun_u64(r), c->permitted = rrun_u64(r);
	c->inheritable = rrun_u64(r), c->ambient = rrun_u64(r), c->seccomp_flags = rrun_u64(r);
	c->cwd = rrun_str(r), c->quoted_arg0 = rrun_str(r);
	c->args = rrun_strs(r), c->env = rrun_strs(r);
	c->gids = rrun_count(r, &c->ngids, sizeof(gid_t));
	for (uint32_t i = 0; c->gids != NULL && i < c->ngids; i++)
		c->gids[i] = rrun_u32(r);
	c->rlimits = rrun_count(r, &c->nrlimits, sizeof(struct rrun_rlimit));
	for (uint32_t i = 0; c->rlimits != NULL && i < c->nrlimits; i++) {
		c->rlimits[i].res = rrun_u32(r);
		c->rlimits[i].soft = rrun_u64(r), c->rlimits[i].hard = rrun_u64(r);
		c->rlimits[i].name = rrun_str(r);
	}
	c->bpf_len = rrun_u32(r);
	c->bpf = rrun_take(r, c->bpf_len);
	if (r->p != r->end || c->args == NULL || c->args[0] == NULL || c->last_cap > 63)
		r->bad = 1;
}

// rrun_read_config reads the plugin's configuration; like execMain, it
// exits quietly when the plugin is gone.
static void rrun_read_config(struct rrun_cexec_config *c) {
	struct rrun_reader r = rrun_read_message("exec");
	memset(c, 0, sizeof(*c));
	rrun_parse(&r, c);
	rrun_check_config("exec", c->version, r.bad);
}

struct rrun_reader rrun_read_message(const char *who) {
	uint32_t len;
	rrun_read_full(rrun_control_fd, &len, sizeof(len));
	if (len > (64u << 20))
		rrun_failf("%s: configuration of %u bytes is too large", who, len);
	unsigned char *buf = malloc(len);
	if (buf == NULL)
		rrun_failf("%s: out of memory", who);
	rrun_read_full(rrun_control_fd, buf, len);
	struct rrun_reader r = {buf, buf + len, 0};
	return r;
}

void rrun_check_config(const char *who, uint32_t version, int bad) {
	if (version != RRUN_PROTOCOL_VERSION)
		rrun_failf("%s speaks protocol %d, plugin sent %u", who, RRUN_PROTOCOL_VERSION, version);
	if (bad)
		rrun_failf("%s: invalid configuration from the plugin", who);
}

// Setting the process up: the steps of becomeProcess.

// rrun_mkdir_all is os.MkdirAll: on failure it returns the errno and the
// directory that could not be made in *failed.
int rrun_mkdir_all(char *path, mode_t mode, const char **failed) {
	struct stat st;
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		*failed = strdup(path);
		return ENOTDIR;
	}
	size_t i = strlen(path), j;
	while (i > 0 && path[i - 1] == '/')
		i--;
	j = i;
	while (j > 0 && path[j - 1] != '/')
		j--;
	if (j > 1) {
		char *parent = strndup(path, j - 1);
		int err = parent == NULL ? ENOMEM : rrun_mkdir_all(parent, mode, failed);
		free(parent);
		if (err != 0)
			return err;
	}
	if (mkdir(path, mode) < 0) {
		int err = errno;
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			return 0;
		*failed = strdup(path);
		return err;
	}
	return 0;
}

// rrun_enter_cwd is enterCwd.
static void rrun_enter_cwd(const char *cwd) {
	const char *failed = NULL;
	char *dir = strdup(cwd[0] == '\0' ? "/" : cwd);
	if (dir == NULL)
		rrun_failf("exec: out of memory");
	int err = rrun_mkdir_all(dir, 0755, &failed);
	if (err != 0)
		rrun_failf("failed to create working directory %s: mkdir %s: %s", dir, failed ? failed : dir, rrun_errstr(err));
	if (chdir(dir) < 0)
		rrun_failf("failed to enter working directory %s: %s", dir, rrun_errstr(errno));
	free(dir);
}

// rrun_set_rlimits is setRlimits: a limit that cannot be set is logged.
static void rrun_set_rlimits(const struct rrun_cexec_config *c) {
	for (uint32_t i = 0; i < c->nrlimits; i++) {
		const struct rrun_rlimit *rl = &c->rlimits[i];
		struct rlimit lim = {rl->soft, rl->hard};
		if (prlimit(0, (__rlimit_resource_t)rl->res, &lim, NULL) < 0)
			rrun_logf("failed to set %s to %llu/%llu: %s", rl->name, (unsigned long long)rl->soft,
				  (unsigned long long)rl->hard, rrun_errstr(errno));
	}
}

// rrun_close_extra_fds is closeExtraFds: every fd from first up is marked
// close-on-exec; the preserved fds below first stay.
static void rrun_close_extra_fds(int first) {
	if (syscall(SYS_close_range, (unsigned int)first, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	int err = errno;
	DIR *d = opendir("/proc/self/fd");
	if (d == NULL) {
		char *first_err = strdup(rrun_errstr(err));
		rrun_failf("failed to close inherited fds: %s (and open /proc/self/fd: %s)", first_err ? first_err : "?",
			   rrun_errstr(errno));
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		if (*end != '\0' || end == e->d_name || fd < first || fd == dirfd(d))
			continue;
		if (fcntl((int)fd, F_SETFD, FD_CLOEXEC) < 0 && errno != EBADF)
			rrun_failf("failed to close inherited fd %ld: %s", fd, rrun_errstr(errno));
	}
	closedir(d);
}

// rrun_load_seccomp is Seccomp.Load.
static void rrun_load_seccomp(const struct rrun_cexec_config *c) {
	if (!(c->flags & RRUN_CX_SECCOMP))
		return;
	if (c->bpf_len == 0 || c->bpf_len % sizeof(struct sock_filter) != 0)
		rrun_failf("invalid seccomp program of %u bytes", c->bpf_len);
	struct sock_fprog prog = {(unsigned short)(c->bpf_len / sizeof(struct sock_filter)), (struct sock_filter *)c->bpf};
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (unsigned long)c->seccomp_flags, &prog) < 0)
		rrun_failf("failed to load seccomp filter: %s", rrun_errstr(errno));
}

// rrun_gids_string is a gid list as Go's %v prints a []int.
static char *rrun_gids_string(const struct rrun_cexec_config *c) {
	char *s = malloc(12 * (size_t)c->ngids + 3), *p = s;
	if (s == NULL)
		return (char *)"[?]";
	*p++ = '[';
	for (uint32_t i = 0; i < c->ngids; i++)
		p += sprintf(p, i ? " %u" : "%u", (unsigned int)c->gids[i]);
	strcpy(p, "]");
	return s;
}

// rrun_set_ids is setIDs.
static void rrun_set_ids(const struct rrun_cexec_config *c) {
	if (syscall(SYS_setgroups, (size_t)c->ngids, c->gids) < 0) {
		int err = errno;
		if (!(c->flags & RRUN_CX_SINGLE_ID_MAP) || (err != EINVAL && err != EPERM))
			rrun_failf("failed to set supplementary groups %s: %s", rrun_gids_string(c), rrun_errstr(err));
		rrun_logf("supplementary groups %s not set with a single-id map: %s", rrun_gids_string(c), rrun_errstr(err));
	}
	if (syscall(SYS_setgid, c->gid) < 0)
		rrun_failf("failed to set gid %u: %s", c->gid, rrun_errstr(errno));
	if (syscall(SYS_setuid, c->uid) < 0)
		rrun_failf("failed to set uid %u: %s", c->uid, rrun_errstr(errno));
}

// rrun_apply_capabilities is applyCapabilities.
static void rrun_apply_capabilities(const struct rrun_cexec_config *c) {
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2] = {
		{(uint32_t)c->effective, (uint32_t)c->permitted, (uint32_t)c->inheritable},
		{(uint32_t)(c->effective >> 32), (uint32_t)(c->permitted >> 32), (uint32_t)(c->inheritable >> 32)},
	};
	if (syscall(SYS_capset, &hdr, data) < 0)
		rrun_failf("failed to set capabilities: %s", rrun_errstr(errno));
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		rrun_failf("failed to clear ambient capabilities: %s", rrun_errstr(errno));
	for (uint32_t n = 0; n <= c->last_cap; n++) {
		if (!(c->ambient & (1ULL << n)))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, n, 0, 0) < 0)
			rrun_failf("failed to raise ambient capability %u: %s", n, rrun_errstr(errno));
	}
}

// rrun_set_user is setUser.
static void rrun_set_user(const struct rrun_cexec_config *c) {
	int caps = c->flags & RRUN_CX_CAPS;
	if (caps) {
		for (uint32_t n = 0; n <= c->last_cap; n++) {
			if (c->bounding & (1ULL << n))
				continue;
			if (prctl(PR_CAPBSET_DROP, n, 0, 0, 0) < 0 && errno != EINVAL)
				rrun_failf("failed to drop capability %u from the bounding set: %s", n, rrun_errstr(errno));
		}
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
			rrun_failf("failed to keep capabilities across setuid: %s", rrun_errstr(errno));
	}
	rrun_set_ids(c);
	if (caps) {
		if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
			rrun_failf("failed to reset keepcaps: %s", rrun_errstr(errno));
		rrun_apply_capabilities(c);
	}
	if (c->flags & RRUN_CX_UMASK)
		umask((mode_t)c->umask);
}

// rrun_become_process is becomeProcess.
void rrun_become_process(const struct rrun_cexec_config *c) {
	int nnp = c->flags & RRUN_CX_NNP;
	rrun_enter_cwd(c->cwd);
	rrun_set_rlimits(c);
	rrun_close_extra_fds(rrun_control_fd); // the preserved fds stay
	if (!nnp)
		rrun_load_seccomp(c);
	rrun_set_user(c);
	if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		rrun_failf("failed to set no_new_privs: %s", rrun_errstr(errno));
	if (nnp)
		rrun_load_seccomp(c);
}

// Exec: execProcess.

// rrun_reset_signals is resetSignals, with the kernel's struct sigaction
// (libc's refuses the signals it keeps for itself).
static void rrun_reset_signals(void) {
	struct {
		unsigned long handler, flags, restorer;
		uint64_t mask;
	} dfl = {0, 0, 0, 0};
	uint64_t none = 0;
	for (int sig = 1; sig <= 64; sig++) {
		if (sig != SIGKILL && sig != SIGSTOP)
			syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(uint64_t));
	}
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, sizeof(uint64_t));
}

// rrun_clean is Go's filepath.Clean, in place: lookPath's filepath.Join
// cleans the path lexically, and so must this.
static void rrun_clean(char *path) {
	int rooted = path[0] == '/';
	size_t r = rooted, w = rooted, dotdot = rooted, n = strlen(path);
	while (r < n) {
		if (path[r] == '/') {
			r++;
		} else if (path[r] == '.' && (r + 1 == n || path[r + 1] == '/')) {
			r++;
		} else if (path[r] == '.' && path[r + 1] == '.' && (r + 2 == n || path[r + 2] == '/')) {
			r += 2;
			if (w > dotdot) {
				for (w--; w > dotdot && path[w] != '/'; w--)
					;
			} else if (!rooted) {
				if (w > 0)
					path[w++] = '/';
				path[w++] = '.', path[w++] = '.';
				dotdot = w;
			}
		} else {
			if ((rooted && w != 1) || (!rooted && w != 0))
				path[w++] = '/';
			for (; r < n && path[r] != '/'; r++)
				path[w++] = path[r];
		}
	}
	if (w == 0)
		path[w++] = '.';
	path[w] = '\0';
}

// rrun_look_path is lookPath: the first executable match in the
// container's PATH, else the first match, else NULL.
static char *rrun_look_path(const char *file, char **env) {
	const char *path = RRUN_DEFAULT_PATH;
	char *fallback = NULL;
	if (strchr(file, '/') != NULL)
		return (char *)file;
	for (char **e = env; *e != NULL; e++) {
		if (strncmp(*e, "PATH=", 5) == 0)
			path = *e + 5;
	}
	while (*path != '\0') { // an empty PATH has no directory, as filepath.SplitList's
		size_t n = strcspn(path, ":");
		char *p = malloc(n + strlen(file) + 3);
		struct stat st;
		if (p == NULL)
			rrun_failf("exec: out of memory");
		sprintf(p, "%.*s/%s", (int)(n ? n : 1), n ? path : ".", file);
		rrun_clean(p);
		if (stat(p, &st) == 0) {
			if (!S_ISDIR(st.st_mode) && access(p, X_OK) == 0)
				return p;
			if (fallback == NULL)
				fallback = p, p = NULL;
		}
		free(p);
		path += n;
		if (*path == ':' && *++path == '\0')
			path = "."; // a trailing colon is the current directory
	}
	return fallback;
}

void __attribute__((noreturn)) rrun_exec_process(const struct rrun_cexec_config *c) {
	char *path = rrun_look_path(c->args[0], c->env);
	if (path == NULL)
		rrun_exec_error("not-found", 127, "exec: %s: executable file not found in $PATH", c->quoted_arg0);
	rrun_reset_signals();
	execve(path, c->args, c->env);
	if (errno == ENOENT)
		rrun_exec_error("not-found", 127, "exec: %s: no such file or directory", c->quoted_arg0);
	rrun_exec_error("not-executable", 126, "exec: %s: %s", c->quoted_arg0, rrun_errstr(errno));
	_exit(126);
}

void rrun_cexec(void) {
	struct rrun_cexec_config c;
	// A successful exec must close the socket: that is how the plugin
	// tells it from a failed one.
	fcntl(rrun_control_fd, F_SETFD, FD_CLOEXEC);
	rrun_read_config(&c);
	setsid(); // its own session, out of the host's job control
	rrun_become_process(&c);
	rrun_exec_process(&c);
}
