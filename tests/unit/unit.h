/*
 * unit.h: a tiny TAP helper for the C unit tests in tests/unit/.
 *
 * Each check prints "ok N - what" or "not ok N - what", followed on failure
 * by a "# file:line: cond" comment; done() prints the plan "1..N" and
 * returns the exit status (non-zero if a check failed).  The description is
 * a printf format, so a failing check can show the values it compared:
 *
 *	CHECK(got == want, "sum of %d rows is %g, want %g", n, got, want);
 *	...
 *	return done();
 *
 * The description must fit on one line; tests/run counts the "ok" lines.
 */
#ifndef PAL_UNIT_H
#define PAL_UNIT_H

#include <stdarg.h>
#include <stdio.h>

static int unit_count;
static int unit_failed;

static inline int unit_check(int ok, const char *file, int line,
			     const char *cond, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static inline int unit_check(int ok, const char *file, int line,
			     const char *cond, const char *fmt, ...)
{
	va_list ap;

	unit_count++;
	printf("%sok %d - ", ok ? "" : "not ", unit_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!ok) {
		unit_failed++;
		printf("# %s:%d: failed: %s\n", file, line, cond);
	}
	fflush(stdout);
	return ok;
}

/* Check cond; fmt and its arguments describe the check (and the values). */
#define CHECK(cond, ...) \
	unit_check(!!(cond), __FILE__, __LINE__, #cond, __VA_ARGS__)

/* A TAP comment: context that is not a check. */
static inline void diag(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static inline void diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/*
 * s with newlines, tabs and other unprintable bytes written as C escapes,
 * cut at about 100 bytes, so that a description stays on its line.  The
 * result lives in one of 4 static buffers, reused in turn.
 */
static inline const char *esc(const char *s)
{
	static char bufs[4][512];
	static int next;
	char *b = bufs[next++ % 4];
	size_t n = 0;

	for (; *s && n < 100; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\n')
			n += (size_t)snprintf(b + n, 8, "\\n");
		else if (c == '\r')
			n += (size_t)snprintf(b + n, 8, "\\r");
		else if (c == '\t')
			n += (size_t)snprintf(b + n, 8, "\\t");
		else if (c < 0x20 || c >= 0x7f)
			n += (size_t)snprintf(b + n, 8, "\\x%02x", c);
		else
			b[n++] = (char)c;
	}
	if (*s)
		n += (size_t)snprintf(b + n, 8, "...");
	b[n] = '\0';
	return b;
}

/* Print the plan; the exit status for main(). */
static inline int done(void)
{
	printf("1..%d\n", unit_count);
	if (unit_failed)
		printf("# %d of %d checks failed\n", unit_failed, unit_count);
	return fflush(stdout) != 0 || ferror(stdout) || unit_failed != 0;
}

#endif
