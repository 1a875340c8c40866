// Shared by nsenter_linux.c and cexec_linux.c.
#ifndef RRUN_NSENTER_H
#define RRUN_NSENTER_H

// rrun_control_fd is the control socket (fd 3, or $_RRUN_FD_BASE).
extern int rrun_control_fd;

// rrun_send writes a whole message on the control socket, or gives up
// when the plugin has gone.
void rrun_send(const char *msg);

// rrun_cexec is the C exec path (cexec_linux.c); it never returns.
void rrun_cexec(void) __attribute__((noreturn));

#endif
