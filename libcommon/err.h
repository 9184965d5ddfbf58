/*
 * err.h: errors, warnings and exits for pal programs, shaped like err(3).
 *
 * Every message goes to stderr as "pal-x: message", where pal-x is the name
 * set by pal_init().  Messages follow git's rules: lowercase first word, no
 * full stop, what failed first, then where in parentheses.
 *
 * Exit statuses are fixed for the whole project:
 *   0  success
 *   1  runtime or data error (die, die_errno)
 *   2  usage error (usage_die)
 * EPIPE on output is not an error message: the program dies quietly by
 * SIGPIPE, as it would have if SIGPIPE had not been ignored by its parent.
 *
 * Library code does not call die() or exit: see "the library's errors"
 * below.  Only programs (cmd/) decide to exit.
 */
#ifndef PAL_ERR_H
#define PAL_ERR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define PAL_EXIT_OK 0
#define PAL_EXIT_DATA 1
#define PAL_EXIT_USAGE 2

/* Program name for messages ("pal-cat"); set by pal_init(). */
extern const char *pal_progname;

/*
 * Set the program name, and make sure SIGPIPE has its default action so a
 * closed reader ends the program quietly.
 */
void pal_init(const char *progname);

/*
 * Whether a progress line (progress.h) is on the terminal of stderr, not
 * ended by a newline: every message of this API clears it first, so that
 * the message starts a line of its own.
 */
extern int pal_stderr_line;

/* Print "pal-x: message" to stderr and exit with status 1. */
_Noreturn void die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* Like die(), followed by ": strerror(errno)". EPIPE dies by SIGPIPE. */
_Noreturn void die_errno(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/*
 * Print "pal-x: message" and a hint to run --help, and exit with status 2.
 * For bad options and arguments, detected before any input is read.
 */
_Noreturn void usage_die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* Print "pal-x: message" to stderr and return. */
void warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Called on a failed write with errno set: if it is EPIPE, die quietly by
 * SIGPIPE (exit status 141 in a shell); otherwise return.
 */
void pal_check_epipe(void);

/* ---- cleaning up when a program ends early -----------------------------
 *
 * What a program must undo if it ends before it finishes: temporary files
 * to remove, process groups of children to kill.  Each is a struct
 * pal_cleanup that its owner (io.c's outputs, proc.c's children) puts on
 * one list of the process, the only state this kept outside its owners, so
 * that a signal handler can reach it.  The list is run
 *
 *   - by die(), die_errno(), usage_die() and pal_check_epipe(), and
 *   - on SIGINT, SIGTERM, SIGHUP and SIGPIPE, by a handler that err.c
 *     installs when the first entry is added (a signal ignored when the
 *     program started, as nohup(1) does, stays ignored).  The handler only
 *     calls unlink(2) and kill(2), which are async-signal-safe, then resets
 *     the signal to its default action and raises it again, so that the
 *     program is seen to die by that signal (128+n in a shell).
 *
 * Entries are added and removed with these signals blocked in the calling
 * thread, so a handler never sees a half-linked entry.  After kill -9
 * nothing runs: io.c uses O_TMPFILE so there is no name to leave behind,
 * and proc.c's children get SIGKILL from the kernel (PR_SET_PDEATHSIG).
 */
struct pal_cleanup {
	struct pal_cleanup *next;	/* err.c's list */
	const char *path;		/* unlink(2)ed when not NULL */
	int pgid;			/* kill(-pgid, SIGKILL) when > 0 */
};

/* Put c (its path and pgid set) on the list; c must stay valid until
 * pal_cleanup_remove(c). */
void pal_cleanup_add(struct pal_cleanup *c);
/* Take c off the list (nothing if it is not on it). */
void pal_cleanup_remove(struct pal_cleanup *c);
/*
 * Block the signals above in this thread (pal_cleanup_hold) and restore
 * the mask (pal_cleanup_release): for a step that must not be cut in two,
 * such as renaming an output into place and taking its temporary off the
 * list.  A signal that arrives meanwhile is handled on release.
 */
void pal_cleanup_hold(void);
void pal_cleanup_release(void);
/* Run the list now (what die() does): unlink the paths, kill the groups. */
void pal_cleanup_run(void);

/* malloc/calloc/realloc that die with a message on failure. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* ---- the library's errors ----------------------------------------------
 *
 * One convention for every libcommon module (stream, csv, journal, oracle
 * and process pools, the farm, the numerics):
 *
 *   - A function that can fail returns -1 (an int result) or NULL (a
 *     pointer result) and fills a struct pal_error: either one the caller
 *     passes (`struct pal_error *err` as the last parameter), or, for an
 *     object that lives on (a reader, a writer, a journal), one the object
 *     keeps and hands out with a `*_error()` accessor.
 *   - msg is a complete message in the program's style, "what went wrong
 *     (where)", without the "pal-x: " prefix: a program prints it with
 *     die("%s", err.msg) and adds nothing.
 *   - kind says what sort of failure it is, so that a caller can treat a
 *     truncated stream apart from a corrupt one, or an I/O error apart from
 *     bad data; errnum keeps errno for PAL_ERR_IO.
 *   - Out of memory in a library function that allocates as part of its
 *     normal work may die through xmalloc(); functions that read sizes from
 *     untrusted input check them first and report PAL_ERR_LIMIT instead.
 *
 * No library function prints, exits, or keeps an error in a global.
 */
enum pal_errkind {
	PAL_ERR_NONE = 0,
	PAL_ERR_IO,			/* read or write failed; errno kept */
	PAL_ERR_TRUNCATED,		/* input ended inside a frame or before an end frame */
	PAL_ERR_CORRUPT,		/* bad magic, checksum, field or layout */
	PAL_ERR_LIMIT,			/* a size beyond the limits above */
	PAL_ERR_NOMEM,			/* allocation failed */
	PAL_ERR_USAGE,			/* the caller passed bad arguments */
	PAL_ERR_MISMATCH,		/* a file that belongs to something else */
	PAL_ERR_NUMERIC,		/* a matrix not positive definite, a non-finite value */
};

struct pal_error {
	int kind;			/* enum pal_errkind */
	int errnum;			/* errno, for PAL_ERR_IO */
	uint64_t offset;		/* byte offset of the defect, where known */
	/* "what went wrong (where)", e.g.
	 * "payload checksum mismatch (a.pal: frame 3 at offset 4096)" */
	char msg[512];
};

/*
 * Fill e (when not NULL) with kind, errnum and a formatted message; offset
 * is set to 0.  Returns -1, so that `return pal_seterr(...)` reads well.
 */
int pal_seterr(struct pal_error *e, int kind, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
