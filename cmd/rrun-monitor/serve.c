// The monitor socket (host/monitor's server, for a running container):
// ping, kill, stop, wait, resize, stdin; exec is delegated to
// `rrun __monitor ID --exec`. Each connection is answered one request at
// a time, as host/monitor does; one that waits (stop, wait, a stdin write
// the container does not read yet) is not read meanwhile.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "monitor.h"

enum conn_state { IDLE, WAITING, WRITING };

struct conn {
	int fd;
	enum conn_state state;
	bool fresh;         // accepted, no request read yet
	bool is_wait;       // WAITING: a wait (else a stop)
	struct buf data;    // WRITING: what goes to stdin
	size_t off;         // WRITING: how much of it went
	unsigned long seq;  // WRITING: stdin requests are written in order
};

static struct conn *conns;
static int nconns;
static long long kill_at; // when a stop's SIGKILL is due (ms), 0: none
static unsigned long next_seq;


// serve_init makes the listener and the stdin of the container
// non-blocking: one connection never holds up the others.
void serve_init(void) {
	int fds[] = {st.listener, st.stdin_fd, st.master};
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0)
			fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
}

static const char *short_id(void) {
	static char id[13];
	strncpy(id, st.id, 12);
	return id;
}

static int stdin_fd(void) { return st.master >= 0 ? st.master : st.stdin_fd; }

static void reply(int fd, const struct response *r) {
	struct buf b = {0};
	encode_response(&b, r);
	if (!b.oom)
		send(fd, b.p, b.len, MSG_NOSIGNAL | MSG_DONTWAIT); // a client gone or not reading loses its answer
	buf_free(&b);
}

static void reply_result(int fd, int err, const char *what) {
	struct buf msg = {0};
	if (err) {
		buf_adds(&msg, what);
		buf_adds(&msg, errstr(err));
		buf_addc(&msg, 0);
	}
	reply(fd, &(struct response){.ok = !err, .error = err && !msg.oom ? msg.p : "", .kind = err ? "internal" : NULL});
	buf_free(&msg);
}

static void drop(struct conn *c) {
	close(c->fd);
	buf_free(&c->data);
	*c = conns[--nconns];
}

static struct conn *find(int fd) {
	for (int i = 0; i < nconns; i++)
		if (conns[i].fd == fd)
			return &conns[i];
	return NULL;
}

// write_stdin passes on what it can of c's data; false while some is left.
static bool write_stdin(struct conn *c) {
	while (c->off < c->data.len) {
		ssize_t n = write(stdin_fd(), c->data.p + c->off, c->data.len - c->off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return false;
		if (n < 0) {
			struct buf what = {0};
			buf_adds(&what, "failed to write to the stdin of ");
			buf_adds(&what, short_id());
			buf_adds(&what, ": ");
			buf_addc(&what, 0);
			reply_result(c->fd, errno, what.oom ? "" : what.p);
			buf_free(&what);
			break;
		}
		c->off += (size_t)n;
	}
	if (c->off >= c->data.len)
		reply(c->fd, &(struct response){.ok = true});
	c->state = IDLE;
	buf_free(&c->data);
	return true;
}

// writer is the stdin request to write now: the oldest.
static struct conn *writer(void) {
	struct conn *w = NULL;
	for (int i = 0; i < nconns; i++)
		if (conns[i].state == WRITING && (!w || conns[i].seq < w->seq))
			w = &conns[i];
	return w;
}

static void stdin_request(struct conn *c, struct request *r) {
	if (stdin_fd() < 0 || !st.interactive) {
		struct buf msg = {0};
		buf_adds(&msg, "container ");
		buf_adds(&msg, short_id());
		buf_adds(&msg, " has no stdin attached");
		buf_addc(&msg, 0);
		reply(c->fd, &(struct response){.error = msg.oom ? "no stdin" : msg.p, .hint = "run it with -i", .kind = "failed-precondition"});
		buf_free(&msg);
		return;
	}
	c->data = r->data;
	r->data = (struct buf){0};
	c->off = 0;
	c->state = WRITING;
	c->seq = next_seq++;
	if (writer() == c)
		write_stdin(c);
}

static void stop_request(struct conn *c, int timeout) {
	if (init_done) {
		reply(c->fd, &(struct response){.ok = true});
		return;
	}
	kill_init(st.stop_signal);
	long long at = now_ms() + (long long)(timeout < 0 ? st.stop_timeout : timeout) * 1000;
	if (!kill_at || at < kill_at)
		kill_at = at;
	c->state = WAITING;
	c->is_wait = false;
}

static void resize(struct conn *c, unsigned width, unsigned height) {
	struct winsize ws = {.ws_col = (unsigned short)width, .ws_row = (unsigned short)height};
	int err = 0;
	if (st.master >= 0 && ioctl(st.master, TIOCSWINSZ, &ws) < 0)
		err = errno; // docker ignores a resize without a terminal
	reply_result(c->fd, err, "");
}

static void dispatch(struct conn *c, struct request *r) {
	const char *op = r->op ? r->op : "";
	if (strcmp(op, "ping") == 0)
		reply(c->fd, &(struct response){.ok = true, .delegates = true});
	else if (strcmp(op, "kill") == 0)
		reply_result(c->fd, kill_init(r->signal), "");
	else if (strcmp(op, "stop") == 0)
		stop_request(c, r->timeout);
	else if (strcmp(op, "wait") == 0 && init_done)
		reply(c->fd, &(struct response){.ok = true, .exited = true, .exit_code = init_code});
	else if (strcmp(op, "wait") == 0)
		c->state = WAITING, c->is_wait = true;
	else if (strcmp(op, "resize") == 0)
		resize(c, r->width, r->height);
	else if (strcmp(op, "stdin") == 0)
		stdin_request(c, r);
	else {
		struct buf msg = {0};
		buf_adds(&msg, "unknown monitor operation ");
		json_string(&msg, op, strlen(op));
		buf_addc(&msg, 0);
		reply(c->fd, &(struct response){.error = msg.oom ? "unknown monitor operation" : msg.p, .kind = "invalid-argument"});
		buf_free(&msg);
	}
}

static void close_fds(const int *fds, int n) {
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

// receive reads one request of c, with the fds it carries; false when c
// is gone (hung up, or sent what is no request).
static bool receive(struct conn *c) {
	static char msg[64 << 10];
	static char ctl[CMSG_SPACE(256 * sizeof(int))];
	struct iovec iov = {msg, sizeof(msg)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)};
	ssize_t n;
	while ((n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (n < 0 && errno == EAGAIN)
		return true;
	int fds[256], nfds = 0;
	for (struct cmsghdr *cm = n < 0 ? NULL : CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		int k = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (int j = 0; j < k && nfds < 256; j++)
			memcpy(&fds[nfds++], CMSG_DATA(cm) + (size_t)j * sizeof(int), sizeof(int));
	}
	struct request r;
	c->fresh = false;
	if (n <= 0 || !parse_request(msg, (size_t)n, &r)) {
		close_fds(fds, nfds);
		return false;
	}
	bool keep = true;
	if (r.version != PROTOCOL_VERSION) {
		struct buf e = {0};
		buf_adds(&e, "monitor protocol 1, client ");
		buf_addint(&e, r.version);
		buf_addc(&e, 0);
		reply(c->fd, &(struct response){.error = e.oom ? "monitor protocol 1" : e.p,
						.hint = "use the same rrun binary for all commands", .kind = "failed-precondition"});
		buf_free(&e);
		keep = false;
	} else if (r.op && strcmp(r.op, "exec") == 0) {
		exec_delegate(c->fd, msg, (size_t)n, fds, nfds); // the delegate owns the connection now
		keep = false;
	} else
		dispatch(c, &r);
	close_fds(fds, nfds);
	free_request(&r);
	return keep;
}

static void accept_clients(void) {
	for (;;) {
		int fd = accept4(st.listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (fd < 0)
			return;
		struct conn *a = realloc(conns, (size_t)(nconns + 1) * sizeof(*conns));
		if (!a) {
			close(fd);
			continue;
		}
		conns = a;
		conns[nconns++] = (struct conn){.fd = fd, .fresh = true};
	}
}

// serve_pollfds fills pfd (room for serve_npoll() entries) with what the
// socket waits for; it returns how many.
int serve_npoll(void) { return 2 + nconns; }

int serve_pollfds(struct pollfd *pfd) {
	int n = 0;
	pfd[n++] = (struct pollfd){.fd = st.listener, .events = POLLIN};
	for (int i = 0; i < nconns; i++)
		pfd[n++] = (struct pollfd){.fd = conns[i].fd, .events = conns[i].state == IDLE ? POLLIN : 0};
	if (writer())
		pfd[n++] = (struct pollfd){.fd = stdin_fd(), .events = POLLOUT};
	return n;
}

void serve_events(struct pollfd *pfd, int n) {
	for (int i = 0; i < n; i++) {
		if (!pfd[i].revents)
			continue;
		struct conn *c = i > 0 ? find(pfd[i].fd) : NULL;
		if (i == 0)
			accept_clients();
		else if (c && c->state == IDLE && (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
			c = receive(c) ? NULL : c;
		else if (!c && writer() && pfd[i].fd == stdin_fd())
			write_stdin(writer()); // writable, or an error the write reports
		else if (!c || !(pfd[i].revents & (POLLHUP | POLLERR)))
			c = NULL; // else a client gone while it waited: a stop goes on without it
		if (c)
			drop(c);
	}
}

// serve_exited answers every stop and wait once the init exited.
void serve_exited(void) {
	kill_at = 0;
	for (int i = 0; i < nconns; i++) {
		struct conn *c = &conns[i];
		if (c->state != WAITING)
			continue;
		reply(c->fd, &(struct response){.ok = true, .exited = c->is_wait, .exit_code = c->is_wait ? init_code : 0});
		c->state = IDLE;
	}
}

// LAST_MS is how long a client that connected before this process execs
// has to send its request (it is answered, not hung up on).
#define LAST_MS 250

// serve_last answers, once the init exited and just before the exec, the
// requests already sent and those of clients that connected but did not
// send theirs yet (the backlog accepted first): a stop or wait racing the
// exit gets its answer, not a reset connection.
void serve_last(void) {
	accept_clients();
	long long until = now_ms() + LAST_MS;
	for (long long left = LAST_MS; left > 0; left = until - now_ms()) {
		struct pollfd *pfd = calloc((size_t)nconns + 1, sizeof(*pfd));
		int n = 0, fresh = 0;
		for (int i = 0; pfd && i < nconns; i++) {
			if (conns[i].state != IDLE)
				continue;
			pfd[n++] = (struct pollfd){.fd = conns[i].fd, .events = POLLIN};
			fresh += conns[i].fresh;
		}
		int ready = pfd ? poll(pfd, (nfds_t)n, fresh ? (int)left : 0) : -1;
		for (int i = 0; i < n && ready > 0; i++) {
			struct conn *c = pfd[i].revents ? find(pfd[i].fd) : NULL;
			if (c && !receive(c))
				drop(c);
		}
		free(pfd);
		if (ready <= 0)
			return;
	}
}

long long serve_deadline(void) { return kill_at; }

// serve_timers sends a stop's SIGKILL once its timeout passed.
void serve_timers(void) {
	if (kill_at && now_ms() >= kill_at) {
		kill_init(SIGKILL);
		kill_at = 0;
	}
}
