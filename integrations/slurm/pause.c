/*
 * rrun-slurm-pause: pid 1 of the container the rrun SPANK plugin prepares for
 * a job step. It holds the namespaces the step's tasks join, reaps the
 * processes orphaned inside them, and exits on SIGTERM, SIGINT or SIGHUP.
 * It prints "ready" once it runs. Built static (make slurm) so it runs in
 * any image; rrun bind-mounts it read-only at /.rrun-slurm/pause.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (;;) {
		int sig = 0;
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig != SIGCHLD)
			return 0;
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
}
