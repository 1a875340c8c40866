//go:build cgo

// The C init. With _RRUN_CINIT set, the container's init does here what
// containerMain and prepare do in Go, in the same order and with the same
// messages, and execs the command: the Go runtime never starts (its start,
// the JSON decode and the exec from a process with threads were most of
// an init's cost). The configuration is EncodeCInit's (cinit_linux.go);
// the process part is EncodeCExec's, set up by the C exec path's code.
// Keep the two in step.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "nsenter_linux.h"

enum { RRUN_CI_TERMINAL = 1, RRUN_CI_LOOPBACK = 2, RRUN_CI_READONLY_ROOT = 4, RRUN_CI_TRACE = 8 };

enum {
	RRUN_CM_BIND = 1,
	RRUN_CM_FILE_IF_FILE = 2,
	RRUN_CM_SYSFS_BINDING = 4,
	RRUN_CM_SKIP_ON_ERROR = 8,
	RRUN_CM_RETRY = 16,
	RRUN_CM_PTMX_LINK = 32,
};

#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

struct rrun_mount_attr {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

struct rrun_cmount {
	uint32_t flags;
	uint64_t mflags, propagation;
	char *source, *target, *fstype, *data, *data2;
};

struct rrun_cinit_config {
	uint32_t version, flags, rows, cols;
	uint64_t unshare;
	char *netns, *rootfs_dir, *hostname, *domainname;
	uint32_t nrootfs, nmounts, ndevs;
	struct rrun_cmount *rootfs, *mounts;
	char **devs;
	uint32_t *dev_required;
	char **masked, **readonly;
	struct rrun_cexec_config proc;
};

static int rrun_stdio_taken;

int rrun_spare_stdio_taken(void) { return rrun_stdio_taken; }

static double rrun_now_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

// Reading the configuration.

static void rrun_read_mount(struct rrun_reader *r, struct rrun_cmount *m) {
	m->flags = rrun_u32(r);
	m->mflags = rrun_u64(r), m->propagation = rrun_u64(r);
	m->source = rrun_str(r), m->target = rrun_str(r), m->fstype = rrun_str(r);
	m->data = rrun_str(r), m->data2 = rrun_str(r);
}

static struct rrun_cmount *rrun_read_mounts(struct rrun_reader *r, uint32_t *n) {
	struct rrun_cmount *ms = rrun_count(r, n, sizeof(struct rrun_cmount));
	for (uint32_t i = 0; ms != NULL && i < *n; i++)
		rrun_read_mount(r, &ms[i]);
	return ms;
}

static void rrun_cinit_parse(struct rrun_reader *r, struct rrun_cinit_config *c) {
	c->version = rrun_u32(r);
	if (c->version != RRUN_PROTOCOL_VERSION)
		return;
	c->flags = rrun_u32(r), c->rows = rrun_u32(r), c->cols = rrun_u32(r);
	c->unshare = rrun_u64(r);
	c->netns = rrun_str(r), c->rootfs_dir = rrun_str(r);
	c->hostname = rrun_str(r), c->domainname = rrun_str(r);
	c->rootfs = rrun_read_mounts(r, &c->nrootfs);
	c->mounts = rrun_read_mounts(r, &c->nmounts);
	c->devs = rrun_count(r, &c->ndevs, sizeof(char *));
	c->dev_required = calloc((size_t)c->ndevs + 1, sizeof(uint32_t));
	for (uint32_t i = 0; c->devs != NULL && c->dev_required != NULL && i < c->ndevs; i++) {
		c->devs[i] = rrun_str(r);
		c->dev_required[i] = rrun_u32(r);
	}
	c->masked = rrun_strs(r), c->readonly = rrun_strs(r);
	// The process: EncodeCExec's bytes, with their own length.
	uint32_t len = rrun_u32(r);
	const unsigned char *p = rrun_take(r, len);
	if (p == NULL || c->dev_required == NULL || c->masked == NULL || c->readonly == NULL) {
		r->bad = 1;
		return;
	}
	struct rrun_reader pr = {p, p + len, 0};
	rrun_parse(&pr, &c->proc);
	if (pr.bad || c->proc.version != RRUN_PROTOCOL_VERSION || r->p != r->end)
		r->bad = 1;
}

// rrun_cinit_read reads the plugin's configuration; like containerMain, it
// exits quietly when the plugin is gone.
static void rrun_cinit_read(struct rrun_cinit_config *c) {
	struct rrun_reader r = rrun_read_message("init");
	memset(c, 0, sizeof(*c));
	rrun_cinit_parse(&r, c);
	rrun_check_config("init", c->version, r.bad);
}

// Paths and mounts.

static char *rrun_strcat3(const char *a, const char *b, const char *c) {
	size_t na = strlen(a), nb = strlen(b), nc = strlen(c);
	char *s = malloc(na + nb + nc + 1);
	if (s == NULL)
		rrun_failf("init: out of memory");
	memcpy(s, a, na), memcpy(s + na, b, nb), memcpy(s + na + nb, c, nc);
	s[na + nb + nc] = '\0';
	return s;
}

// rrun_secure_join is securejoin.SecureJoin: unsafe resolved under root
// as if root were /, following symlinks within root (at most 255) and
// taking missing components as they are. NULL with errno on failure.
static char *rrun_secure_join(const char *root, const char *unsafe) {
	char *pending = strdup(unsafe), *resolved = strdup("");
	int links = 0;
	if (pending == NULL || resolved == NULL)
		rrun_failf("init: out of memory");
	char *rest = pending;
	while (*rest != '\0') {
		while (*rest == '/')
			rest++;
		size_t n = strcspn(rest, "/");
		if (n == 0)
			break;
		char *comp = strndup(rest, n);
		rest += n;
		if (comp == NULL)
			rrun_failf("init: out of memory");
		if (strcmp(comp, ".") == 0) {
			free(comp);
			continue;
		}
		if (strcmp(comp, "..") == 0) {
			char *slash = strrchr(resolved, '/');
			if (slash != NULL)
				*slash = '\0';
			free(comp);
			continue;
		}
		char *next = rrun_strcat3(resolved, "/", comp), *full = rrun_strcat3(root, next, "");
		free(comp);
		struct stat st;
		if (lstat(full, &st) < 0) {
			free(full);
			if (errno != ENOENT)
				return NULL;
			free(resolved);
			resolved = next;
			continue;
		}
		if (!S_ISLNK(st.st_mode)) {
			free(full), free(resolved);
			resolved = next;
			continue;
		}
		free(next);
		if (++links > 255) {
			free(full);
			errno = ELOOP;
			return NULL;
		}
		char target[4096];
		ssize_t k = readlink(full, target, sizeof(target) - 1);
		free(full);
		if (k < 0)
			return NULL;
		target[k] = '\0';
		if (target[0] == '/')
			resolved[0] = '\0';
		char *joined = rrun_strcat3(target, "/", rest);
		free(pending);
		pending = rest = joined;
	}
	char *out = rrun_strcat3(root, resolved, "");
	free(pending), free(resolved);
	return out;
}

static char *rrun_join_in_root(const char *root, const char *path, const char *what) {
	char *target = rrun_secure_join(root, path);
	if (target == NULL)
		rrun_failf("failed to resolve %s %s: %s", what, path, rrun_errstr(errno));
	return target;
}

static void rrun_mkdir_all_or_fail(const char *path, const char *what) {
	const char *failed = NULL;
	char *p = strdup(path);
	if (p == NULL)
		rrun_failf("init: out of memory");
	int err = rrun_mkdir_all(p, 0755, &failed);
	if (err != 0)
		rrun_failf("failed to create %s %s: mkdir %s: %s", what, path, failed ? failed : path, rrun_errstr(err));
	free(p);
}

// rrun_make_file is makeFile: an empty file (and its parents) to bind a
// file onto; one that exists stays as it is.
static void rrun_make_file(const char *path) {
	char *dir = strdup(path), *slash;
	struct stat st;
	if (dir == NULL)
		rrun_failf("init: out of memory");
	slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		rrun_mkdir_all_or_fail(dir, "directory for");
	}
	free(dir);
	if (lstat(path, &st) == 0)
		return;
	int fd = open(path, O_CREAT | O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		rrun_failf("failed to create mountpoint %s: %s", path, rrun_errstr(errno));
	close(fd);
}

// rrun_set_mount_attr is setMountAttr: ro, nosuid, nodev and noexec on a
// mount that exists.
static int rrun_set_mount_attr(const char *target, uint64_t flags, int recursive) {
	struct rrun_mount_attr a = {0, 0, 0, 0};
	if (flags & MS_RDONLY)
		a.attr_set |= 0x1; // MOUNT_ATTR_RDONLY
	if (flags & MS_NOSUID)
		a.attr_set |= 0x2; // MOUNT_ATTR_NOSUID
	if (flags & MS_NODEV)
		a.attr_set |= 0x4; // MOUNT_ATTR_NODEV
	if (flags & MS_NOEXEC)
		a.attr_set |= 0x8; // MOUNT_ATTR_NOEXEC
	if (a.attr_set == 0)
		return 0;
	return (int)syscall(SYS_mount_setattr, AT_FDCWD, target, recursive ? AT_RECURSIVE : 0, &a, sizeof(a));
}

// rrun_mount_one is mountOne: 0, or -1 with errno set.
static int rrun_mount_one(const char *source, const char *target, const char *fstype, uint32_t flags, uint64_t mflags,
			  uint64_t propagation, const char *data) {
	int rc;
	if (flags & RRUN_CM_BIND) {
		rc = mount(source, target, NULL, mflags & (MS_BIND | MS_REC), NULL);
		if (rc == 0)
			rc = rrun_set_mount_attr(target, mflags, (mflags & MS_REC) != 0);
	} else {
		rc = mount(source, target, fstype, mflags, data);
	}
	if (rc == 0 && propagation != 0)
		rc = mount("", target, "", propagation, "");
	return rc;
}

// rrun_mount_rootfs is mountRootfs.
static void rrun_mount_rootfs(const struct rrun_cinit_config *c) {
	for (uint32_t i = 0; i < c->nrootfs; i++) {
		const struct rrun_cmount *m = &c->rootfs[i];
		char *target = rrun_join_in_root(c->rootfs_dir, m->target, "rootfs target");
		rrun_mkdir_all_or_fail(target, "rootfs target");
		if (rrun_mount_one(m->source, target, m->fstype, m->flags, m->mflags, m->propagation, m->data) < 0)
			rrun_failf("failed to mount rootfs: failed to mount %s on %s: %s", m->source, target, rrun_errstr(errno));
		free(target);
	}
}

// rrun_spec_mount is one mount of mountSpecMounts, with its fallbacks.
static void rrun_spec_mount(const struct rrun_cinit_config *c, const struct rrun_cmount *m) {
	char *target = rrun_join_in_root(c->rootfs_dir, m->target, "mount destination");
	int is_file = 0;
	if (m->flags & RRUN_CM_FILE_IF_FILE) {
		struct stat st;
		if (stat(m->source, &st) < 0)
			rrun_failf("failed to mount %s on %s: stat %s: %s", m->source, m->target, m->source, rrun_errstr(errno));
		is_file = !S_ISDIR(st.st_mode);
	}
	if (is_file)
		rrun_make_file(target);
	else
		rrun_mkdir_all_or_fail(target, "mountpoint");
	if (rrun_mount_one(m->source, target, m->fstype, m->flags, m->mflags, m->propagation, m->data) < 0) {
		int err = errno;
		if (m->flags & RRUN_CM_SYSFS_BINDING) {
			rrun_logf("sysfs on %s: failed to mount %s on %s: %s; binding /sys read-only instead", m->target, m->source,
				  target, rrun_errstr(err));
			if (rrun_mount_one("/sys", target, "bind", RRUN_CM_BIND, MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
					   0, "") < 0)
				rrun_failf("failed to mount /sys on %s: %s", target, rrun_errstr(errno));
		} else if (m->flags & RRUN_CM_SKIP_ON_ERROR) {
			rrun_logf("skipping %s on %s: failed to mount %s on %s: %s", m->fstype, m->target, m->source, target,
				  rrun_errstr(err));
		} else if ((m->flags & RRUN_CM_RETRY) &&
			   rrun_mount_one(m->source, target, m->fstype, m->flags, m->mflags, m->propagation, m->data2) == 0) {
			// mounted without the gid the single-id map lacks
		} else {
			rrun_failf("failed to mount %s on %s: %s", m->source, target, rrun_errstr(m->flags & RRUN_CM_RETRY ? errno : err));
		}
	}
	if (m->flags & RRUN_CM_PTMX_LINK) {
		// filepath.Join(target, "..", "ptmx"), lexically.
		char *dir = strdup(target), *slash;
		if (dir == NULL)
			rrun_failf("init: out of memory");
		slash = strrchr(dir, '/');
		if (slash != NULL)
			*slash = '\0';
		char *link = rrun_strcat3(dir, "/", "ptmx");
		if (unlink(link) < 0 && errno != ENOENT)
			rrun_failf("failed to replace %s: remove %s: %s", link, link, rrun_errstr(errno));
		if (symlink("pts/ptmx", link) < 0)
			rrun_failf("failed to create symlink %s: symlink pts/ptmx %s: %s", link, link, rrun_errstr(errno));
		free(link), free(dir);
	}
	free(target);
}

// rrun_bind_devices is bindDevices.
static void rrun_bind_devices(const struct rrun_cinit_config *c) {
	for (uint32_t i = 0; i < c->ndevs; i++) {
		const char *dev = c->devs[i];
		struct stat st;
		int missing = stat(dev, &st) < 0;
		if (missing && !c->dev_required[i]) {
			rrun_logf("skipping device %s: stat %s: %s", dev, dev, rrun_errstr(errno));
			continue;
		}
		if (missing || !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
			rrun_failf("failed to add device %s: the session has no such device node", dev);
		char *target = rrun_join_in_root(c->rootfs_dir, dev, "device path");
		rrun_make_file(target);
		if (rrun_mount_one(dev, target, "bind", RRUN_CM_BIND, MS_BIND | MS_NOSUID | MS_NOEXEC, 0, "") < 0)
			rrun_failf("failed to add device %s: failed to mount %s on %s: %s", dev, dev, target, rrun_errstr(errno));
		free(target);
	}
}

// rrun_dev_symlinks is devSymlinks.
static void rrun_dev_symlinks(const struct rrun_cinit_config *c) {
	static const char *links[][2] = {
		{"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"}};
	char *dev = rrun_join_in_root(c->rootfs_dir, "/dev", "path");
	rrun_mkdir_all_or_fail(dev, "directory");
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		char *path = rrun_strcat3(dev, "/", links[i][1]);
		struct stat st;
		if (lstat(path, &st) < 0 && symlink(links[i][0], path) < 0)
			rrun_failf("failed to create symlink /dev/%s: symlink %s %s: %s", links[i][1], links[i][0], path,
				   rrun_errstr(errno));
		free(path);
	}
	free(dev);
}

// rrun_pivot_root is pivotRoot.
static void rrun_pivot_root(const char *root) {
	if (chdir(root) < 0)
		rrun_failf("failed to enter rootfs %s: %s", root, rrun_errstr(errno));
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		rrun_failf("failed to pivot_root into %s: %s", root, rrun_errstr(errno));
	if (umount2(".", MNT_DETACH) < 0)
		rrun_failf("failed to detach the old root: %s", rrun_errstr(errno));
	if (chdir("/") < 0)
		rrun_failf("failed to enter the new root: %s", rrun_errstr(errno));
}

static void rrun_set_hostname(const struct rrun_cinit_config *c) {
	if (c->hostname[0] != '\0' && sethostname(c->hostname, strlen(c->hostname)) < 0)
		rrun_failf("failed to set hostname \"%s\": %s", c->hostname, rrun_errstr(errno));
	if (c->domainname[0] != '\0' && setdomainname(c->domainname, strlen(c->domainname)) < 0)
		rrun_failf("failed to set domain name \"%s\": %s", c->domainname, rrun_errstr(errno));
}

// rrun_loopback_up is loopbackUp: best effort.
static void rrun_loopback_up(const struct rrun_cinit_config *c) {
	if (!(c->flags & RRUN_CI_LOOPBACK))
		return;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rrun_logf("lo stays down: %s", rrun_errstr(errno));
		return;
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	ifr.ifr_flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		rrun_logf("lo stays down: %s", rrun_errstr(errno));
	close(fd);
}

// rrun_mask_paths is maskPaths: best effort.
static void rrun_mask_paths(const struct rrun_cinit_config *c) {
	for (char **p = c->masked; *p != NULL; p++) {
		struct stat st;
		int rc;
		if (stat(*p, &st) < 0) {
			if (errno != ENOENT)
				rrun_logf("failed to mask %s: stat %s: %s", *p, *p, rrun_errstr(errno));
			continue;
		}
		if (S_ISDIR(st.st_mode))
			rc = mount("tmpfs", *p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0");
		else
			rc = rrun_mount_one("/dev/null", *p, "bind", RRUN_CM_BIND, MS_BIND | MS_RDONLY, 0, "");
		if (rc < 0 && errno != ENOENT)
			rrun_logf("failed to mask %s: %s", *p, rrun_errstr(errno));
	}
	for (char **p = c->readonly; *p != NULL; p++) {
		if (rrun_mount_one(*p, *p, "bind", RRUN_CM_BIND, MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, 0, "") <
			    0 &&
		    errno != ENOENT)
			rrun_logf("failed to make %s read-only: %s", *p, rrun_errstr(errno));
	}
}

// rrun_setup_terminal is setupTerminal and becomeTerminalOwner.
static void rrun_setup_terminal(const struct rrun_cinit_config *c) {
	int console = rrun_control_fd + 1, unlock = 0, n;
	int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		rrun_failf("failed to open /dev/ptmx in the container (is devpts mounted?): %s", rrun_errstr(errno));
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		rrun_failf("failed to unlock the pty: %s", rrun_errstr(errno));
	if (ioctl(master, TIOCGPTN, &n) < 0)
		rrun_failf("failed to get the pty number: %s", rrun_errstr(errno));
	char name[64];
	snprintf(name, sizeof(name), "/dev/pts/%d", n);
	int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		rrun_failf("failed to open %s: %s", name, rrun_errstr(errno));
	if (fchown(slave, c->proc.uid, (gid_t)-1) < 0) {
		// as docker, best effort: the gid may be unmapped
	}
	if (c->rows != 0 || c->cols != 0) {
		struct winsize ws = {(unsigned short)c->rows, (unsigned short)c->cols, 0, 0};
		ioctl(master, TIOCSWINSZ, &ws);
	}
	char cbuf[CMSG_SPACE(sizeof(int))];
	memset(cbuf, 0, sizeof(cbuf));
	struct iovec iov = {name, strlen(name)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET, cm->cmsg_type = SCM_RIGHTS, cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &master, sizeof(int));
	while (sendmsg(console, &msg, 0) < 0) {
		if (errno != EINTR)
			rrun_failf("failed to send the pty master to the plugin: %s", rrun_errstr(errno));
	}
	close(master);
	close(console);
	if (setsid() < 0 && errno != EPERM)
		rrun_failf("failed to start a session: %s", rrun_errstr(errno));
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		rrun_failf("failed to make %s the controlling terminal: %s", name, rrun_errstr(errno));
	for (int fd = 0; fd < 3; fd++) {
		if (dup3(slave, fd, 0) < 0)
			rrun_failf("failed to connect fd %d to %s: %s", fd, name, rrun_errstr(errno));
	}
	close(slave);
}

// rrun_take_stdio is takeStdio, for a spare: the container's stdio and
// console channel in place of /dev/null. It returns the message's kind.
static char rrun_take_stdio(void) {
	char kind = 0;
	char cbuf[CMSG_SPACE(4 * sizeof(int))];
	struct iovec iov = {&kind, 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	ssize_t n;
	do {
		n = recvmsg(rrun_control_fd, &msg, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		_exit(1); // the plugin went away before it needed this spare
	int fds[4], nfds = 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k && nfds < 4; i++)
			memcpy(&fds[nfds++], CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
	}
	int terminal = kind == 't' || kind == 'T', want = terminal ? 4 : 3;
	int targets[4] = {0, 1, 2, rrun_control_fd + 1};
	if (nfds != want)
		rrun_failf("spare init: got %d fds for %d", nfds, want);
	for (int i = 0; i < nfds; i++) {
		if (dup3(fds[i], targets[i], 0) < 0)
			rrun_failf("spare init: failed to take fd %d: %s", targets[i], rrun_errstr(errno));
	}
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	return kind;
}

// rrun_await_start reads the plugin's next message: exit quietly unless
// it is start (deleted before start, or the plugin died), as
// containerMain does.
static void rrun_await_start(void) {
	char line[256];
	size_t n = 0;
	for (;;) {
		ssize_t k = read(rrun_control_fd, line + n, 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			_exit(1);
		if (line[n] == '\n')
			break;
		if (++n == sizeof(line) - 1)
			_exit(1);
	}
	line[n] = '\0';
	if (strcmp(line, "{\"type\":\"start\"}") != 0)
		_exit(1);
}

void rrun_cinit(int spare) {
	struct rrun_cinit_config c;
	// A successful exec must close the socket: that is how the plugin
	// tells it from a failed one.
	fcntl(rrun_control_fd, F_SETFD, FD_CLOEXEC);
	if (spare) {
		char kind = rrun_take_stdio();
		if (kind != 'N' && kind != 'T') {
			rrun_stdio_taken = 1; // Config's JSON follows: on in Go
			return;
		}
	}
	double t0 = rrun_now_ms(); // a spare's wait for its container is not the init's time
	rrun_cinit_read(&c);
	double t1 = rrun_now_ms();
	if (c.netns[0] != '\0') {
		int fd = open(c.netns, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
			rrun_failf("failed to join the network namespace %s: %s", c.netns, rrun_errstr(errno));
		close(fd);
	}
	if (c.unshare != 0 && unshare((int)c.unshare) < 0)
		rrun_failf("failed to create the container's namespaces (%#llx): %s", (unsigned long long)c.unshare, rrun_errstr(errno));
	if (mount("", "/", "", MS_REC | MS_PRIVATE, "") < 0)
		rrun_failf("failed to make / rprivate: %s", rrun_errstr(errno));
	rrun_mount_rootfs(&c);
	for (uint32_t i = 0; i < c.nmounts; i++)
		rrun_spec_mount(&c, &c.mounts[i]);
	rrun_bind_devices(&c);
	rrun_dev_symlinks(&c);
	rrun_pivot_root(c.rootfs_dir);
	rrun_set_hostname(&c);
	rrun_loopback_up(&c);
	rrun_mask_paths(&c);
	if ((c.flags & RRUN_CI_READONLY_ROOT) && rrun_set_mount_attr("/", MS_RDONLY, 0) < 0)
		rrun_failf("failed to set mount attributes on /: %s", rrun_errstr(errno));
	if (c.flags & RRUN_CI_TERMINAL)
		rrun_setup_terminal(&c);
	rrun_become_process(&c.proc);
	if (c.flags & RRUN_CI_TRACE)
		rrun_logf("trace: C init: configuration read in %.2f ms, set up in %.2f ms", t1 - t0, rrun_now_ms() - t1);
	rrun_send("{\"type\":\"ready\"}\n");
	rrun_await_start();
	rrun_exec_process(&c.proc);
}
