/*
 * proc.h: child processes.  Starting one, each in a process group of its
 * own that dies with us, waiting for it, and pools of them driven by
 * poll(2).  pal-gen --exec runs one child; pal-label's oracles (oracle.h)
 * are a pool; pal-orchestrate can hold several pools at once, since a
 * pool keeps all its state in itself.
 *
 * What is process-wide, and why:
 *
 *   - A child is on err.h's cleanup list from its start until it is
 *     reaped, so that die() and SIGINT, SIGTERM, SIGHUP or SIGPIPE kill
 *     its process group.  For SIGKILL, which runs nothing, the child asks
 *     the kernel for SIGKILL when we die (PR_SET_PDEATHSIG); that reaches
 *     the program the shell runs when the command is a simple one (the
 *     shell execs it), not what a compound command starts.
 *   - Pools learn of exits through one SIGCHLD self-pipe, shared by every
 *     pool of the process and counted: the first pool makes the pipe and
 *     installs the handler, the last one freed closes it and puts the old
 *     handler back.  A pool also looks at its children before each poll,
 *     so a wake-up eaten by another pool is never lost.
 *
 * Timeouts and deadlines are on CLOCK_MONOTONIC (pal_clock_mono), which
 * neither jumps nor slews with the wall clock; times reported to users
 * (when a call started and ended) are wall-clock epoch seconds
 * (pal_clock_wall).
 *
 * Errors follow err.h: -1 or NULL and a struct pal_error.
 */
#ifndef PAL_PROC_H
#define PAL_PROC_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/* Seconds on CLOCK_MONOTONIC: for timeouts, deadlines, rates. */
double pal_clock_mono(void);
/* Seconds since the Unix epoch (CLOCK_REALTIME): for reports only. */
double pal_clock_wall(void);

/* What to run. */
struct proc_spec {
	char *const *argv;		/* argv[0] is a path: no PATH search */
	char *const *env;		/* NULL: our environment */
	int fd_in, fd_out, fd_err;	/* become its 0, 1, 2; -1: ours */
	const char *dir;		/* it starts in dir, or NULL */
};

/* A child; its process group has the same id. */
struct proc_child {
	pid_t pid;			/* 0 once reaped */
	int wstatus;			/* once reaped */
	struct pal_cleanup cleanup;	/* kills the group if we die first */
};

/*
 * Start spec as c: vfork(2), a new process group, SIGKILL when we die,
 * signals with handlers back to their defaults and our signal mask, the
 * descriptors, the directory, execve(2).  Returns 0, or -1 with err filled
 * when it did not start (fork, chdir or exec failed: err->errnum says why,
 * and nothing is left running).
 */
int proc_start(struct proc_child *c, const struct proc_spec *spec,
	       struct pal_error *err);
/* Send sig to c's process group, if c has not been reaped. */
void proc_kill(const struct proc_child *c, int sig);
/*
 * Whether c has ended: 1 when it has (reaped, c->wstatus set), 0 when it
 * is running.  Reaping kills what c left behind in its process group.
 */
int proc_poll(struct proc_child *c);
/* Wait for c to end, reap it as proc_poll does, and return its status. */
int proc_wait(struct proc_child *c);

/*
 * What to give /bin/sh -c for the user's cmd (malloc'd; NULL if memory ran
 * out): "exec cmd" when cmd is one simple command without shell syntax, so
 * that the shell replaces itself by the program and PR_SET_PDEATHSIG and a
 * timeout's kill reach the program itself; cmd as it is otherwise.
 */
char *proc_sh_command(const char *cmd);

/* ---- pools -------------------------------------------------------------- */

struct proc_pool;

/* A job for a pool: spec's descriptors are ignored (the pool makes pipes
 * for standard input, output and error). */
struct proc_job {
	const struct proc_spec *spec;	/* NULL: a job the caller could not
					 * prepare, handed back at the next
					 * wait, not started (ECANCELED) */
	void *tag;			/* the caller's, handed back */
	char *in;			/* fed to standard input; the pool
					 * frees it (malloc'd, or NULL) */
	size_t in_len;
	double timeout;			/* seconds; 0 for none */
};

/* What a job came to, handed to the callback of proc_pool_wait. */
struct proc_done {
	struct proc_pool *pool;		/* the job's */
	void *tag;
	int start_errno;		/* non-zero: it did not start */
	const char *start_msg;		/* then: what failed, and why */
	int timed_out;			/* killed for running past timeout */
	int wstatus;			/* otherwise, how it ended */
	char *out;			/* its standard output (up to 64 MiB),
					 * with a spare byte past out_len */
	size_t out_len;
	const char *err;		/* the start of its standard error */
	size_t err_len;
	double t_start, t_end;		/* wall clock, epoch seconds */
};

/* A pool running up to `slots` jobs at once (>= 1). */
struct proc_pool *proc_pool_new(unsigned slots, struct pal_error *err);
/* Jobs that can be started now; jobs running. */
unsigned proc_pool_idle(const struct proc_pool *p);
unsigned proc_pool_running(const struct proc_pool *p);
/*
 * Start a job; there must be an idle slot.  A job that cannot start is not
 * lost: it finishes at the next proc_pool_wait with start_errno set.
 */
void proc_pool_start(struct proc_pool *p, const struct proc_job *j);
/*
 * Wait up to timeout seconds (0: just look; negative: until something
 * happens) and call fn for each job that ended.  Returns the number of
 * jobs ended.  The proc_done and its buffers are valid during fn only (fn
 * may write into out, up to out_len + 1 bytes).
 */
int proc_pool_wait(struct proc_pool *p, double timeout,
		   void (*fn)(void *arg, struct proc_done *d), void *arg);
/*
 * proc_pool_wait over n pools at once (a supervisor's several kinds of
 * children): one poll(2) for all, fn called for the jobs of any of them.
 * Returns the number of jobs ended, or -1 with err if memory ran out.
 */
int proc_pools_wait(struct proc_pool *const *pools, size_t n, double timeout,
		    void (*fn)(void *arg, struct proc_done *d), void *arg,
		    struct pal_error *err);
/* Kill every running job (its process group), reap it and free the pool. */
void proc_pool_free(struct proc_pool *p);

#endif
