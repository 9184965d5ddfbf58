/*
 * report.c: DIR/report.html from a campaign's tables (report.h).
 *
 * Three parts: the readers (metrics.tsv, events.tsv, config), which check
 * every line and name file:line on an error; the axes (report_scale_*);
 * and the page, written to a temporary in DIR and renamed into place.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "num.h"
#include "report.h"
#include "banned.h"

#define MAX_LINE 65536		/* bytes of one line of any table */
#define MAX_FIELDS 64

/* ---- lines and fields ---------------------------------------------------- */

/* A line reader over fp: line (without its newline), its number. */
struct lines {
	FILE *fp;
	const char *name;
	char *buf;
	size_t cap;
	unsigned long no;
};

/* Next line into l->buf: 1, 0 at the end, -1 with err. */
static int next_line(struct lines *l, struct pal_error *err)
{
	ssize_t len;

	errno = 0;
	len = getline(&l->buf, &l->cap, l->fp);
	if (len < 0) {
		if (ferror(l->fp))
			return pal_seterr(err, PAL_ERR_IO, errno, "cannot read "
					  "'%s': %s", l->name,
					  strerror(errno ? errno : EIO));
		return 0;
	}
	l->no++;
	if (len > MAX_LINE)
		return pal_seterr(err, PAL_ERR_LIMIT, 0, "line longer than %d "
				  "bytes (%s:%lu)", MAX_LINE, l->name, l->no);
	if (len > 0 && l->buf[len - 1] == '\n')
		l->buf[--len] = '\0';
	if (len > 0 && l->buf[len - 1] == '\r')
		l->buf[--len] = '\0';
	if (strlen(l->buf) != (size_t)len)
		return pal_seterr(err, PAL_ERR_CORRUPT, 0, "NUL byte in line "
				  "(%s:%lu)", l->name, l->no);
	return 1;
}

/* Split s at tabs in place; returns the number of fields (at most max, one
 * more meaning too many). */
static int split_tabs(char *s, char **f, int max)
{
	int n = 0;

	for (;;) {
		if (n == max)
			return max + 1;
		f[n++] = s;
		s = strchr(s, '\t');
		if (!s)
			return n;
		*s++ = '\0';
	}
}

/* The header: for each of want's names, the field that holds it (-1 when
 * absent).  A name given twice is an error. */
static int map_header(struct lines *l, const char *const *want, int nwant,
		      int *at, int *nfields, struct pal_error *err)
{
	char *f[MAX_FIELDS + 1];
	int n = split_tabs(l->buf, f, MAX_FIELDS), i, j;

	if (n > MAX_FIELDS)
		return pal_seterr(err, PAL_ERR_LIMIT, 0, "more than %d columns "
				  "in header (%s:%lu)", MAX_FIELDS, l->name,
				  l->no);
	for (j = 0; j < nwant; j++)
		at[j] = -1;
	for (i = 0; i < n; i++) {
		if (!*f[i])
			return pal_seterr(err, PAL_ERR_CORRUPT, 0, "empty column "
					  "name %d in header (%s:%lu)", i + 1,
					  l->name, l->no);
		for (j = 0; j < nwant; j++) {
			if (strcmp(f[i], want[j]))
				continue;
			if (at[j] >= 0)
				return pal_seterr(err, PAL_ERR_CORRUPT, 0,
						  "column '%s' twice in header "
						  "(%s:%lu)", want[j], l->name,
						  l->no);
			at[j] = i;
		}
	}
	*nfields = n;
	return 0;
}

static int fields(struct lines *l, char **f, int want, struct pal_error *err)
{
	int n = split_tabs(l->buf, f, MAX_FIELDS);

	if (n != want)
		return pal_seterr(err, PAL_ERR_CORRUPT, 0, "%s%d fields where "
				  "the header has %d (%s:%lu)",
				  n > MAX_FIELDS ? "more than " : "",
				  n > MAX_FIELDS ? MAX_FIELDS : n, want,
				  l->name, l->no);
	return 0;
}

static int number(struct lines *l, const char *col, const char *s,
		  double *v, struct pal_error *err)
{
	const char *why;

	*v = parse_double(s, &why);
	if (why)
		return pal_seterr(err, PAL_ERR_CORRUPT, 0, "bad value '%.40s' "
				  "for %s: %s (%s:%lu)", s, col, why, l->name,
				  l->no);
	return 0;
}

/* ---- metrics.tsv --------------------------------------------------------- */

static const char *const metric_names[RC_NCOLS] = {
	"generation", "labels", "wall_s", "train_s", "label_s", "val_rmse",
	"mean_std", "prosp_rmse", "prosp_mean_abs_z", "prosp_within2",
	"busy_label",
};

void report_metrics_free(struct report_metrics *m)
{
	free(m->row);
	memset(m, 0, sizeof(*m));
}

int report_read_metrics(FILE *fp, const char *name, struct report_metrics *m,
			struct pal_error *err)
{
	struct lines l = { fp, name, NULL, 0, 0 };
	int at[RC_NCOLS], nf, rc, j;
	char *f[MAX_FIELDS + 1];

	memset(m, 0, sizeof(*m));
	rc = next_line(&l, err);
	if (rc <= 0)
		goto out;
	if ((rc = map_header(&l, metric_names, RC_NCOLS, at, &nf, err)) < 0)
		goto out;
	for (j = 0; j <= RC_LABELS; j++)
		if (at[j] < 0) {
			rc = pal_seterr(err, PAL_ERR_CORRUPT, 0, "no column "
					"'%s' in header (%s:1)",
					metric_names[j], name);
			goto out;
		}
	while ((rc = next_line(&l, err)) > 0) {
		double *r;

		if ((rc = fields(&l, f, nf, err)) < 0)
			goto out;
		if (m->n == m->cap) {
			m->cap = m->cap ? 2 * m->cap : 64;
			m->row = xrealloc(m->row, m->cap * sizeof(*m->row));
		}
		r = m->row[m->n];
		for (j = 0; j < RC_NCOLS; j++) {
			r[j] = NAN;
			if (at[j] >= 0 && (rc = number(&l, metric_names[j],
						       f[at[j]], &r[j],
						       err)) < 0)
				goto out;
		}
		for (j = 0; j <= RC_LABELS; j++)
			if (!isfinite(r[j]) || r[j] < 0) {
				rc = pal_seterr(err, PAL_ERR_CORRUPT, 0,
						"bad value '%s' for %s: not a "
						"count (%s:%lu)", f[at[j]],
						metric_names[j], name, l.no);
				goto out;
			}
		m->n++;
	}
out:
	free(l.buf);
	if (rc < 0) {
		report_metrics_free(m);
		return -1;
	}
	return 0;
}

/* ---- events.tsv ---------------------------------------------------------- */

enum { EC_T_START, EC_T_END, EC_STAGE, EC_RANK, EC_ROWS, EC_QUEUE_S,
       EC_COMPUTE_S, EC_NCOLS };

static const char *const event_names[EC_NCOLS] = {
	"t_start", "t_end", "stage", "rank", "rows", "queue_s", "compute_s",
};

/* The usual stages in loop order, so that lanes and bars come in it. */
static const char *const stage_order[] = {
	"gen", "predict", "select", "label", "train",
};

struct event {
	double t_start, t_end, rows, queue_s, compute_s;
	int rank;
	const char *stage;
};

static int parse_event(struct lines *l, const int *at, int nf,
		       struct event *e, struct pal_error *err)
{
	char *f[MAX_FIELDS + 1];
	const char *why, *p;
	int64_t rank;

	if (fields(l, f, nf, err) < 0)
		return -1;
	if (number(l, "t_start", f[at[EC_T_START]], &e->t_start, err) < 0 ||
	    number(l, "t_end", f[at[EC_T_END]], &e->t_end, err) < 0)
		return -1;
	if (!(fabs(e->t_start) <= REPORT_MAX_TIME) ||
	    !(fabs(e->t_end) <= REPORT_MAX_TIME))
		return pal_seterr(err, PAL_ERR_CORRUPT, 0, "t_start and t_end "
				  "must lie within +-1e12 s (%s:%lu)", l->name,
				  l->no);
	if (e->t_end < e->t_start)
		return pal_seterr(err, PAL_ERR_CORRUPT, 0, "t_end before "
				  "t_start (%s:%lu)", l->name, l->no);
	e->stage = f[at[EC_STAGE]];
	for (p = e->stage; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' ||
		      *p == '.'))
			break;
	if (*p || p == e->stage || p - e->stage > 32)
		return pal_seterr(err, PAL_ERR_CORRUPT, 0, "bad stage name "
				  "'%.40s': 1 to 32 of A-Z a-z 0-9 _ . - "
				  "(%s:%lu)", e->stage, l->name, l->no);
	rank = parse_i64(f[at[EC_RANK]], -1, INT32_MAX - 1, &why);
	if (why)
		return pal_seterr(err, PAL_ERR_CORRUPT, 0, "bad value '%.40s' "
				  "for rank: %s (%s:%lu)", f[at[EC_RANK]], why,
				  l->name, l->no);
	e->rank = (int)rank;
	e->rows = e->queue_s = e->compute_s = NAN;
	if ((at[EC_ROWS] >= 0 &&
	     number(l, "rows", f[at[EC_ROWS]], &e->rows, err) < 0) ||
	    (at[EC_QUEUE_S] >= 0 &&
	     number(l, "queue_s", f[at[EC_QUEUE_S]], &e->queue_s, err) < 0) ||
	    (at[EC_COMPUTE_S] >= 0 &&
	     number(l, "compute_s", f[at[EC_COMPUTE_S]], &e->compute_s,
		    err) < 0))
		return -1;
	return 0;
}

static int stage_rank(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(stage_order) / sizeof(stage_order[0]); i++)
		if (!strcmp(name, stage_order[i]))
			return (int)i;
	return 99;
}

static int find_stage(const struct report_events *ev, const char *name)
{
	int i;

	for (i = 0; i < ev->nstages; i++)
		if (!strcmp(ev->stage[i].name, name))
			return i;
	return -1;
}

void report_events_free(struct report_events *ev)
{
	int i;

	for (i = 0; i < ev->nlanes; i++)
		free(ev->lane[i].busy);
	memset(ev, 0, sizeof(*ev));
}

/* Pass 1's findings about the lanes. */
struct lane_plan {
	int max_rank;			/* highest label rank, -1: none */
	int label_whole;		/* a label event of rank -1 */
	int group;			/* label ranks per lane */
};

static int cmp_stage(const void *a, const void *b)
{
	const struct report_stage *x = a, *y = b;
	int rx = stage_rank(x->name), ry = stage_rank(y->name);

	if (rx != ry)
		return rx < ry ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The lanes, in stage order: a stage's own lane, or label's rank groups. */
static void plan_lanes(struct report_events *ev, struct lane_plan *p)
{
	int i, r, others = 0, room;

	for (i = 0; i < ev->nstages; i++)
		if (strcmp(ev->stage[i].name, "label"))
			others++;
	room = REPORT_MAX_LANES - others - p->label_whole;
	p->group = 1;
	if (p->max_rank >= room)
		p->group = (p->max_rank + room) / room;
	for (i = 0; i < ev->nstages; i++) {
		if (strcmp(ev->stage[i].name, "label")) {
			ev->lane[ev->nlanes++] = (struct report_lane){ i, -1, -1,
								      NULL };
			continue;
		}
		if (p->label_whole)
			ev->lane[ev->nlanes++] = (struct report_lane){ i, -1, -1,
								      NULL };
		for (r = 0; r <= p->max_rank; r += p->group) {
			int hi = r + p->group - 1;

			if (hi > p->max_rank)
				hi = p->max_rank;
			ev->lane[ev->nlanes++] = (struct report_lane){ i, r, hi,
								      NULL };
		}
	}
}

static int lane_of(const struct report_events *ev, int stage, int rank,
		   const struct lane_plan *p)
{
	int i;

	for (i = 0; i < ev->nlanes; i++) {
		const struct report_lane *ln = &ev->lane[i];

		if (ln->stage != stage)
			continue;
		if (strcmp(ev->stage[stage].name, "label") ||
		    (rank < 0 && ln->rank_lo < 0) ||
		    (rank >= 0 && ln->rank_lo == rank - rank % p->group))
			return i;
	}
	return -1;
}

/* Spread [a, b) over the bins of busy. */
static void add_busy(struct report_events *ev, double *busy, double a,
		     double b)
{
	double x0 = (a - ev->t0) / ev->bin_s, x1 = (b - ev->t0) / ev->bin_s;
	long i, i0, i1;

	if (x0 < 0)
		x0 = 0;
	if (x1 > ev->nbins)
		x1 = ev->nbins;
	if (!(x1 > x0))
		return;
	i0 = (long)x0;
	i1 = (long)x1;
	if (i1 >= ev->nbins)
		i1 = ev->nbins - 1;
	for (i = i0; i <= i1; i++) {
		double lo = x0 > i ? x0 : (double)i;
		double hi = x1 < i + 1 ? x1 : (double)(i + 1);

		if (hi > lo)
			busy[i] += (hi - lo) * ev->bin_s;
	}
}

int report_read_events(FILE *fp, const char *name, struct report_events *ev,
		       struct pal_error *err)
{
	struct lines l = { fp, name, NULL, 0, 0 };
	struct lane_plan plan = { -1, 0, 1 };
	int at[EC_NCOLS], nf, rc, j;
	unsigned long last;
	struct event e;

	memset(ev, 0, sizeof(*ev));
	ev->t0 = INFINITY;
	ev->t1 = -INFINITY;
	rc = next_line(&l, err);
	if (rc <= 0)
		goto out;
	if ((rc = map_header(&l, event_names, EC_NCOLS, at, &nf, err)) < 0)
		goto out;
	for (j = 0; j <= EC_RANK; j++)
		if (at[j] < 0) {
			rc = pal_seterr(err, PAL_ERR_CORRUPT, 0, "no column "
					"'%s' in header (%s:1)",
					event_names[j], name);
			goto out;
		}

	/* Pass 1: check every line; stage totals, time span, ranks. */
	while ((rc = next_line(&l, err)) > 0) {
		struct report_stage *s;
		int i;

		if ((rc = parse_event(&l, at, nf, &e, err)) < 0)
			goto out;
		i = find_stage(ev, e.stage);
		if (i < 0) {
			if (ev->nstages == REPORT_MAX_STAGES) {
				rc = pal_seterr(err, PAL_ERR_LIMIT, 0, "more "
						"than %d stage names (%s:%lu)",
						REPORT_MAX_STAGES, name, l.no);
				goto out;
			}
			i = ev->nstages++;
			snprintf(ev->stage[i].name, sizeof(ev->stage[i].name),
				 "%s", e.stage);
		}
		s = &ev->stage[i];
		s->busy_s += e.t_end - e.t_start;
		if (!isnan(e.queue_s))
			s->queue_s += e.queue_s;
		if (!isnan(e.compute_s))
			s->compute_s += e.compute_s;
		if (!isnan(e.rows))
			s->rows += e.rows;
		s->tasks++;
		if (!strcmp(e.stage, "label")) {
			if (e.rank < 0)
				plan.label_whole = 1;
			else if (e.rank > plan.max_rank)
				plan.max_rank = e.rank;
		}
		if (e.t_start < ev->t0)
			ev->t0 = e.t_start;
		if (e.t_end > ev->t1)
			ev->t1 = e.t_end;
		ev->nevents++;
	}
	if (rc < 0 || ev->nevents == 0)
		goto out;

	/* The lanes and their bins. */
	qsort(ev->stage, (size_t)ev->nstages, sizeof(ev->stage[0]), cmp_stage);
	plan_lanes(ev, &plan);
	ev->nbins = REPORT_MAX_SEGMENTS / ev->nlanes;
	if (ev->nbins > 800)
		ev->nbins = 800;
	if (ev->t1 - ev->t0 <= 0)
		ev->t1 = ev->t0 + 1;
	ev->bin_s = (ev->t1 - ev->t0) / ev->nbins;
	for (j = 0; j < ev->nlanes; j++)
		ev->lane[j].busy = xcalloc((size_t)ev->nbins, sizeof(double));

	/* Pass 2: the same lines again (no more: a campaign may be
	 * appending), into the bins. */
	last = l.no;
	if (fseek(fp, 0, SEEK_SET) < 0) {
		rc = pal_seterr(err, PAL_ERR_IO, errno, "cannot rewind '%s': "
				"%s", name, strerror(errno));
		goto out;
	}
	l.no = 0;
	if ((rc = next_line(&l, err)) <= 0)
		goto changed;
	while (l.no < last && (rc = next_line(&l, err)) > 0) {
		int s, ln;

		if ((rc = parse_event(&l, at, nf, &e, err)) < 0)
			goto out;
		s = find_stage(ev, e.stage);
		ln = s < 0 ? -1 : lane_of(ev, s, e.rank, &plan);
		if (ln < 0)
			goto changed;
		add_busy(ev, ev->lane[ln].busy, e.t_start, e.t_end);
	}
	if (rc >= 0 && l.no == last)
		goto out;
changed:
	if (rc >= 0)
		rc = pal_seterr(err, PAL_ERR_CORRUPT, 0, "'%s' changed while "
				"read (line %lu)", name, l.no);
out:
	free(l.buf);
	if (rc < 0) {
		report_events_free(ev);
		return -1;
	}
	return 0;
}

/* ---- axes ---------------------------------------------------------------- */

/* The step of a linear axis: 1, 2 or 5 times 10^e, at least x. */
struct step {
	double m;
	int e;
};

static struct step nice_step(double x)
{
	struct step st = { 1, (int)floor(log10(x)) };
	double m = x / pow(10, st.e);

	if (m <= 1.000001)
		st.m = 1;
	else if (m <= 2.000001)
		st.m = 2;
	else if (m <= 5.000001)
		st.m = 5;
	else
		st.m = 10;
	return st;
}

/* k steps, rounded once (k * 0.1 as k / 10: -3 steps are -0.3, not
 * -0.30000000000000004). */
static double steps(long k, struct step st)
{
	if (st.e >= 0)
		return (double)k * st.m * pow(10, st.e);
	return (double)k * st.m / pow(10, -st.e);
}

void report_scale_linear(double lo, double hi, struct report_scale *s)
{
	struct step st;
	long k0, k1, k;
	double t, step;

	memset(s, 0, sizeof(*s));
	if (!isfinite(lo) || !isfinite(hi)) {
		lo = isfinite(lo) ? lo : isfinite(hi) ? hi : 0;
		hi = lo;
	}
	if (lo > hi) {
		t = lo;
		lo = hi;
		hi = t;
	}
	/* a domain whose width and steps are finite, normal doubles */
	lo = lo < -1e300 ? -1e300 : lo > 1e300 ? 1e300 : lo;
	hi = hi < -1e300 ? -1e300 : hi > 1e300 ? 1e300 : hi;
	lo = fabs(lo) < 1e-250 ? 0 : lo;
	hi = fabs(hi) < 1e-250 ? 0 : hi;
	/* one value (or two within rounding: the ticks must differ) */
	if (hi - lo <= 1e-9 * fmax(fabs(lo), fabs(hi))) {
		double pad = lo == 0 ? 1 : fabs(lo) * 0.1;

		lo -= pad;
		hi += pad;
	}
	st = nice_step((hi - lo) / 5);
	step = steps(1, st);
	k0 = (long)floor(lo / step + 1e-9);
	k1 = (long)ceil(hi / step - 1e-9);
	s->lo = steps(k0, st);
	s->hi = steps(k1, st);
	for (k = k0; k <= k1 && s->nticks < 32; k++)
		s->tick[s->nticks++] = steps(k, st);
}

void report_scale_log(double lo, double hi, struct report_scale *s)
{
	int d0, d1, d, every, n = 0;
	double t;

	memset(s, 0, sizeof(*s));
	s->log = 1;
	if (!(lo > 0) || !isfinite(lo))
		lo = hi > 0 && isfinite(hi) ? hi : 1;
	if (!(hi > 0) || !isfinite(hi))
		hi = lo;
	if (lo > hi) {
		t = lo;
		lo = hi;
		hi = t;
	}
	lo = lo < 1e-300 ? 1e-300 : lo > 1e300 ? 1e300 : lo;
	hi = hi < 1e-300 ? 1e-300 : hi > 1e300 ? 1e300 : hi;
	if (hi / lo < 1.0001) {
		lo /= 2;
		hi *= 2;
	}
	d0 = (int)floor(log10(lo) + 1e-9);
	d1 = (int)ceil(log10(hi) - 1e-9);
	if (d1 <= d0)
		d1 = d0 + 1;
	if (d1 - d0 <= 2) {
		/* 1, 2, 5 ticks; the domain cut to the ticks around the data */
		static const double m[3] = { 1, 2, 5 };
		double a = 0, b = 0;
		int k;

		for (d = d0; d <= d1; d++)
			for (k = 0; k < 3; k++) {
				t = m[k] * pow(10, d);
				if (t <= lo * (1 + 1e-9))
					a = t;
				if (t >= hi * (1 - 1e-9) && b == 0)
					b = t;
			}
		if (a == 0)
			a = pow(10, d0);
		if (b == 0)
			b = pow(10, d1);
		s->lo = a;
		s->hi = b;
		for (d = d0; d <= d1; d++)
			for (k = 0; k < 3; k++) {
				t = m[k] * pow(10, d);
				if (t >= a * (1 - 1e-9) && t <= b * (1 + 1e-9) &&
				    n < 32)
					s->tick[n++] = t;
			}
		s->nticks = n;
		return;
	}
	/* every k-th decade, at multiples of k (those past 1e-300 are not
	 * doubles to draw) */
	every = (d1 - d0 + 7) / 8;
	if (d0 - ((d0 % every) + every) % every >= -301)
		d0 -= ((d0 % every) + every) % every;
	s->lo = pow(10, d0);
	s->hi = pow(10, d1);
	for (d = d0; d <= d1 && n < 32; d += every)
		s->tick[n++] = pow(10, d);
	s->nticks = n;
}

double report_scale_pos(const struct report_scale *s, double v)
{
	if (s->log)
		return (log10(v) - log10(s->lo)) / (log10(s->hi) - log10(s->lo));
	return (v - s->lo) / (s->hi - s->lo);
}

void report_escape(FILE *fp, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", fp); break;
		case '<': fputs("&lt;", fp); break;
		case '>': fputs("&gt;", fp); break;
		case '"': fputs("&quot;", fp); break;
		case '\'': fputs("&#39;", fp); break;
		default:
			if ((unsigned char)*s < 0x20 && *s != '\t' &&
			    *s != '\n')
				putc('?', fp);
			else if (*s == 0x7f)
				putc('?', fp);
			else
				putc(*s, fp);
		}
	}
}

/* ---- config -------------------------------------------------------------- */

struct config {
	size_t n, cap;
	char **key, **value;
};

static void config_free(struct config *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->key[i]);
		free(c->value[i]);
	}
	free(c->key);
	free(c->value);
	memset(c, 0, sizeof(*c));
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

/* key = value lines, # comments, [section] headers (keys then shown as
 * section.key). */
static int read_config(FILE *fp, const char *name, struct config *c,
		       struct pal_error *err)
{
	struct lines l = { fp, name, NULL, 0, 0 };
	char section[128] = "";
	int rc;

	memset(c, 0, sizeof(*c));
	while ((rc = next_line(&l, err)) > 0) {
		char *s = trim(l.buf), *eq, *k, *v;
		size_t len;

		if (!*s || *s == '#')
			continue;
		if (*s == '[') {
			len = strlen(s);
			if (s[len - 1] != ']' || len < 3 || len - 2 >=
			    sizeof(section)) {
				rc = pal_seterr(err, PAL_ERR_CORRUPT, 0, "bad "
						"section header '%.40s' "
						"(%s:%lu)", s, name, l.no);
				break;
			}
			s[len - 1] = '\0';
			snprintf(section, sizeof(section), "%s", trim(s + 1));
			continue;
		}
		eq = strchr(s, '=');
		if (!eq) {
			rc = pal_seterr(err, PAL_ERR_CORRUPT, 0, "not 'key = "
					"value': '%.40s' (%s:%lu)", s, name,
					l.no);
			break;
		}
		*eq = '\0';
		k = trim(s);
		v = trim(eq + 1);
		if (!*k) {
			rc = pal_seterr(err, PAL_ERR_CORRUPT, 0, "no key before "
					"'=' (%s:%lu)", name, l.no);
			break;
		}
		if (c->n == c->cap) {
			c->cap = c->cap ? 2 * c->cap : 32;
			c->key = xrealloc(c->key, c->cap * sizeof(char *));
			c->value = xrealloc(c->value, c->cap * sizeof(char *));
		}
		len = strlen(section) + strlen(k) + 2;
		c->key[c->n] = xmalloc(len);
		snprintf(c->key[c->n], len, "%s%s%s", section,
			 *section ? "." : "", k);
		c->value[c->n] = xstrdup(v);
		c->n++;
	}
	free(l.buf);
	if (rc < 0) {
		config_free(c);
		return -1;
	}
	return 0;
}

/* ---- the page ------------------------------------------------------------ */

/* Chart geometry: the plot area in a W x H SVG. */
#define W 720
#define H 320
#define PL 70
#define PR 540
#define PT 20
#define PB 270

static const char *const css =
	"body{font-family:sans-serif;margin:2em;color:#222;max-width:60em}"
	"h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em}"
	"table{border-collapse:collapse}"
	"td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}"
	"td.n{text-align:right;font-variant-numeric:tabular-nums}"
	"svg{display:block;background:#fff}"
	"svg text{font-family:sans-serif;font-size:12px;fill:#222}"
	"p.none{color:#666;font-style:italic}"
	"code{background:#f4f4f4}";

static double px_x(const struct report_scale *s, double v)
{
	return PL + (PR - PL) * report_scale_pos(s, v);
}

static double px_y(const struct report_scale *s, double v)
{
	return PB - (PB - PT) * report_scale_pos(s, v);
}

static void svg_open(FILE *fp, int h, const char *title)
{
	fprintf(fp, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
		"aria-label=\"%s\">\n", W, h, W, h, title);
}

/* Axes, grid and tick labels of a chart; xlabel, ylabel are ours. */
static void axes(FILE *fp, const struct report_scale *sx,
		 const struct report_scale *sy, const char *xlabel,
		 const char *ylabel)
{
	int i;

	for (i = 0; i < sy->nticks; i++) {
		double y = px_y(sy, sy->tick[i]);

		fprintf(fp, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
			"stroke=\"#e4e4e4\"/>\n<text x=\"%d\" y=\"%.1f\" "
			"text-anchor=\"end\">%g</text>\n", PL, PR, y, y,
			PL - 6, y + 4, sy->tick[i]);
	}
	for (i = 0; i < sx->nticks; i++) {
		double x = px_x(sx, sx->tick[i]);

		fprintf(fp, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" "
			"stroke=\"#e4e4e4\"/>\n<text x=\"%.1f\" y=\"%d\" "
			"text-anchor=\"middle\">%g</text>\n", x, x, PT, PB,
			x, PB + 16, sx->tick[i]);
	}
	fprintf(fp, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
		"fill=\"none\" stroke=\"#888\"/>\n", PL, PT, PR - PL, PB - PT);
	fprintf(fp, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
		(PL + PR) / 2, PB + 36, xlabel);
	fprintf(fp, "<text transform=\"translate(16 %d) rotate(-90)\" "
		"text-anchor=\"middle\">%s</text>\n", (PT + PB) / 2, ylabel);
}

/* Whether v can be drawn on s. */
static int drawable(const struct report_scale *s, double v)
{
	return isfinite(v) && (!s->log || v > 0);
}

/* A series: column yc against column xc of m, NaNs (and, on a log axis,
 * values <= 0) left out. */
static void series(FILE *fp, const struct report_metrics *m, int xc, int yc,
		   const struct report_scale *sx,
		   const struct report_scale *sy, const char *colour,
		   const char *dash)
{
	size_t i, drawn = 0;

	for (i = 0; i < m->n; i++)
		if (drawable(sx, m->row[i][xc]) && drawable(sy, m->row[i][yc]))
			drawn++;
	if (!drawn)
		return;
	drawn = 0;
	fprintf(fp, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s"
		" points=\"", colour, dash);
	for (i = 0; i < m->n; i++) {
		double x = m->row[i][xc], y = m->row[i][yc];

		if (!drawable(sx, x) || !drawable(sy, y))
			continue;
		fprintf(fp, "%s%.1f,%.1f", drawn++ ? " " : "", px_x(sx, x),
			px_y(sy, y));
	}
	fputs("\"/>\n", fp);
	if (m->n > 200)
		return;
	for (i = 0; i < m->n; i++) {
		double x = m->row[i][xc], y = m->row[i][yc];

		if (!drawable(sx, x) || !drawable(sy, y))
			continue;
		fprintf(fp, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" "
			"fill=\"%s\"/>\n", px_x(sx, x), px_y(sy, y), colour);
	}
}

static void legend(FILE *fp, int i, const char *colour, const char *dash,
		   const char *text)
{
	int y = PT + 10 + 20 * i;

	fprintf(fp, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" "
		"stroke=\"%s\" stroke-width=\"2\"%s/>\n<text x=\"%d\" "
		"y=\"%d\">%s</text>\n", PR + 15, PR + 40, y, y, colour, dash,
		PR + 46, y + 4, text);
}

/* Extent of column c of m (drawable on a log axis when log). */
static void extent(const struct report_metrics *m, int c, int log,
		   double *lo, double *hi)
{
	size_t i;

	for (i = 0; m && i < m->n; i++) {
		double v = m->row[i][c];

		if (!isfinite(v) || (log && !(v > 0)))
			continue;
		if (v < *lo)
			*lo = v;
		if (v > *hi)
			*hi = v;
	}
}

static const struct {
	int col;
	const char *colour, *name;
} curves[] = {
	{ RC_VAL_RMSE, "#1f77b4", "validation RMSE" },
	{ RC_PROSP_RMSE, "#d62728", "prospective RMSE" },
	{ RC_MEAN_STD, "#2ca02c", "mean std" },
};

static void learning_curve(FILE *fp, const struct report_metrics *m,
			   const struct report_metrics *base)
{
	double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY,
	       yhi = -INFINITY;
	struct report_scale sx, sy;
	size_t i;
	int k = 0;

	fputs("<h2 id=\"learning\">Learning curve</h2>\n", fp);
	extent(m, RC_LABELS, 0, &xlo, &xhi);
	extent(base, RC_LABELS, 0, &xlo, &xhi);
	for (i = 0; i < 3; i++)
		extent(m, curves[i].col, 1, &ylo, &yhi);
	extent(base, RC_VAL_RMSE, 1, &ylo, &yhi);
	if (!isfinite(ylo)) {
		fputs("<p class=\"none\">No error or std recorded yet.</p>\n",
		      fp);
		return;
	}
	report_scale_linear(xlo, xhi, &sx);
	report_scale_log(ylo, yhi, &sy);
	svg_open(fp, H, "learning curve");
	axes(fp, &sx, &sy, "labels", "error, std (log scale)");
	for (i = 0; i < 3; i++) {
		series(fp, m, RC_LABELS, curves[i].col, &sx, &sy,
		       curves[i].colour, "");
		legend(fp, k++, curves[i].colour, "", curves[i].name);
	}
	if (base && base->n) {
		series(fp, base, RC_LABELS, RC_VAL_RMSE, &sx, &sy, "#7f7f7f",
		       " stroke-dasharray=\"6 4\"");
		legend(fp, k++, "#7f7f7f", " stroke-dasharray=\"6 4\"",
		       "baseline (random)");
	}
	fputs("</svg>\n<p>Validation RMSE: the model of each generation on "
	      "the held-out rows; prospective RMSE: the previous generation's "
	      "model on the rows labeled in this one, before training on "
	      "them; mean std: the committee's mean predicted std over the "
	      "candidates of the generation.", fp);
	if (base && base->n)
		fputs("  Dashed: the validation RMSE of the same campaign with "
		      "random selection.", fp);
	fputs("</p>\n", fp);
}

/* Column c per generation: against ideal (none when NaN); a fraction
 * (frac) gets an axis up to 1 at least. */
static void gen_chart(FILE *fp, const struct report_metrics *m, int c,
		      double ideal, int frac, const char *ylabel,
		      const char *what)
{
	double xlo = INFINITY, xhi = -INFINITY, ylo = 0, yhi = 0;
	struct report_scale sx, sy;
	double y;

	extent(m, RC_GENERATION, 0, &xlo, &xhi);
	extent(m, c, 0, &ylo, &yhi);
	if (isfinite(ideal) && ideal > yhi)
		yhi = ideal;
	if (frac && yhi < 1)
		yhi = 1;
	report_scale_linear(xlo, xhi, &sx);
	report_scale_linear(ylo, yhi, &sy);
	svg_open(fp, H, what);
	axes(fp, &sx, &sy, "generation", ylabel);
	series(fp, m, RC_GENERATION, c, &sx, &sy, "#9467bd", "");
	legend(fp, 0, "#9467bd", "", ylabel);
	if (isfinite(ideal)) {
		y = px_y(&sy, ideal);
		fprintf(fp, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" "
			"y2=\"%.1f\" stroke=\"#555\" "
			"stroke-dasharray=\"4 4\"/>\n", PL, PR, y, y);
		legend(fp, 1, "#555", " stroke-dasharray=\"4 4\"", "");
		fprintf(fp, "<text x=\"%d\" y=\"%d\">ideal %.3g</text>\n",
			PR + 46, PT + 34, ideal);
	}
	fputs("</svg>\n", fp);
}

static void calibration(FILE *fp, const struct report_metrics *m)
{
	double lo = INFINITY, hi = -INFINITY;

	fputs("<h2 id=\"calibration\">Calibration</h2>\n", fp);
	extent(m, RC_PROSP_MEAN_ABS_Z, 0, &lo, &hi);
	extent(m, RC_PROSP_WITHIN2, 0, &lo, &hi);
	if (!isfinite(lo)) {
		fputs("<p class=\"none\">No prospective calibration recorded "
		      "yet.</p>\n", fp);
		return;
	}
	fputs("<p>With z = (y &minus; mean) / std on the rows labeled in each "
	      "generation, before training on them: a calibrated Gaussian "
	      "model has a mean |z| of 0.80 and 95.4% of rows within 2 std "
	      "(dashed).  Above 0.80, or below 0.954, the model is "
	      "overconfident.</p>\n", fp);
	gen_chart(fp, m, RC_PROSP_MEAN_ABS_Z, sqrt(2 / M_PI), 0, "mean |z|",
		  "calibration: mean |z|");
	gen_chart(fp, m, RC_PROSP_WITHIN2, 0.954, 1, "fraction |z| <= 2",
		  "calibration: fraction within 2 std");
}

static const char *stage_colour(const char *name)
{
	static const char *const c[] = { "#9467bd", "#8c564b", "#e377c2",
					 "#1f77b4", "#ff7f0e" };
	int r = stage_rank(name);

	return r < 5 ? c[r] : "#17becf";
}

/* The oracle slots' busy fraction per generation, when recorded. */
static void busy_chart(FILE *fp, const struct report_metrics *m)
{
	double lo = INFINITY, hi = -INFINITY;

	extent(m, RC_BUSY_LABEL, 0, &lo, &hi);
	if (!isfinite(lo))
		return;
	gen_chart(fp, m, RC_BUSY_LABEL, NAN, 1, "busy fraction",
		  "oracle slots busy per generation");
	fputs("<p>The fraction of the oracle slots busy while labeling, per "
	      "generation.</p>\n", fp);
}

static void timeline(FILE *fp, const struct report_events *ev)
{
	int lh = ev->nlanes > 24 ? 10 : 18, h = PT + ev->nlanes * lh + 50;
	struct report_scale sx;
	int i, b;

	fputs("<h2 id=\"timeline\">Worker utilisation</h2>\n", fp);
	if (!ev->nevents) {
		fputs("<p class=\"none\">No events recorded yet.</p>\n", fp);
		return;
	}
	report_scale_linear(0, ev->t1 - ev->t0, &sx);
	/* the lanes span [t0, t1] exactly: the axis's domain is not widened */
	sx.lo = 0;
	sx.hi = ev->t1 - ev->t0;
	svg_open(fp, h, "worker utilisation timeline");
	for (i = 0; i < ev->nlanes; i++) {
		const struct report_lane *ln = &ev->lane[i];
		const char *name = ev->stage[ln->stage].name;
		double y = PT + i * lh, width = ln->rank_hi - ln->rank_lo + 1;

		fprintf(fp, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\""
			"%s>", PL - 6, y + lh - 5,
			lh < 12 ? " font-size=\"8\"" : "");
		report_escape(fp, name);
		if (ln->rank_lo >= 0 && ln->rank_lo == ln->rank_hi)
			fprintf(fp, " %d", ln->rank_lo);
		else if (ln->rank_lo >= 0)
			fprintf(fp, " %d-%d", ln->rank_lo, ln->rank_hi);
		fputs("</text>\n", fp);
		fprintf(fp, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" "
			"height=\"%d\" fill=\"#f4f4f4\"/>\n", PL, y + 1,
			PR - PL, lh - 2);
		/* runs of busy bins, one rectangle each, as dark as busy */
		for (b = 0; b < ev->nbins;) {
			double sum = 0, x0, x1, o;
			int e;

			if (ln->busy[b] <= 0) {
				b++;
				continue;
			}
			for (e = b; e < ev->nbins && ln->busy[e] > 0; e++)
				sum += ln->busy[e];
			o = sum / ((e - b) * ev->bin_s * width);
			o = o > 1 ? 1 : o < 0.2 ? 0.2 : o;
			x0 = PL + (PR - PL) * (double)b / ev->nbins;
			x1 = PL + (PR - PL) * (double)e / ev->nbins;
			fprintf(fp, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" "
				"height=\"%d\" fill=\"%s\" "
				"fill-opacity=\"%.2f\"/>\n", x0, y + 1,
				x1 - x0, lh - 2, stage_colour(name), o);
			b = e;
		}
	}
	for (i = 0; i < sx.nticks; i++) {
		double x = px_x(&sx, sx.tick[i]);

		if (sx.tick[i] > sx.hi * (1 + 1e-9))
			continue;
		fprintf(fp, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" "
			"y2=\"%d\" stroke=\"#888\"/>\n<text x=\"%.1f\" "
			"y=\"%d\" text-anchor=\"middle\">%g</text>\n", x, x,
			PT + ev->nlanes * lh, PT + ev->nlanes * lh + 4, x,
			PT + ev->nlanes * lh + 18, sx.tick[i]);
	}
	fprintf(fp, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">seconds "
		"since the first event</text>\n</svg>\n", (PL + PR) / 2,
		PT + ev->nlanes * lh + 38);
	fprintf(fp, "<p>%zu events over %.4g s; one lane per oracle rank "
		"(label) and per other stage, shaded by the fraction of the "
		"time the lane was busy (bins of %.3g s).</p>\n",
		ev->nevents, ev->t1 - ev->t0, ev->bin_s);
}

static void stage_times(FILE *fp, const struct report_events *ev)
{
	double hi = 0;
	struct report_scale sx;
	int i, bh = 22, h;

	fputs("<h2 id=\"stages\">Time per stage</h2>\n", fp);
	if (!ev->nevents) {
		fputs("<p class=\"none\">No events recorded yet.</p>\n", fp);
		return;
	}
	for (i = 0; i < ev->nstages; i++)
		if (ev->stage[i].busy_s > hi)
			hi = ev->stage[i].busy_s;
	report_scale_linear(0, hi, &sx);
	h = PT + ev->nstages * bh + 50;
	svg_open(fp, h, "time per stage");
	for (i = 0; i < ev->nstages; i++) {
		const struct report_stage *s = &ev->stage[i];
		double y = PT + i * bh, x1 = px_x(&sx, s->busy_s);

		fprintf(fp, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">",
			PL - 6, y + bh - 7);
		report_escape(fp, s->name);
		fprintf(fp, "</text>\n<rect x=\"%d\" y=\"%.1f\" width=\"%.2f\" "
			"height=\"%d\" fill=\"%s\"/>\n<text x=\"%.1f\" "
			"y=\"%.1f\">%.4g s</text>\n", PL, y + 2, x1 - PL,
			bh - 4, stage_colour(s->name), x1 + 4, y + bh - 7,
			s->busy_s);
	}
	for (i = 0; i < sx.nticks; i++) {
		double x = px_x(&sx, sx.tick[i]);
		int yb = PT + ev->nstages * bh;

		fprintf(fp, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" "
			"y2=\"%d\" stroke=\"#888\"/>\n<text x=\"%.1f\" "
			"y=\"%d\" text-anchor=\"middle\">%g</text>\n", x, x,
			yb, yb + 4, x, yb + 18, sx.tick[i]);
	}
	fprintf(fp, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">busy "
		"seconds, summed over tasks (label: over oracle calls)</text>\n"
		"</svg>\n", (PL + PR) / 2, PT + ev->nstages * bh + 38);
	fputs("<table><tr><th>stage</th><th>tasks</th><th>rows</th>"
	      "<th>busy s</th><th>queue s</th><th>compute s</th></tr>\n", fp);
	for (i = 0; i < ev->nstages; i++) {
		const struct report_stage *s = &ev->stage[i];

		fputs("<tr><td>", fp);
		report_escape(fp, s->name);
		fprintf(fp, "</td><td class=\"n\">%.0f</td><td class=\"n\">"
			"%.0f</td><td class=\"n\">%.4g</td><td class=\"n\">"
			"%.4g</td><td class=\"n\">%.4g</td></tr>\n", s->tasks,
			s->rows, s->busy_s, s->queue_s, s->compute_s);
	}
	fputs("</table>\n", fp);
}

/* A number of the summary, "%.4g" (fmt) or a dash when not known. */
static void cell(FILE *fp, const char *fmt, double v, const char *unit)
{
	fputs("<td class=\"n\">", fp);
	if (isfinite(v)) {
		fprintf(fp, fmt, v);
		fputs(unit, fp);
	} else {
		fputs("&ndash;", fp);
	}
	fputs("</td></tr>\n", fp);
}

/* The last finite value of column c, NaN if none. */
static double last_value(const struct report_metrics *m, int c)
{
	size_t i;

	for (i = m->n; i-- > 0;)
		if (isfinite(m->row[i][c]))
			return m->row[i][c];
	return NAN;
}

static void summary(FILE *fp, const struct report_metrics *m,
		    const struct report_events *ev, const struct config *cfg,
		    int has_base)
{
	static const struct {
		int col;
		const char *name;
	} last[] = {
		{ RC_VAL_RMSE, "validation RMSE" },
		{ RC_PROSP_RMSE, "prospective RMSE" },
		{ RC_MEAN_STD, "mean std" },
		{ RC_PROSP_MEAN_ABS_Z, "prospective mean |z|" },
		{ RC_PROSP_WITHIN2, "prospective within 2 std" },
		{ RC_BUSY_LABEL, "oracle slots busy" },
	};
	size_t i;

	fputs("<h2 id=\"summary\">Summary</h2>\n<table>\n", fp);
	fprintf(fp, "<tr><th>generations</th><td class=\"n\">%zu</td></tr>\n",
		m->n);
	fputs("<tr><th>labels</th>", fp);
	cell(fp, "%.0f", last_value(m, RC_LABELS), "");
	fputs("<tr><th>wall time</th>", fp);
	cell(fp, "%.4g", last_value(m, RC_WALL_S), " s");
	for (i = 0; i < sizeof(last) / sizeof(last[0]); i++) {
		fprintf(fp, "<tr><th>%s (last)</th>", last[i].name);
		cell(fp, "%.4g", last_value(m, last[i].col), "");
	}
	fprintf(fp, "<tr><th>events</th><td class=\"n\">%zu</td></tr>\n"
		"<tr><th>baseline</th><td>%s</td></tr>\n</table>\n",
		ev->nevents, has_base ? "random selection (baseline/"
		"metrics.tsv)" : "none");
	fputs("<h2 id=\"config\">Configuration</h2>\n", fp);
	if (!cfg->n) {
		fputs("<p class=\"none\">No config.</p>\n", fp);
		return;
	}
	fputs("<table><tr><th>key</th><th>value</th></tr>\n", fp);
	for (i = 0; i < cfg->n; i++) {
		fputs("<tr><td><code>", fp);
		report_escape(fp, cfg->key[i]);
		fputs("</code></td><td><code>", fp);
		report_escape(fp, cfg->value[i]);
		fputs("</code></td></tr>\n", fp);
	}
	fputs("</table>\n", fp);
}

static void page(FILE *fp, const char *dir, const struct report_metrics *m,
		 const struct report_metrics *base,
		 const struct report_events *ev, const struct config *cfg)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
	      "charset=\"utf-8\">\n<title>pal campaign ", fp);
	report_escape(fp, dir);
	fprintf(fp, "</title>\n<style>%s</style>\n</head>\n<body>\n"
		"<h1>pal campaign <code>", css);
	report_escape(fp, dir);
	fputs("</code></h1>\n", fp);
	if (!m->n)
		fputs("<p class=\"none\" id=\"empty\">Nothing yet: metrics.tsv "
		      "has no generation.</p>\n", fp);
	summary(fp, m, ev, cfg, base != NULL);
	if (m->n) {
		learning_curve(fp, m, base);
		calibration(fp, m);
	}
	timeline(fp, ev);
	busy_chart(fp, m);
	stage_times(fp, ev);
	fputs("</body>\n</html>\n", fp);
}

/* ---- report_write -------------------------------------------------------- */

static char *join(const char *dir, const char *file)
{
	size_t n = strlen(dir) + strlen(file) + 2;
	char *p = xmalloc(n);

	snprintf(p, n, "%s/%s", dir, file);
	return p;
}

/* Open dir/file: *fpp NULL when it does not exist and optional. */
static int open_in(const char *path, int optional, FILE **fpp,
		   struct pal_error *err)
{
	*fpp = fopen(path, "r");
	if (*fpp || (optional && errno == ENOENT))
		return 0;
	return pal_seterr(err, PAL_ERR_IO, errno, "cannot open '%s': %s", path,
			  strerror(errno));
}

static int sync_dir(const char *dir, struct pal_error *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return pal_seterr(err, PAL_ERR_IO, errno, "cannot open "
				  "directory '%s': %s", dir, strerror(errno));
	rc = fsync(fd);
	if (rc < 0 && errno != EINVAL) {
		rc = pal_seterr(err, PAL_ERR_IO, errno, "cannot sync directory "
				"'%s': %s", dir, strerror(errno));
		close(fd);
		return rc;
	}
	close(fd);
	return 0;
}

/* Write the page to a temporary in dir and rename it over report.html. */
static int write_page(const char *dir, const struct report_metrics *m,
		      const struct report_metrics *base,
		      const struct report_events *ev, const struct config *cfg,
		      struct pal_error *err)
{
	char *path = join(dir, "report.html"), *tmp = join(dir,
		".report.html.tmpXXXXXX");
	struct pal_cleanup cl = { NULL, NULL, 0 };
	int fd, rc = -1, e;
	mode_t um;
	FILE *fp;

	pal_cleanup_hold();
	fd = mkostemp(tmp, O_CLOEXEC);
	e = errno;
	if (fd >= 0) {
		cl.path = tmp;
		pal_cleanup_add(&cl);
	}
	pal_cleanup_release();
	if (fd < 0) {
		pal_seterr(err, PAL_ERR_IO, e, "cannot create a temporary in "
			   "'%s': %s", dir, strerror(e));
		goto out;
	}
	fp = fdopen(fd, "w");
	if (!fp) {
		e = errno;
		close(fd);
		pal_seterr(err, PAL_ERR_IO, e, "cannot write '%s': %s", tmp,
			   strerror(e));
		goto fail;
	}
	page(fp, dir, m, base, ev, cfg);
	/* mkstemp makes it 0600; a report is 0666 less the umask, as
	 * open(2) would make it */
	um = umask(0);
	umask(um);
	errno = 0;
	if (fflush(fp) != 0 || ferror(fp) || fchmod(fd, 0666 & ~um) < 0 ||
	    fsync(fd) < 0) {
		e = errno ? errno : EIO;
		fclose(fp);
		pal_seterr(err, PAL_ERR_IO, e, "cannot write '%s': %s", tmp,
			   strerror(e));
		goto fail;
	}
	if (fclose(fp) != 0) {
		e = errno;
		pal_seterr(err, PAL_ERR_IO, e, "cannot write '%s': %s", tmp,
			   strerror(e));
		goto fail;
	}
	pal_cleanup_hold();
	if (rename(tmp, path) < 0) {
		e = errno;
		pal_cleanup_release();
		pal_seterr(err, PAL_ERR_IO, e, "cannot rename '%s' to '%s': %s",
			   tmp, path, strerror(e));
		goto fail;
	}
	pal_cleanup_remove(&cl);
	pal_cleanup_release();
	rc = sync_dir(dir, err);
	goto out;
fail:
	unlink(tmp);
	pal_cleanup_remove(&cl);
out:
	free(path);
	free(tmp);
	return rc;
}

int report_write(const char *dir, struct pal_error *err)
{
	struct report_metrics m = { 0 }, base = { 0 };
	struct report_events ev;
	struct config cfg = { 0 };
	const char *files[4] = { "metrics.tsv", "baseline/metrics.tsv",
				 "events.tsv", "config" };
	FILE *fp[4] = { NULL };
	char *path[4];
	int i, rc = -1, has_base;

	memset(&ev, 0, sizeof(ev));
	for (i = 0; i < 4; i++)
		path[i] = join(dir, files[i]);
	for (i = 0; i < 4; i++)
		if (open_in(path[i], i > 0, &fp[i], err) < 0)
			goto out;
	has_base = fp[1] != NULL;
	if (report_read_metrics(fp[0], path[0], &m, err) < 0 ||
	    (fp[1] && report_read_metrics(fp[1], path[1], &base, err) < 0) ||
	    (fp[2] && report_read_events(fp[2], path[2], &ev, err) < 0) ||
	    (fp[3] && read_config(fp[3], path[3], &cfg, err) < 0))
		goto out;
	rc = write_page(dir, &m, has_base ? &base : NULL, &ev, &cfg, err);
out:
	for (i = 0; i < 4; i++) {
		if (fp[i])
			fclose(fp[i]);
		free(path[i]);
	}
	report_metrics_free(&m);
	report_metrics_free(&base);
	report_events_free(&ev);
	config_free(&cfg);
	return rc;
}
