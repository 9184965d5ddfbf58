/*
 * test-progress.c: unit tests of libcommon/progress.c's line: what it says
 * for each combination of counters, with the rates, shares and ETAs worked
 * out by hand, and that it never overflows its buffer.
 */
#include <string.h>

#include "err.h"
#include "progress.h"
#include "unit.h"
#include "banned.h"

static void line_is(const struct progress *p, double elapsed,
		    const char *want)
{
	char buf[256];
	int n = progress_format(p, elapsed, buf, (int)sizeof(buf));

	CHECK(!strcmp(buf, want) && n == (int)strlen(want),
	      "after %gs: \"%s\" (%d), want \"%s\"", elapsed, buf, n, want);
}

int main(void)
{
	struct progress p;
	char small[16];
	int n;

	pal_progname = "pal-x";
	/* PROGRESS_OFF: never drawn, whatever stderr is. */
	progress_start(&p, PROGRESS_OFF, "rows", -1);
	CHECK(!p.on, "--quiet: off");
	progress_start(&p, PROGRESS_ON, "rows", 1);
	CHECK(p.on, "--progress: on, even with output on stdout");
	p.on = 0;

	/* Rows of a known total: share, rate, ETA = 10 s * 3/1. */
	p.done = 1200;
	p.total = 4800;
	line_is(&p, 10, "pal-x: 1200 of 4800 rows (25%), 120 rows/s, ETA 0:30");
	/* Failures are shown once there are some. */
	p.failed = 3;
	line_is(&p, 10, "pal-x: 1200 of 4800 rows (25%), 3 failed, 120 rows/s, "
		"ETA 0:30");
	/* No rate before 50 ms, no ETA before 1 s. */
	line_is(&p, 0.01, "pal-x: 1200 of 4800 rows (25%), 3 failed");
	line_is(&p, 0.5, "pal-x: 1200 of 4800 rows (25%), 3 failed, 2400 rows/s");
	/* Done: no ETA. */
	p.done = 4800;
	p.failed = 0;
	line_is(&p, 4000, "pal-x: 4800 of 4800 rows (100%), 1.20 rows/s");
	/* Hours in the ETA: 1 of 100 after 100 s leaves 9900 s. */
	p.done = 1;
	p.total = 100;
	line_is(&p, 100, "pal-x: 1 of 100 rows (1%), 0.01 rows/s, ETA 2:45:00");

	/* A note (pal-train's losses) goes after the rate, before the ETA. */
	p.note = "member 1 of 5, loss 0.0123, val 0.0150";
	line_is(&p, 100, "pal-x: 1 of 100 rows (1%), 0.01 rows/s, member 1 of 5, "
		"loss 0.0123, val 0.0150, ETA 2:45:00");
	p.note = "";
	line_is(&p, 100, "pal-x: 1 of 100 rows (1%), 0.01 rows/s, ETA 2:45:00");
	p.note = NULL;

	/* A stream read: rows, frames, bytes of a total; the rate in bytes. */
	memset(&p, 0, sizeof(p));
	p.unit = "rows";
	p.done = 812345;
	p.frames = 96;
	p.bytes = 3u << 29;		/* 1.5 GiB */
	p.total_bytes = 6u << 29;	/* 3 GiB */
	line_is(&p, 2, "pal-x: 812345 rows, 96 frames, 1.50 GiB (50%), "
		"768 MiB/s, ETA 0:02");
	/* No total size (a pipe): no share, no ETA. */
	p.total_bytes = 0;
	p.frames = 1;
	p.bytes = 812;
	line_is(&p, 2, "pal-x: 812345 rows, 1 frame, 812 B, 406 B/s");
	/* Big rates are shortened. */
	memset(&p, 0, sizeof(p));
	p.unit = "points";
	p.done = 20300000;
	line_is(&p, 1, "pal-x: 20300000 points, 20.3M points/s");
	p.done = 56700;
	line_is(&p, 1, "pal-x: 56700 points, 56.7k points/s");

	/* A short buffer is cut, and terminated. */
	n = progress_format(&p, 1, small, (int)sizeof(small));
	CHECK(n == 15 && strlen(small) == 15 && !strncmp(small, "pal-x: 56700 po", 15),
	      "cut to 15 bytes: \"%s\" (%d)", small, n);
	return done();
}
