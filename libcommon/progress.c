/*
 * progress.c: the progress line of progress.h.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "progress.h"
#include "banned.h"

#define TTY_INTERVAL 0.1		/* seconds between redraws on a terminal */
#define LOG_INTERVAL 2.0		/* and between lines in a log */

static double now(void)
{
	struct timespec ts;

	/* The coarse clock is read without a system call: a show that is
	 * not due costs next to nothing. */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Whether fd goes to a pipe, a socket or a terminal. */
static int fd_is_shared(int fd)
{
	struct stat st;

	return fd >= 0 && fstat(fd, &st) == 0 &&
	       (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || isatty(fd));
}

void progress_start(struct progress *p, int mode, const char *unit,
		    int out_fd)
{
	memset(p, 0, sizeof(*p));
	p->unit = unit;
	p->tty = isatty(2);
	p->on = mode == PROGRESS_ON ||
		(mode == PROGRESS_AUTO && p->tty && !fd_is_shared(out_fd));
	p->t0 = now();
	p->next = p->t0;
}

/* Bytes for people: "812 B", "3.4 KiB", "1.4 GiB". */
static void human_bytes(char *buf, size_t cap, double b)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB",
					     "PiB" };
	size_t u = 0;

	while (b >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		b /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, cap, "%.0f %s", b, units[u]);
	else
		snprintf(buf, cap, "%.*f %s", b < 10 ? 2 : b < 100 ? 1 : 0, b,
			 units[u]);
}

/* A rate for people: "0.25", "41.2", "1234", "56.7k", "20.3M". */
static void human_rate(char *buf, size_t cap, double r)
{
	if (r >= 1e6)
		snprintf(buf, cap, "%.1fM", r / 1e6);
	else if (r >= 1e4)
		snprintf(buf, cap, "%.1fk", r / 1e3);
	else
		snprintf(buf, cap, "%.*f", r < 10 ? 2 : r < 100 ? 1 : 0, r);
}

/* Seconds as h:mm:ss, or m:ss under an hour. */
static void human_time(char *buf, size_t cap, double s)
{
	uint64_t t = s > 0 && s < 1e9 ? (uint64_t)(s + 0.5) : 0;

	if (t >= 3600)
		snprintf(buf, cap, "%" PRIu64 ":%02u:%02u", t / 3600,
			 (unsigned)(t / 60 % 60), (unsigned)(t % 60));
	else
		snprintf(buf, cap, "%u:%02u", (unsigned)(t / 60),
			 (unsigned)(t % 60));
}

/* Append to buf at *n (bounded by cap), like a safe strcat of printf. */
static void add(char *buf, int cap, int *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void add(char *buf, int cap, int *n, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (*n >= cap - 1)
		return;
	va_start(ap, fmt);
	k = vsnprintf(buf + *n, (size_t)(cap - *n), fmt, ap);
	va_end(ap);
	if (k > 0)
		*n = *n + k < cap - 1 ? *n + k : cap - 1;
}

int progress_format(const struct progress *p, double elapsed, char *buf,
		    int cap)
{
	char a[32], b[32];
	double frac = -1;
	int n = 0;

	if (cap <= 0)
		return 0;
	buf[0] = '\0';
	add(buf, cap, &n, "%s: ", pal_progname);
	if (p->total) {
		frac = (double)p->done / (double)p->total;
		add(buf, cap, &n, "%" PRIu64 " of %" PRIu64 " %s (%.0f%%)",
		    p->done, p->total, p->unit, 100 * frac);
	} else {
		add(buf, cap, &n, "%" PRIu64 " %s", p->done, p->unit);
	}
	if (p->failed)
		add(buf, cap, &n, ", %" PRIu64 " failed", p->failed);
	if (p->frames)
		add(buf, cap, &n, ", %" PRIu64 " frame%s", p->frames,
		    p->frames == 1 ? "" : "s");
	if (p->bytes) {
		human_bytes(a, sizeof(a), (double)p->bytes);
		add(buf, cap, &n, ", %s", a);
		if (!p->total && p->total_bytes) {
			frac = (double)p->bytes / (double)p->total_bytes;
			add(buf, cap, &n, " (%.0f%%)", 100 * frac);
		}
	}
	if (elapsed >= 0.05) {
		if (!p->total && p->bytes) {
			human_bytes(a, sizeof(a), (double)p->bytes / elapsed);
			add(buf, cap, &n, ", %s/s", a);
		} else {
			human_rate(a, sizeof(a), p->done > p->done0 ?
				   (double)(p->done - p->done0) / elapsed : 0);
			add(buf, cap, &n, ", %s %s/s", a, p->unit);
		}
	}
	if (p->note && p->note[0])
		add(buf, cap, &n, ", %s", p->note);
	if (frac > 0 && frac < 1 && elapsed >= 1) {
		human_time(b, sizeof(b), elapsed * (1 - frac) / frac);
		add(buf, cap, &n, ", ETA %s", b);
	}
	return n;
}

/* The terminal's width, or 0 if not known. */
static int term_width(void)
{
	struct winsize ws;

	return ioctl(2, TIOCGWINSZ, &ws) == 0 ? ws.ws_col : 0;
}

/* Draw the line now (best effort: a failed write to stderr is ignored). */
static void draw(struct progress *p, double t)
{
	char line[320];
	int n, w;

	if (p->tty) {
		line[0] = '\r';
		n = 1 + progress_format(p, t - p->t0, line + 1,
					(int)sizeof(line) - 5);
		/* One line, never wrapped: a wrapped line cannot be redrawn. */
		w = term_width();
		if (w > 1 && n > w)
			n = w;
		memcpy(line + n, "\033[K", 3);
		n += 3;
		pal_stderr_line = 1;
	} else {
		n = progress_format(p, t - p->t0, line, (int)sizeof(line) - 1);
		line[n++] = '\n';
	}
	if (write(2, line, (size_t)n) < 0)
		p->on = 0;
	p->drawn = 1;
	p->next = t + (p->tty ? TTY_INTERVAL : LOG_INTERVAL);
}

void progress_show(struct progress *p)
{
	double t;

	if (!p->on)
		return;
	t = now();
	if (t < p->next)
		return;
	draw(p, t);
}

void progress_end(struct progress *p)
{
	if (!p->on)
		return;
	if (p->tty) {
		if (pal_stderr_line && write(2, "\r\033[K", 4) < 0)
			p->on = 0;
		pal_stderr_line = 0;
	} else {
		draw(p, now());
	}
	p->on = 0;
}
