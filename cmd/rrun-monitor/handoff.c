// The hand-off state rrun passes in HANDOFF_ENV (host/monitor/handoff's
// Encode): space-separated key=value, each value percent-encoded (a space,
// '%' and every byte outside printable ASCII as %XX), `rrun` once per
// argument. Integers are decimal, interactive is true or false.
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor.h"

static int hexval(char c) {
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

// unescape decodes s in place; false on a bad escape.
static bool unescape(char *s) {
	char *w = s;
	for (char *r = s; *r; r++) {
		if (*r != '%') {
			*w++ = *r;
			continue;
		}
		int hi = hexval(r[1]), lo = hi < 0 ? -1 : hexval(r[2]);
		if (lo < 0)
			return false;
		*w++ = (char)(hi << 4 | lo);
		r += 2;
	}
	*w = 0;
	return true;
}

static bool parse_int(const char *s, int *v) {
	char *end;
	errno = 0;
	long n = strtol(s, &end, 10);
	if (errno || end == s || *end || n < INT_MIN || n > INT_MAX)
		return false;
	*v = (int)n;
	return true;
}

static int *int_field(struct state *s, const char *key) {
	static const char *names[] = {"version", "pid", "stop_signal", "stop_timeout", "listener", "log", "stdout",
				      "stderr", "master", "stdin", "owner", "net_helper", "net_lock"};
	int *fields[] = {&s->version, &s->pid, &s->stop_signal, &s->stop_timeout, &s->listener, &s->log, &s->out,
			 &s->err, &s->master, &s->stdin_fd, &s->owner, &s->net_helper, &s->net_lock};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(key, names[i]) == 0)
			return fields[i];
	return NULL;
}

// set_field stores one decoded field; false when key is unknown or val bad.
static bool set_field(struct state *s, const char *key, char *val) {
	if (strcmp(key, "id") == 0)
		s->id = val;
	else if (strcmp(key, "restarts") == 0)
		s->restarts = val;
	else if (strcmp(key, "net_dir") == 0)
		s->net_dir = val;
	else if (strcmp(key, "interactive") == 0) {
		if (strcmp(val, "true") && strcmp(val, "false"))
			return false;
		s->interactive = val[0] == 't';
	} else if (strcmp(key, "rrun") == 0) {
		char **a = realloc(s->rrun, (size_t)(s->nrrun + 2) * sizeof(char *));
		if (!a)
			return false;
		s->rrun = a;
		a[s->nrrun++] = val;
		a[s->nrrun] = NULL;
	} else {
		int *p = int_field(s, key);
		return p && parse_int(val, p);
	}
	return true;
}

// parse reads every field of v (modified in place); the first bad one is
// named in err.
static void parse(struct state *s, char *v, char *err, size_t errlen) {
	for (char *tok = strtok(v, " "); tok; tok = strtok(NULL, " ")) {
		char *eq = strchr(tok, '=');
		if (eq)
			*eq = 0;
		if (!eq || !unescape(eq + 1) || !set_field(s, tok, eq + 1)) {
			if (!err[0])
				snprintf(err, errlen, "failed to read %s: bad field %s", HANDOFF_ENV, tok);
		}
	}
}

// handoff_read fills st from HANDOFF_ENV and removes it from the
// environment; -1 with the reason in err when it cannot be used.
int handoff_read(struct state *s, char *err, size_t errlen) {
	*s = (struct state){.listener = -1, .log = -1, .out = -1, .err = -1, .master = -1, .stdin_fd = -1,
			    .owner = -1, .net_lock = -1, .id = "", .restarts = "", .net_dir = ""};
	err[0] = 0;
	const char *env = getenv(HANDOFF_ENV);
	char *v = env ? strdup(env) : NULL;
	unsetenv(HANDOFF_ENV);
	if (!v || !v[0]) {
		snprintf(err, errlen, "%s is not set: rrun-monitor is started by rrun only", HANDOFF_ENV);
		return -1;
	}
	parse(s, v, err, errlen);
	if (s->version != HANDOFF_VERSION) {
		snprintf(err, errlen, "handoff version %d, rrun-monitor speaks %d: use rrun-monitor from the same build as rrun",
			 s->version, HANDOFF_VERSION);
		return -1;
	}
	if (err[0])
		return -1;
	if (s->nrrun == 0 || !s->id[0]) {
		snprintf(err, errlen, "%s names no container or no rrun binary", HANDOFF_ENV);
		return -1;
	}
	return 0;
}
