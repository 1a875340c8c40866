// Shared by nsenter_linux.c, cexec_linux.c and cinit_linux.c.
#ifndef RRUN_NSENTER_H
#define RRUN_NSENTER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

// RRUN_PROTOCOL_VERSION is nsinit.ProtocolVersion (a test checks).
#define RRUN_PROTOCOL_VERSION 7

struct rrun_rlimit {
	uint32_t res;
	uint64_t soft, hard;
	const char *name;
};

struct rrun_cexec_config {
	uint32_t version, flags, uid, gid, umask, last_cap;
	uint64_t bounding, effective, permitted, inheritable, ambient, seccomp_flags;
	const char *cwd, *quoted_arg0;
	char **args, **env;
	uint32_t ngids;
	gid_t *gids;
	uint32_t nrlimits;
	struct rrun_rlimit *rlimits;
	uint32_t bpf_len;
	const unsigned char *bpf;
};

struct rrun_reader {
	const unsigned char *p, *end;
	int bad;
};

// Shared by the C exec path and the C init (cexec_linux.c).
const char *rrun_errstr(int err);
void rrun_message(const char *type, const char *kind, const char *text);
void rrun_logf(const char *format, ...) __attribute__((format(printf, 1, 2)));
void rrun_failf(const char *format, ...) __attribute__((noreturn, format(printf, 1, 2)));
const unsigned char *rrun_take(struct rrun_reader *r, size_t n);
uint32_t rrun_u32(struct rrun_reader *r);
uint64_t rrun_u64(struct rrun_reader *r);
char *rrun_str(struct rrun_reader *r);
void *rrun_count(struct rrun_reader *r, uint32_t *n, size_t size);
char **rrun_strs(struct rrun_reader *r);
void rrun_read_full(int fd, void *buf, size_t n);
// rrun_read_message reads a length-prefixed configuration from the control
// socket (who names the reader in errors); it exits when the plugin is gone.
struct rrun_reader rrun_read_message(const char *who);
// rrun_check_config fails (who names the reader) when the plugin spoke
// another protocol version or its configuration did not parse.
void rrun_check_config(const char *who, uint32_t version, int bad);
void rrun_parse(struct rrun_reader *r, struct rrun_cexec_config *c);
int rrun_mkdir_all(char *path, mode_t mode, const char **failed);
void rrun_become_process(const struct rrun_cexec_config *c);
void rrun_exec_process(const struct rrun_cexec_config *c) __attribute__((noreturn));

// rrun_cinit is the C init (cinit_linux.c): it returns only in a spare
// whose container is set up in Go.
void rrun_cinit(int spare);

// rrun_spare_stdio_taken tells the Go side that a spare's stdio is in
// place already.
int rrun_spare_stdio_taken(void);

// rrun_control_fd is the control socket (fd 3, or $_RRUN_FD_BASE).
extern int rrun_control_fd;

// rrun_send writes a whole message on the control socket, or gives up
// when the plugin has gone.
void rrun_send(const char *msg);

// rrun_cexec is the C exec path (cexec_linux.c); it never returns.
void rrun_cexec(void) __attribute__((noreturn));

#endif
