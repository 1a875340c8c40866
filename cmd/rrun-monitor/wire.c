// The monitor protocol's JSON (host/monitor.Request and Response). A
// request is one flat object; a field rrun-monitor does not use (exec's
// nested object) is skipped.
#include <stdlib.h>
#include <string.h>

#include "monitor.h"

struct scanner {
	const char *b;
	size_t n, i;
};

static void ws(struct scanner *p) {
	while (p->i < p->n && strchr(" \n\t\r", p->b[p->i]) && p->b[p->i])
		p->i++;
}

static bool consume(struct scanner *p, char c) {
	ws(p);
	if (p->i < p->n && p->b[p->i] == c) {
		p->i++;
		return true;
	}
	return false;
}

static bool scan_int(struct scanner *p, long long *v) {
	ws(p);
	size_t start = p->i;
	while (p->i < p->n && (p->b[p->i] == '-' || (p->b[p->i] >= '0' && p->b[p->i] <= '9')))
		p->i++;
	size_t len = p->i - start, k = len > 0 && p->b[start] == '-';
	if (len == k || len > 19)
		return false;
	long long n = 0;
	for (size_t j = start + k; j < p->i; j++) {
		if (p->b[j] == '-')
			return false;
		n = n * 10 + (p->b[j] - '0');
	}
	*v = k ? -n : n;
	return true;
}

static void add_rune(struct buf *out, unsigned r) {
	if (r >= 0xd800 && r <= 0xdfff)
		r = 0xfffd; // a lone surrogate, as utf8.AppendRune writes it
	if (r < 0x80)
		buf_addc(out, (char)r);
	else if (r < 0x800) {
		char e[2] = {(char)(0xc0 | r >> 6), (char)(0x80 | (r & 0x3f))};
		buf_add(out, e, 2);
	} else {
		char e[3] = {(char)(0xe0 | r >> 12), (char)(0x80 | (r >> 6 & 0x3f)), (char)(0x80 | (r & 0x3f))};
		buf_add(out, e, 3);
	}
}

static bool escape(struct scanner *p, struct buf *out) {
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	char e = p->b[p->i++];
	if (e == 'u' && p->i + 4 <= p->n) {
		unsigned r = 0;
		for (int k = 0; k < 4; k++) {
			char c = p->b[p->i++];
			int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
			if (d < 0)
				return false;
			r = r << 4 | (unsigned)d;
		}
		add_rune(out, r);
		return true;
	}
	const char *f = e ? strchr(from, e) : NULL;
	if (!f)
		return false;
	buf_addc(out, to[f - from]);
	return true;
}

// scan_str reads a string, with JSON's escapes, into out (NULL: skipped).
static bool scan_str(struct scanner *p, struct buf *out) {
	struct buf skipped = {0};
	if (!out)
		out = &skipped;
	bool ok = false;
	if (consume(p, '"')) {
		while (p->i < p->n) {
			char c = p->b[p->i++];
			if (c == '"') {
				ok = !out->oom;
				break;
			}
			if (c != '\\')
				buf_addc(out, c);
			else if (p->i >= p->n || !escape(p, out))
				break;
		}
	}
	buf_free(&skipped);
	return ok;
}

// skip passes over one value of any kind.
static bool skip(struct scanner *p) {
	ws(p);
	if (p->i >= p->n)
		return false;
	char c = p->b[p->i];
	if (c == '"')
		return scan_str(p, NULL);
	if (c != '{' && c != '[') {
		while (p->i < p->n && p->b[p->i] != ',' && p->b[p->i] != '}')
			p->i++; // a number, true, false or null
		return true;
	}
	for (int depth = 0; p->i < p->n;) {
		c = p->b[p->i];
		if (c == '"') {
			if (!scan_str(p, NULL))
				return false;
			continue;
		}
		depth += (c == '{' || c == '[') - (c == '}' || c == ']');
		p->i++;
		if (depth == 0)
			return true;
	}
	return false;
}

static bool set(struct scanner *p, struct request *r, const struct buf *key) {
	long long v = 0;
#define KEY(k) (key->len == sizeof(k) - 1 && memcmp(key->p, k, key->len) == 0)
	if (KEY("version") || KEY("signal") || KEY("timeout") || KEY("width") || KEY("height")) {
		if (!scan_int(p, &v))
			return false;
		if (KEY("version"))
			r->version = (int)v;
		else if (KEY("signal"))
			r->signal = (int)v;
		else if (KEY("timeout"))
			r->timeout = (int)v;
		else if (KEY("width"))
			r->width = (unsigned)v;
		else
			r->height = (unsigned)v;
		return true;
	}
	if (KEY("op")) {
		struct buf op = {0};
		bool ok = scan_str(p, &op) && (op.len == 0 || !memchr(op.p, 0, op.len));
		buf_addc(&op, 0);
		free(r->op);
		r->op = op.p;
		return ok && !op.oom;
	}
	if (KEY("data")) {
		struct buf s = {0};
		bool ok = scan_str(p, &s);
		r->data.len = 0;
		ok = ok && base64_decode(s.p, s.len, &r->data);
		buf_free(&s);
		return ok;
	}
#undef KEY
	return skip(p);
}

// parse_request reads one request object; false when it is not one.
bool parse_request(const char *b, size_t n, struct request *r) {
	struct scanner p = {b, n, 0};
	*r = (struct request){0};
	if (!consume(&p, '{'))
		return false;
	for (bool first = true;; first = false) {
		if (consume(&p, '}')) {
			ws(&p);
			return p.i == p.n;
		}
		struct buf key = {0};
		bool ok = (first || consume(&p, ',')) && scan_str(&p, &key) && consume(&p, ':') && set(&p, r, &key);
		buf_free(&key);
		if (!ok)
			return false;
	}
}

void free_request(struct request *r) {
	free(r->op);
	buf_free(&r->data);
	*r = (struct request){0};
}

// encode_response writes r as host/monitor.Response's JSON.
void encode_response(struct buf *b, const struct response *r) {
	buf_adds(b, r->ok ? "{\"ok\":true" : "{\"ok\":false");
	const char *keys[] = {"error", "hint", "kind"}, *vals[] = {r->error, r->hint, r->kind};
	for (int i = 0; i < 3; i++) {
		if (!vals[i] || !vals[i][0])
			continue;
		buf_adds(b, ",\"");
		buf_adds(b, keys[i]);
		buf_adds(b, "\":");
		json_string(b, vals[i], strlen(vals[i]));
	}
	if (r->exited)
		buf_adds(b, ",\"exited\":true");
	if (r->delegates)
		buf_adds(b, ",\"delegates_exec\":true");
	buf_adds(b, ",\"exit_code\":");
	buf_addint(b, r->exit_code);
	buf_addc(b, '}');
}

// base64_decode decodes standard, padded base64 (what encoding/json
// writes for []byte).
bool base64_decode(const char *s, size_t n, struct buf *out) {
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	if (n % 4)
		return false;
	for (size_t i = 0; i < n; i += 4) {
		unsigned v = 0;
		int pad = 0;
		for (int j = 0; j < 4; j++) {
			char c = s[i + (size_t)j];
			const char *d = c ? strchr(alphabet, c) : NULL;
			if (c == '=' && i + 4 == n && j >= 2)
				pad++;
			else if (!d || pad)
				return false;
			v = v << 6 | (d && c != '=' ? (unsigned)(d - alphabet) : 0);
		}
		char o[3] = {(char)(v >> 16), (char)(v >> 8), (char)v};
		buf_add(out, o, (size_t)(3 - pad));
	}
	return !out->oom;
}
