// What rrun-monitor starts: `rrun __monitor ID --exec` for each exec
// request. Every fd of this process is close-on-exec (main.c), so the
// delegate gets its stdio, the connection (fd 3) and the request's fds
// (4...) only.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "monitor.h"

extern char **environ;

// env_with is this process's environment with the pairs of kv (key,
// value, ..., NULL) set, earlier values of those keys left out.
char **env_with(const char *const *kv) {
	size_t n = 0, k = 0;
	while (environ[n])
		n++;
	while (kv[k])
		k += 2;
	char **env = calloc(n + k / 2 + 1, sizeof(char *));
	if (!env)
		return environ;
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		bool set = false;
		for (size_t j = 0; j < k && !set; j += 2) {
			size_t l = strlen(kv[j]);
			set = strncmp(environ[i], kv[j], l) == 0 && environ[i][l] == '=';
		}
		if (!set)
			env[m++] = environ[i];
	}
	for (size_t j = 0; j < k; j += 2) {
		struct buf b = {0};
		buf_adds(&b, kv[j]);
		buf_addc(&b, '=');
		buf_adds(&b, kv[j + 1]);
		buf_addc(&b, 0);
		if (!b.oom)
			env[m++] = b.p;
	}
	return env;
}

// child_fds puts conn on fd 3 and fds on 4...; errfd, where the child
// reports a failure, is moved above them. -1 on a failure.
static int child_fds(int conn, const int *fds, int nfds, int *errfd) {
	int above = 4 + nfds, moved[257];
	if ((*errfd = fcntl(*errfd, F_DUPFD_CLOEXEC, above)) < 0)
		return -1;
	for (int i = 0; i <= nfds; i++)
		if ((moved[i] = fcntl(i == 0 ? conn : fds[i - 1], F_DUPFD_CLOEXEC, above)) < 0)
			return -1;
	for (int i = 0; i <= nfds; i++)
		if (dup2(moved[i], 3 + i) < 0)
			return -1;
	return 0;
}

// spawn starts the delegate and returns 0, or the errno of its failure.
static int spawn(char **argv, char **env, int conn, const int *fds, int nfds) {
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return errno;
	pid_t pid = fork();
	if (pid == 0) {
		restore_signals();
		int errfd = p[1];
		if (child_fds(conn, fds, nfds, &errfd) == 0)
			execve(argv[0], argv, env);
		int e = errno;
		(void)!write(errfd, &e, sizeof(e));
		_exit(127);
	}
	int e = pid < 0 ? errno : 0;
	close(p[1]);
	ssize_t n;
	while (pid > 0 && (n = read(p[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	close(p[0]);
	return e; // a child that failed is reaped with the others
}

// exec_delegate starts `rrun __monitor ID --exec` for the exec request req
// of conn: it runs the exec through the warm isolation plugin and answers
// on the connection. The caller closes conn and fds.
void exec_delegate(int conn, const char *req, size_t n, const int *fds, int nfds) {
	char **argv = calloc((size_t)st.nrrun + 4, sizeof(char *));
	struct buf r = {0}, count = {0};
	buf_add(&r, req, n);
	buf_addc(&r, 0);
	buf_addint(&count, nfds);
	buf_addc(&count, 0);
	int err = ENOMEM;
	if (argv && !r.oom && !count.oom) {
		memcpy(argv, st.rrun, (size_t)st.nrrun * sizeof(char *));
		argv[st.nrrun] = "__monitor";
		argv[st.nrrun + 1] = st.id;
		argv[st.nrrun + 2] = "--exec";
		const char *kv[] = {EXEC_REQUEST_ENV, r.p, EXEC_FDS_ENV, count.p, NULL};
		char **env = env_with(kv);
		err = spawn(argv, env, conn, fds, nfds);
		if (env != environ) {
			for (char **e = env; *e; e++)
				if (strncmp(*e, EXEC_REQUEST_ENV "=", sizeof(EXEC_REQUEST_ENV)) == 0 ||
				    strncmp(*e, EXEC_FDS_ENV "=", sizeof(EXEC_FDS_ENV)) == 0)
					free(*e);
			free(env);
		}
	}
	if (err) {
		struct buf msg = {0};
		buf_adds(&msg, "failed to start the exec of ");
		buf_add(&msg, st.id, strnlen(st.id, 12));
		buf_adds(&msg, ": ");
		buf_adds(&msg, errstr(err));
		buf_addc(&msg, 0);
		struct buf out = {0};
		encode_response(&out, &(struct response){.error = msg.oom ? "failed to start the exec" : msg.p, .kind = "internal"});
		if (!out.oom)
			send(conn, out.p, out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
		buf_free(&out);
		buf_free(&msg);
	}
	free(argv);
	buf_free(&r);
	buf_free(&count);
}
