/*
 * progress.h: one line of progress on standard error, for programs with
 * long work (pal-cat of big inputs, pal-gen, pal-select, pal-label, pal-train's
 * epochs).
 *
 * On a terminal the line is redrawn in place, at most 10 times a second,
 * and cleared at the end, so that it leaves nothing behind:
 *
 *	pal-label: 1200 of 5000 rows (24%), 3 failed, 41.2 rows/s, ETA 1:32
 *	pal-cat: 812345 rows, 96 frames, 1.4 GiB (31%), 210 MiB/s, ETA 0:07
 *
 * It is drawn only where someone can see it and nothing else is drawing:
 * by default (PROGRESS_AUTO) when standard error is a terminal and the
 * program's output, while it works, goes neither to a pipe nor to a
 * terminal: so that of a pipeline of pal programs on one terminal only the
 * last stage draws, and no line is drawn over rows being printed.  PROGRESS_ON (--progress) draws
 * whatever standard error is: to a file or pipe it writes whole lines, one
 * every 2 seconds and one at the end, for logs.  PROGRESS_OFF (--quiet)
 * draws nothing.
 *
 * The caller owns a struct progress, sets its counters and calls
 * progress_show() as often as it likes (a call that is not due to draw
 * costs one coarse clock read); progress_end() when the work is done.
 * err.h's messages clear a line on the terminal before they print, and the
 * next progress_show() draws it again.
 *
 * Not thread-safe; one progress line a process.
 */
#ifndef PAL_PROGRESS_H
#define PAL_PROGRESS_H

#include <stdint.h>

enum progress_mode {
	PROGRESS_AUTO = 0,		/* a terminal, not in a pipe (default) */
	PROGRESS_ON,			/* --progress */
	PROGRESS_OFF,			/* --quiet */
};

struct progress {
	/* Counters, set by the caller; 0 leaves a part out of the line. */
	uint64_t done;			/* units of work done ("rows") */
	uint64_t done0;			/* of done, those done before the
					 * start (a resumed run's): not in
					 * the rate */
	uint64_t total;			/* units in all, or 0 if not known */
	uint64_t failed;		/* of done, how many failed */
	uint64_t frames;		/* frames read, if counted */
	uint64_t bytes;			/* bytes read */
	uint64_t total_bytes;		/* bytes in all (input files' size) */
	const char *note;		/* appended after the rate, or NULL:
					 * what the counters cannot say
					 * ("loss 0.012, val 0.015"); the
					 * caller's, read at each draw */

	/* Private. */
	const char *unit;		/* "rows", "points", "epochs" */
	int on;				/* drawing at all */
	int tty;			/* in place on a terminal, else lines */
	double t0;			/* when progress_start() was called */
	double next;			/* when the next draw is due */
	int drawn;			/* something was drawn */
};

/*
 * Start p for work counted in unit (a plural noun, kept by pointer), in
 * mode (a progress_mode).  out_fd is the file descriptor the program
 * writes its output to while it works (1 for standard output), or -1 if it
 * writes nothing until the end (pal-cat --info).  Counters start at 0.
 */
void progress_start(struct progress *p, int mode, const char *unit,
		    int out_fd);

/* Draw the line if it is on and a draw is due. */
void progress_show(struct progress *p);

/*
 * The work is done: on a terminal, clear the line; in a log (--progress to
 * a file), write the final line.  p is off afterwards.
 */
void progress_end(struct progress *p);

/*
 * Format the line for p after elapsed seconds into buf (for tests, and for
 * progress_show()); returns its length, at most cap - 1.
 */
int progress_format(const struct progress *p, double elapsed, char *buf,
		    int cap);

#endif
