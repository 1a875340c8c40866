// The init's output into container.log, in docker's json-file shape,
// byte for byte as host/monitor/logline writes it: one entry per line,
// {"t":RFC3339Nano UTC,"s":stream,"l":line}.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "monitor.h"

// MAX_LINE is where a line without a newline is cut, as rrun's monitor does.
#define MAX_LINE (64 << 10)

static struct stream {
	int fd;
	const char *name;
	struct buf partial;
} streams[NSTREAMS];

static int log_fd = -1;

int logs_fd(int i) { return streams[i].fd; }

bool logs_open(void) {
	for (int i = 0; i < NSTREAMS; i++)
		if (streams[i].fd >= 0)
			return true;
	return false;
}

// logs_init starts copying stdout and stderr pipes, or the terminal
// (logged as stdout).
void logs_init(const struct state *s) {
	log_fd = s->log;
	int fds[NSTREAMS] = {s->out, s->err, s->master};
	const char *names[NSTREAMS] = {"stdout", "stderr", "stdout"};
	for (int i = 0; i < NSTREAMS; i++) {
		streams[i] = (struct stream){.fd = fds[i], .name = names[i]};
		if (fds[i] >= 0)
			fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
	}
}

static void write_log(const struct buf *b) {
	for (size_t off = 0; off < b->len;) {
		ssize_t n = write(log_fd, b->p + off, b->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; // a full disk loses log lines, never the container
		off += (size_t)n;
	}
}

// flush logs the complete lines of s's partial, and what follows them at
// EOF or once it reached MAX_LINE; it keeps the rest.
static void flush(struct stream *s, bool eof) {
	struct buf *p = &s->partial;
	size_t done = 0;
	if (p->len == 0)
		return;
	for (char *nl; (nl = memchr(p->p + done, '\n', p->len - done));)
		done = (size_t)(nl - p->p) + 1;
	if (eof || p->len - done >= MAX_LINE)
		done = p->len;
	if (done == 0)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct buf out = {0};
	log_entries(&out, ts.tv_sec, ts.tv_nsec, s->name, p->p, done);
	if (!out.oom)
		write_log(&out);
	buf_free(&out);
	memmove(p->p, p->p + done, p->len - done);
	p->len -= done;
	if (p->len == 0)
		buf_free(p); // a burst of output leaves no memory behind
}

// logs_pump reads what stream i has; EOF or an error (EIO: a terminal
// whose last holder closed it) ends the stream.
void logs_pump(int i) {
	static char chunk[32 << 10];
	struct stream *s = &streams[i];
	ssize_t n;
	while ((n = read(s->fd, chunk, sizeof(chunk))) < 0 && errno == EINTR)
		;
	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		flush(s, true);
		close(s->fd);
		s->fd = -1;
		return;
	}
	buf_add(&s->partial, chunk, (size_t)n);
	if (s->partial.oom) {
		buf_free(&s->partial);
		return;
	}
	flush(s, false);
}

// log_entries appends the entries of the lines in p (each but maybe the
// last ending in '\n') written at sec.nsec, the time and stream formatted
// once (logline.AppendEntries).
void log_entries(struct buf *out, long long sec, long nsec, const char *stream, const char *p, size_t n) {
	struct buf prefix = {0};
	buf_adds(&prefix, "{\"t\":\"");
	rfc3339nano(&prefix, sec, nsec);
	buf_adds(&prefix, "\",\"s\":\"");
	buf_adds(&prefix, stream);
	buf_adds(&prefix, "\",\"l\":");
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t len = nl ? (size_t)(nl - p) + 1 : n;
		buf_add(out, prefix.p, prefix.len);
		json_string(out, p, len);
		buf_adds(out, "}\n");
		p += len;
		n -= len;
	}
	out->oom |= prefix.oom;
	buf_free(&prefix);
}

static void digits(struct buf *b, long long v, int width) {
	char d[20];
	for (int i = width - 1; i >= 0; i--, v /= 10)
		d[i] = (char)('0' + v % 10);
	buf_add(b, d, (size_t)width);
}

// rfc3339nano appends Go's time.RFC3339Nano of a UTC time: the fraction
// without its trailing zeros, and without a dot when it is zero.
void rfc3339nano(struct buf *b, long long sec, long nsec) {
	long long days = sec / 86400, rem = sec % 86400;
	if (rem < 0)
		rem += 86400, days--;
	// civil_from_days (Howard Hinnant's algorithm)
	long long z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	long long doe = z - era * 146097, yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	long long d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9, y = yoe + era * 400 + (m <= 2);
	digits(b, y, 4);
	buf_addc(b, '-');
	digits(b, m, 2);
	buf_addc(b, '-');
	digits(b, d, 2);
	buf_addc(b, 'T');
	digits(b, rem / 3600, 2);
	buf_addc(b, ':');
	digits(b, rem / 60 % 60, 2);
	buf_addc(b, ':');
	digits(b, rem % 60, 2);
	if (nsec > 0) {
		int width = 9;
		for (; nsec % 10 == 0; nsec /= 10)
			width--;
		buf_addc(b, '.');
		digits(b, nsec, width);
	}
	buf_addc(b, 'Z');
}
