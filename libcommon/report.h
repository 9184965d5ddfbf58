/*
 * report.h: a campaign's report, DIR/report.html, from the tables of its
 * directory (the campaign files of issue 9: DIR/config, DIR/metrics.tsv,
 * DIR/events.tsv, DIR/baseline/metrics.tsv).
 *
 * The page is self-contained: HTML with inline CSS and inline SVG, no
 * script, nothing fetched.  It holds a summary (labels, generations, wall
 * time, the last validation error, the config's keys and values), the
 * learning curve (val_rmse, prosp_rmse and mean_std against labels on a log
 * axis, the baseline's val_rmse dashed when DIR/baseline/metrics.tsv is
 * there), calibration (prosp_mean_abs_z and prosp_within2 per generation
 * against the values of a calibrated Gaussian model, 0.80 and 0.954), a
 * worker utilisation timeline from events.tsv (one lane per label rank,
 * one per other stage), the oracle slots' busy fraction per generation
 * (busy_label, when recorded) and the busy seconds of each stage.  Axes are
 * chosen from the data; NaN values (and, on a log axis, values <= 0) are
 * left out; a table with no rows yet gives a page that says so.
 *
 * Everything taken from the files (config keys and values, stage names,
 * the directory's name) is escaped for HTML.
 *
 * Memory: metrics are kept (one line a generation); events.tsv is read
 * twice and aggregated while read: per stage sums, and per lane a fixed
 * number of time bins, so a timeline draws at most a few thousand segments
 * (adjacent busy bins are merged into one) whatever the number of events.
 */
#ifndef PAL_REPORT_H
#define PAL_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"

/*
 * Write DIR/report.html from DIR's config, metrics.tsv, events.tsv and
 * baseline/metrics.tsv (those present; metrics.tsv is required, but may
 * hold only its header, or nothing), atomically: a temporary file in DIR,
 * written, fsync'd and renamed over report.html (then DIR is fsync'd).  On
 * failure nothing is left: no report.html changed, no temporary.  Returns
 * 0, or -1 with err (a file that cannot be read or parsed names the file
 * and line: "bad value 'x' for val_rmse: not a number (DIR/metrics.tsv:4)").
 */
int report_write(const char *dir, struct pal_error *err);

/* ---- the parts, for tests ---------------------------------------------- */

/* The columns of metrics.tsv that the report reads, in the file's order. */
enum report_col {
	RC_GENERATION, RC_LABELS, RC_WALL_S, RC_TRAIN_S, RC_LABEL_S,
	RC_VAL_RMSE, RC_MEAN_STD, RC_PROSP_RMSE, RC_PROSP_MEAN_ABS_Z,
	RC_PROSP_WITHIN2, RC_BUSY_LABEL, RC_NCOLS
};

/*
 * A metrics table: n rows of RC_NCOLS values, NaN where a column is "nan"
 * or absent from the file.  The header (the first line) names the columns,
 * tab-separated: generation and labels are required, the others of the
 * list above are read when present, any other column is skipped (so that
 * a later column, a busy fraction of another stage, is no error).  Every
 * line must have as many fields as the header; generation and labels must
 * be finite and >= 0.  An empty file is a table of no rows.
 */
struct report_metrics {
	size_t n, cap;
	double (*row)[RC_NCOLS];
};

/* Read a metrics table from fp; name is for messages.  Returns 0, or -1
 * with err ("file:line"); the table then holds nothing. */
int report_read_metrics(FILE *fp, const char *name, struct report_metrics *m,
			struct pal_error *err);
void report_metrics_free(struct report_metrics *m);

#define REPORT_MAX_STAGES 32	/* distinct stage names in events.tsv */
#define REPORT_MAX_LANES 64	/* timeline lanes (label ranks grouped beyond) */
#define REPORT_MAX_SEGMENTS 6000 /* bins of all lanes together, at most */
#define REPORT_MAX_TIME 1e12	/* |t_start|, |t_end| in seconds, at most */

/* One stage's totals over events.tsv. */
struct report_stage {
	char name[33];
	double busy_s;		/* sum of t_end - t_start */
	double queue_s;		/* sum of queue_s (NaN ignored) */
	double compute_s;	/* sum of compute_s (NaN ignored) */
	double tasks;		/* lines */
	double rows;		/* sum of rows */
};

/* One timeline lane: a stage, or (for label) a group of ranks. */
struct report_lane {
	int stage;		/* index into stages */
	int rank_lo, rank_hi;	/* label ranks in the lane; -1, -1 otherwise */
	double *busy;		/* nbins busy seconds (summed over tasks) */
};

/*
 * events.tsv aggregated.  Header first, naming t_start, t_end, stage and
 * rank (required) and rows, queue_s, compute_s (optional; first_id and any
 * other column skipped).  A stage name is 1 to 32 of [A-Za-z0-9_.-]; rank
 * is an integer from -1 to 2^31 - 2; t_end >= t_start, both within
 * +-REPORT_MAX_TIME (unix seconds, or any other origin).
 * Label events of rank >= 0 get a lane per rank (ranks grouped, rank_lo to
 * rank_hi, when there are more than fit), every other stage (and label of
 * rank -1) a lane of its own.
 */
struct report_events {
	size_t nevents;
	double t0, t1;		/* earliest t_start, latest t_end */
	int nstages;
	struct report_stage stage[REPORT_MAX_STAGES];
	int nlanes;
	struct report_lane lane[REPORT_MAX_LANES];
	int nbins;		/* bins of each lane over [t0, t1] */
	double bin_s;		/* width of a bin in seconds */
};

/* Read events from fp (a seekable file: it is read twice); name is for
 * messages.  Returns 0, or -1 with err; ev then holds nothing. */
int report_read_events(FILE *fp, const char *name, struct report_events *ev,
		       struct pal_error *err);
void report_events_free(struct report_events *ev);

/*
 * An axis: the domain [lo, hi] of the data widened to round ticks, on a
 * linear or log10 scale.  A linear axis steps by 1, 2 or 5 times a power of
 * ten, about five ticks; a log axis ticks at powers of ten (every k-th one
 * over many decades; 1, 2, 5 within a decade or two).  Equal or non-finite
 * bounds give a sensible axis around them; a log axis needs lo > 0.
 */
struct report_scale {
	int log;
	double lo, hi;		/* the domain after widening */
	int nticks;
	double tick[32];
};

void report_scale_linear(double lo, double hi, struct report_scale *s);
void report_scale_log(double lo, double hi, struct report_scale *s);
/* Where v falls on s, from 0 (lo) to 1 (hi). */
double report_scale_pos(const struct report_scale *s, double v);

/* Write s to fp escaped for HTML text and attribute values: & < > " ' as
 * entities, other control characters but tab and newline as '?'. */
void report_escape(FILE *fp, const char *s);

#endif
