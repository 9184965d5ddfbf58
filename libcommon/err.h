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
 * Library code (stream.c, csv.c) does not call these; it returns error codes
 * with a message in a struct pal_error, and the program decides.
 */
#ifndef PAL_ERR_H
#define PAL_ERR_H

#include <stdarg.h>
#include <stddef.h>

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
 * Register a function run by die(), die_errno() and usage_die() before they
 * exit, at most one: programs use it to remove a half-written output file so
 * that a failure never leaves output that looks complete.
 */
void pal_atdie(void (*fn)(void));

/*
 * Called on a failed write with errno set: if it is EPIPE, die quietly by
 * SIGPIPE (exit status 141 in a shell); otherwise return.
 */
void pal_check_epipe(void);

/* malloc/calloc/realloc that die with a message on failure. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

#endif
