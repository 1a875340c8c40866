// Growable byte strings, and JSON strings as host/monitor/logline writes
// them.
#include <stdlib.h>
#include <string.h>

#include "monitor.h"

void buf_add(struct buf *b, const void *p, size_t n) {
	if (b->oom)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n)
			cap *= 2;
		char *q = realloc(b->p, cap);
		if (!q) {
			b->oom = true;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

void buf_addc(struct buf *b, char c) { buf_add(b, &c, 1); }

void buf_adds(struct buf *b, const char *s) { buf_add(b, s, strlen(s)); }

void buf_addint(struct buf *b, long long v) {
	char d[24];
	int i = sizeof(d);
	unsigned long long u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
	do
		d[--i] = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		d[--i] = '-';
	buf_add(b, d + i, sizeof(d) - (size_t)i);
}

void buf_free(struct buf *b) {
	free(b->p);
	*b = (struct buf){0};
}

// utf8_len is the length of the valid UTF-8 sequence at p (n bytes left),
// 0 when it is invalid: Go's utf8.DecodeRune's rules (no overlong forms,
// no surrogates, nothing above U+10FFFF).
static size_t utf8_len(const unsigned char *p, size_t n) {
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t len;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
	else
		return 0;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

// json_string appends s as a JSON string; invalid UTF-8 becomes U+FFFD,
// as encoding/json does (logline.AppendString).
void json_string(struct buf *b, const char *s, size_t n) {
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	buf_addc(b, '"');
	for (size_t i = 0; i < n;) {
		size_t run = i;
		while (run < n && p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' && p[run] != '\\')
			run++;
		if (run > i) {
			buf_add(b, p + i, run - i);
			i = run;
			continue;
		}
		unsigned char c = p[i];
		if (c >= 0x80) {
			size_t len = utf8_len(p + i, n - i);
			if (len == 0) {
				buf_adds(b, "\\ufffd");
				i++;
			} else {
				buf_add(b, p + i, len);
				i += len;
			}
			continue;
		}
		if (c == '"' || c == '\\') {
			char e[2] = {'\\', (char)c};
			buf_add(b, e, 2);
		} else if (c == '\n')
			buf_adds(b, "\\n");
		else if (c == '\r')
			buf_adds(b, "\\r");
		else if (c == '\t')
			buf_adds(b, "\\t");
		else if (c < 0x20) {
			char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};
			buf_add(b, e, 6);
		}
		i++;
	}
	buf_addc(b, '"');
}
