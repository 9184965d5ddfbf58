/*
 * oracle.h: running a user's oracle program, many at a time.
 *
 * An oracle call runs "/bin/sh -c CMD" with n rows of x on its standard
 * input, one line of numbers per row, and reads n lines of k numbers from
 * its standard output; with a gradient (g > 0), n lines of k + g numbers,
 * y then the gradient.  A pool runs up to `jobs` calls at once as a proc.h
 * pool and waits for them with poll(2): no threads.  Each call is a process
 * group of its own, so a timeout kills everything the command started; so
 * do die() and SIGINT, SIGTERM, SIGHUP (err.h, "cleaning up"), and the
 * shell gets SIGKILL if the calling process dies (PR_SET_PDEATHSIG).  A
 * pool keeps all its state in itself: a program may hold several.
 * Timeouts run on the monotonic clock; t_start and t_end are wall-clock
 * times, for the user.
 *
 * What a call came to is one of the status codes below, with a message that
 * says why (the exit status or signal, the first line of its standard error,
 * the offending output).  These codes are the `status` column of pal-label.
 */
#ifndef PAL_ORACLE_H
#define PAL_ORACLE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum oracle_status {
	ORACLE_OK = 0,
	ORACLE_EXIT = 1,		/* exited with a non-zero status */
	ORACLE_SIGNAL = 2,		/* killed by a signal */
	ORACLE_TIMEOUT = 3,		/* ran past the timeout, killed */
	ORACLE_OUTPUT = 4,		/* printed something that is not k (+ g)
					 * numbers per row */
	ORACLE_START = 5,		/* could not be started (fork, workdir, exec) */
	ORACLE_NONFINITE = 6,		/* gave NaN or infinity */
};

/* A word for status s ("exit", "signal", ...), for summaries. */
const char *oracle_status_name(int s);

struct oracle_opts {
	const char *cmd;		/* run by /bin/sh -c */
	unsigned jobs;			/* calls at once, >= 1 */
	double timeout;			/* seconds per call; 0 for none */
	const char *workdir;		/* scratch directories go here, or NULL */
	int keep_workdir;		/* keep them after a success too */
	int rank;			/* for PAL_RANK and scratch names */
};

/* One call: n rows of d numbers, with their ids.  Copied by oracle_start. */
struct oracle_call {
	void *tag;			/* the caller's, handed back */
	size_t n;
	const uint64_t *ids;		/* n ids */
	const double *x;		/* n x d numbers */
	uint32_t d;
	uint32_t k;			/* numbers of y per output line; 0: any,
					 * fixed by the first line */
	uint32_t g;			/* numbers of the gradient after y on
					 * each line (pal-label --grad: d); 0
					 * for none */
	unsigned attempt;		/* 1 for the first try (PAL_ATTEMPT) */
};

/* What a call came to, handed to the callback of oracle_wait. */
struct oracle_done {
	void *tag;
	size_t n;
	int status;			/* enum oracle_status */
	uint32_t k;			/* numbers per row in y */
	const double *y;		/* n x k numbers when status is ORACLE_OK */
	uint32_t g;			/* numbers per row in grad, as called */
	const double *grad;		/* n x g numbers when status is ORACLE_OK
					 * and g > 0, else NULL */
	double t_start, t_end;		/* seconds since the Unix epoch */
	const char *msg;		/* why it failed; "" when it did not */
};

struct oracle;

/*
 * A pool for opts (copied; cmd and workdir must outlive the pool).  Returns
 * NULL with err filled if the workdir cannot be created (PAL_ERR_IO) or
 * memory runs out.
 */
struct oracle *oracle_new(const struct oracle_opts *opts,
			  struct pal_error *err);
/* Calls that can be started now (jobs minus those running). */
unsigned oracle_idle(const struct oracle *o);
/* Calls running. */
unsigned oracle_running(const struct oracle *o);
/*
 * Start a call; there must be an idle slot.  A call that cannot start is
 * not lost: it finishes at the next oracle_wait with ORACLE_START.
 */
void oracle_start(struct oracle *o, const struct oracle_call *c);
/*
 * Wait up to timeout seconds (0: just look; negative: until something
 * happens) and call fn for each call that finished.  Returns the number of
 * calls finished.  The oracle_done and its strings are valid during fn only.
 */
int oracle_wait(struct oracle *o, double timeout,
		void (*fn)(void *arg, const struct oracle_done *d), void *arg);
/* Kill every running call and free the pool. */
void oracle_free(struct oracle *o);

/* Seconds since the Unix epoch, to the nanosecond the clock gives: for
 * times reported to users (pal_clock_wall); measure intervals and
 * deadlines with pal_clock_mono (proc.h). */
double oracle_now(void);

#endif
