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

void pal_init(const char *progname)
{
	pal_progname = progname;
	signal(SIGPIPE, SIG_DFL);
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

/* ---- the cleanup list and the fatal signals ---------------------------- */

static const int fatal_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
#define NFATAL (sizeof(fatal_signals) / sizeof(*fatal_signals))

/*
 * The list, and the pid that made it: a child forked by the program (and
 * not yet exec'd) inherits the handler and a copy of the list, and must
 * not remove its parent's files or kill its parent's children.
 */
static struct pal_cleanup *volatile cleanup_list;
static volatile pid_t cleanup_pid;
static int handlers_installed;
static unsigned hold_depth;
static sigset_t hold_saved;

static void run_list(void)
{
	for (struct pal_cleanup *c = cleanup_list; c; c = c->next) {
		if (c->pgid > 0)
			kill(-(pid_t)c->pgid, SIGKILL);
		if (c->path)
			unlink(c->path);
	}
}

/* Async-signal-safe: getpid, kill, unlink, sigaction, sigprocmask, raise. */
static void on_fatal(int sig)
{
	struct sigaction sa;
	sigset_t set;
	int e = errno;

	if (getpid() == cleanup_pid)
		run_list();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	errno = e;		/* not reached, unless sig is blocked elsewhere */
}

static void install_handlers(void)
{
	struct sigaction sa, old;

	handlers_installed = 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NFATAL; i++)
		sigaddset(&sa.sa_mask, fatal_signals[i]);
	for (size_t i = 0; i < NFATAL; i++) {
		if (sigaction(fatal_signals[i], NULL, &old) < 0 ||
		    old.sa_handler == SIG_IGN)
			continue;
		sigaction(fatal_signals[i], &sa, NULL);
	}
}

void pal_cleanup_hold(void)
{
	sigset_t set, old;

	sigemptyset(&set);
	for (size_t i = 0; i < NFATAL; i++)
		sigaddset(&set, fatal_signals[i]);
	sigprocmask(SIG_BLOCK, &set, &old);
	if (hold_depth++ == 0)
		hold_saved = old;
}

void pal_cleanup_release(void)
{
	if (hold_depth > 0 && --hold_depth == 0)
		sigprocmask(SIG_SETMASK, &hold_saved, NULL);
}

void pal_cleanup_add(struct pal_cleanup *c)
{
	pal_cleanup_hold();
	if (!handlers_installed)
		install_handlers();
	cleanup_pid = getpid();
	c->next = cleanup_list;
	cleanup_list = c;
	pal_cleanup_release();
}

void pal_cleanup_remove(struct pal_cleanup *c)
{
	pal_cleanup_hold();
	for (struct pal_cleanup *volatile *pp = &cleanup_list; *pp;
	     pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	c->next = NULL;
	pal_cleanup_release();
}

void pal_cleanup_run(void)
{
	pal_cleanup_hold();
	if (getpid() == cleanup_pid)
		run_list();
	cleanup_list = NULL;
	pal_cleanup_release();
}

static _Noreturn void finish(int status)
{
	pal_cleanup_run();
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
		pal_cleanup_run();
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
