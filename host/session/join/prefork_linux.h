// The wire format between a warm-path command's constructor (the client)
// and a pool process (cmd/rrun/prefork.go reads it): version 1.
#include <stdint.h>

#define PREFORK_MAGIC "RPF1"
#define PREFORK_VERSION 1
#define PREFORK_FD_LIMIT 64 // fds a client may pass: 0..63
#define PREFORK_MAX 8       // pool processes a holder keeps at most: twice RRUN_PREFORK's most, for busy ones

// prefork_header is sent with the client's open fds (SCM_RIGHTS, in
// ascending order, their numbers in targets); len bytes follow: the
// working directory, argc arguments and envc environment entries, each
// NUL-terminated. The server answers 'A' once it serves the command, then
// 'E' and the exit code (int32, native order) when it ends.
struct prefork_header {
	char magic[4];
	uint32_t version, nfds, argc, envc, umask;
	uint32_t ignored; // bit N: signal N was ignored (SIG_IGN) in the client
	uint32_t verb;    // warm_verb's: 1 run, 3 exec, 4 a Slurm step's prepare (5: a detached monitor, from Go)
	uint64_t len;
	int64_t start_ns;
	int32_t targets[PREFORK_FD_LIMIT];
};

void rrun_prefork_child_init(int argc, char **argv);
void rrun_prefork_holder_wait(int n, const char *rundir, const char *mapping, unsigned tick);
void rrun_prefork_try(int argc, char **argv, char **envp, const char *rundir, int holder, int verb);
