// rrun-monitor owns a running detached container on rrun's warm path: it
// writes the container's output into its log, reaps its init, serves the
// monitor socket, and hands the container back to `rrun __monitor --resume`
// once it exited (docs/internal.md, "The small monitor of a detached
// container"). Every detached container keeps one resident, so it is C,
// single-threaded and built static (make build): a few hundred kB.
#ifndef RRUN_MONITOR_H
#define RRUN_MONITOR_H

#include <stdbool.h>
#include <stddef.h>

// HANDOFF_VERSION must equal host/monitor/handoff.Version; the state comes
// in HANDOFF_ENV (see handoff.c for its encoding).
#define HANDOFF_VERSION 3
#define HANDOFF_ENV "_RRUN_SMALL_MONITOR"

// Variables `rrun __monitor --resume` and `--exec` read (handoff.go).
#define LISTENER_FD_ENV "_RRUN_MONITOR_LISTENER_FD"
#define RESTARTS_ENV "_RRUN_RESTARTS"
#define EXEC_REQUEST_ENV "_RRUN_EXEC_REQUEST"
#define EXEC_FDS_ENV "_RRUN_EXEC_FDS"
#define OWNER_FD_ENV "_RRUN_OWNER_FD"

// PROTOCOL_VERSION must equal host/monitor.ProtocolVersion.
#define PROTOCOL_VERSION 1

// state is host/monitor/handoff.State: fds are open in this process, -1
// when absent.
struct state {
	int version;
	char *id;
	int pid; // the init, this process's child
	bool interactive;
	int stop_signal, stop_timeout;
	char **rrun; // the rrun binary and its global flags, NULL-terminated
	int nrrun;
	char *restarts;
	int listener, log, out, err, master, stdin_fd, owner;
	int net_helper; // a private network's helper, our child; 0: none
	char *net_dir;
	int net_lock;
};

// buf is a growable byte string; a failed allocation sets oom and drops
// what was being added (a log line is lost, never the container).
struct buf {
	char *p;
	size_t len, cap;
	bool oom;
};
void buf_add(struct buf *b, const void *p, size_t n);
void buf_addc(struct buf *b, char c);
void buf_adds(struct buf *b, const char *s);
void buf_addint(struct buf *b, long long v);
void buf_free(struct buf *b);

// handoff.c
int handoff_read(struct state *st, char *err, size_t errlen);

// logs.c: the output of the init (pipes or terminal) into its log.
#define NSTREAMS 3
int logs_fd(int i);          // stream i's fd, -1 once closed
void logs_init(const struct state *st);
void logs_pump(int i);       // stream i is readable (or hung up)
bool logs_open(void);        // some stream is still open
void json_string(struct buf *b, const char *s, size_t n);
void rfc3339nano(struct buf *b, long long sec, long nsec);
void log_entries(struct buf *out, long long sec, long nsec, const char *stream, const char *p, size_t n);

// wire.c: the monitor protocol's JSON (host/monitor.Request, Response).
struct request {
	int version;
	char *op;
	int signal, timeout;
	unsigned width, height;
	struct buf data;
};
struct response {
	bool ok, delegates, exited;
	const char *error, *hint, *kind;
	int exit_code;
};
bool parse_request(const char *p, size_t n, struct request *r);
void free_request(struct request *r);
void encode_response(struct buf *b, const struct response *r);
bool base64_decode(const char *s, size_t n, struct buf *out);

// serve.c: the monitor socket.
struct pollfd;
void serve_init(void);
int serve_npoll(void);
int serve_pollfds(struct pollfd *pfd);
void serve_events(struct pollfd *pfd, int n);
void serve_exited(void);
long long serve_deadline(void);
void serve_timers(void);
void serve_last(void);

// exec.c
void exec_delegate(int conn, const char *req, size_t n, const int *fds, int nfds);
char **env_with(const char *const *kv);

// main.c
extern struct state st;
extern bool init_done;
extern int init_code;
int kill_init(int sig);
long long now_ms(void);
void restore_signals(void);
const char *errstr(int e);

#endif
