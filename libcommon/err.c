/*
 * err.c: the error API of err.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "banned.h"

const char *pal_progname = "pal";
int pal_stderr_line;
static void (*atdie_fn)(void);

void pal_init(const char *progname)
{
	pal_progname = progname;
	signal(SIGPIPE, SIG_DFL);
}

void pal_atdie(void (*fn)(void))
{
	atdie_fn = fn;
}

static void vreport(const char *fmt, va_list ap, const char *suffix)
{
	char msg[4096];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (pal_stderr_line) {
		fputs("\r\033[K", stderr);	/* clear the progress line */
		pal_stderr_line = 0;
	}
	/* One fprintf, so concurrent ranks do not interleave within a line. */
	if (suffix)
		fprintf(stderr, "%s: %s: %s\n", pal_progname, msg, suffix);
	else
		fprintf(stderr, "%s: %s\n", pal_progname, msg);
}

static _Noreturn void finish(int status)
{
	void (*fn)(void) = atdie_fn;

	atdie_fn = NULL;
	if (fn)
		fn();
	exit(status);
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap, NULL);
	va_end(ap);
	finish(PAL_EXIT_DATA);
}

void pal_check_epipe(void)
{
	if (errno == EPIPE) {
		if (atdie_fn) {
			void (*fn)(void) = atdie_fn;

			atdie_fn = NULL;
			fn();
		}
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
		_exit(141);
	}
}

void die_errno(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	pal_check_epipe();
	va_start(ap, fmt);
	vreport(fmt, ap, strerror(saved));
	va_end(ap);
	finish(PAL_EXIT_DATA);
}

void usage_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap, NULL);
	va_end(ap);
	fprintf(stderr, "Try '%s --help' for more information.\n", pal_progname);
	finish(PAL_EXIT_USAGE);
}

void warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap, NULL);
	va_end(ap);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die("out of memory (allocating %zu bytes)", n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		die("out of memory (allocating %zu x %zu bytes)", n, size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		die("out of memory (allocating %zu bytes)", n);
	return q;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

int pal_seterr(struct pal_error *e, int kind, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return -1;
	e->kind = kind;
	e->errnum = errnum;
	e->offset = 0;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}
