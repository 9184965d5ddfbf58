/*
 * test-report.c: the campaign report's parts (report.h): the metrics and
 * events readers (values, errors with file:line), the time bins of the
 * timeline, the axes, HTML escaping, and report_write's files.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"
#include "unit.h"

static FILE *mem(const char *s)
{
	FILE *fp = fmemopen((void *)s, strlen(s), "r");

	if (!fp) {
		perror("fmemopen");
		exit(1);
	}
	return fp;
}

/* Read metrics from text s; -1 with err. */
static int metrics(const char *s, struct report_metrics *m,
		   struct pal_error *err)
{
	FILE *fp;
	int rc;

	if (!*s) {		/* fmemopen of 0 bytes is EINVAL */
		fp = tmpfile();
		rewind(fp);
	} else {
		fp = mem(s);
	}
	rc = report_read_metrics(fp, "m.tsv", m, err);
	fclose(fp);
	return rc;
}

static int events(const char *s, struct report_events *ev,
		  struct pal_error *err)
{
	FILE *fp = mem(s);
	int rc = report_read_events(fp, "e.tsv", ev, err);

	fclose(fp);
	return rc;
}

#define MHEAD "generation\tlabels\twall_s\ttrain_s\tlabel_s\tval_rmse\t" \
	"mean_std\tprosp_rmse\tprosp_mean_abs_z\tprosp_within2\tbusy_label\n"

static void test_metrics(void)
{
	struct report_metrics m;
	struct pal_error e;
	int rc;

	rc = metrics(MHEAD
		     "0\t20\t1.5\t0.5\t1\t0.25\t0.2\tnan\tnan\tnan\t0.5\n"
		     "1\t40\t3\t0.5\t1\t0.125\t0.1\t0.3\t0.9\t0.85\t0.75\n",
		     &m, &e);
	CHECK(rc == 0 && m.n == 2, "two generations read (rc %d, n %zu)", rc,
	      m.n);
	if (rc == 0 && m.n == 2) {
		CHECK(m.row[1][RC_LABELS] == 40 && m.row[1][RC_VAL_RMSE] ==
		      0.125 && m.row[1][RC_PROSP_WITHIN2] == 0.85 &&
		      m.row[1][RC_BUSY_LABEL] == 0.75,
		      "values of generation 1 in their columns");
		CHECK(isnan(m.row[0][RC_PROSP_RMSE]) &&
		      m.row[0][RC_WALL_S] == 1.5, "nan read as NaN");
	}
	report_metrics_free(&m);

	/* columns in another order, one unknown, some absent */
	rc = metrics("labels\tbusy_gen\tval_rmse\tgeneration\n"
		     "7\t0.5\t1e-3\t3\n", &m, &e);
	CHECK(rc == 0 && m.n == 1 && m.row[0][RC_GENERATION] == 3 &&
	      m.row[0][RC_LABELS] == 7 && m.row[0][RC_VAL_RMSE] == 1e-3 &&
	      isnan(m.row[0][RC_MEAN_STD]),
	      "columns found by name; unknown skipped, absent NaN");
	report_metrics_free(&m);

	rc = metrics("", &m, &e);
	CHECK(rc == 0 && m.n == 0, "an empty file is a table of no rows");
	rc = metrics(MHEAD, &m, &e);
	CHECK(rc == 0 && m.n == 0, "a header alone is a table of no rows");
}

static void expect_metrics_error(const char *text, const char *want)
{
	struct report_metrics m;
	struct pal_error e;
	int rc;

	memset(&e, 0, sizeof(e));
	rc = metrics(text, &m, &e);
	CHECK(rc == -1 && !strcmp(e.msg, want) && m.n == 0 && !m.row,
	      "metrics error '%s' (got '%s')", want, esc(e.msg));
}

static void test_metrics_errors(void)
{
	expect_metrics_error(MHEAD "0\t20\t1\t1\t1\t0.1\t0.1\tnan\tnan\tnan\t1\n"
			     "1\t40\t2\t1\t1\tabc\t0.1\tnan\tnan\tnan\t1\n",
			     "bad value 'abc' for val_rmse: not a number "
			     "(m.tsv:3)");
	expect_metrics_error(MHEAD "0\t20\t1\n",
			     "3 fields where the header has 11 (m.tsv:2)");
	expect_metrics_error("generation\tval_rmse\n0\t1\n",
			     "no column 'labels' in header (m.tsv:1)");
	expect_metrics_error("generation\tlabels\tlabels\n",
			     "column 'labels' twice in header (m.tsv:1)");
	expect_metrics_error("generation\tlabels\n0\t-4\n",
			     "bad value '-4' for labels: not a count "
			     "(m.tsv:2)");
	expect_metrics_error("generation\tlabels\n0\tnan\n",
			     "bad value 'nan' for labels: not a count "
			     "(m.tsv:2)");
	expect_metrics_error("generation\tlabels\n0\t 5\n",
			     "bad value ' 5' for labels: not a number "
			     "(m.tsv:2)");
}

#define EHEAD "t_start\tt_end\tstage\trank\trows\tfirst_id\tqueue_s\t" \
	"compute_s\n"

static void test_events(void)
{
	struct report_events ev;
	struct pal_error e;
	double sum;
	int rc, i, b;

	/* Over [100, 110]: train 100-102 (rank -1); label rank 1 at
	 * 102-106, rank 0 at 103-104 and 104-110; select 102-102.5. */
	rc = events(EHEAD
		    "100\t102\ttrain\t-1\t30\t0\t0\t2\n"
		    "103\t104\tlabel\t0\t1\t7\t0.5\t1\n"
		    "102\t106\tlabel\t1\t1\t8\t0.25\t4\n"
		    "102\t102.5\tselect\t-1\t10\t0\tnan\tnan\n"
		    "104\t110\tlabel\t0\t1\t9\t0\t6\n", &ev, &e);
	CHECK(rc == 0, "events read (%s)", rc ? e.msg : "");
	if (rc)
		return;
	CHECK(ev.nevents == 5 && ev.t0 == 100 && ev.t1 == 110,
	      "5 events over [%g, %g]", ev.t0, ev.t1);
	CHECK(ev.nstages == 3 && !strcmp(ev.stage[0].name, "select") &&
	      !strcmp(ev.stage[1].name, "label") &&
	      !strcmp(ev.stage[2].name, "train"),
	      "stages in loop order: select, label, train");
	CHECK(ev.stage[1].busy_s == 11 && ev.stage[1].tasks == 3 &&
	      ev.stage[1].queue_s == 0.75 && ev.stage[1].compute_s == 11 &&
	      ev.stage[1].rows == 3,
	      "label: 11 busy s, 3 tasks, 0.75 queue s, 11 compute s");
	CHECK(ev.stage[0].busy_s == 0.5 && ev.stage[0].queue_s == 0,
	      "select: 0.5 busy s, its NaN queue_s left out");
	CHECK(ev.nlanes == 4 && ev.lane[0].stage == 0 &&
	      ev.lane[1].stage == 1 && ev.lane[1].rank_lo == 0 &&
	      ev.lane[2].rank_lo == 1 && ev.lane[3].stage == 2,
	      "lanes: select, label 0, label 1, train");
	CHECK(ev.nbins == 800 && fabs(ev.bin_s - 10.0 / 800) < 1e-12,
	      "800 bins of %g s", ev.bin_s);
	for (i = 0; i < ev.nlanes; i++) {
		static const double want[4] = { 0.5, 7, 4, 2 };

		sum = 0;
		for (b = 0; b < ev.nbins; b++)
			sum += ev.lane[i].busy[b];
		CHECK(fabs(sum - want[i]) < 1e-9,
		      "lane %d holds %g busy s, want %g", i, sum, want[i]);
	}
	/* rank 0 is idle over [102, 103): bins 160..239 */
	sum = 0;
	for (b = 161; b < 239; b++)
		sum += ev.lane[1].busy[b];
	CHECK(sum == 0, "label 0 idle over (102, 103)");
	CHECK(fabs(ev.lane[1].busy[400] - ev.bin_s) < 1e-12,
	      "label 0 busy the whole bin at 105 s");
	report_events_free(&ev);
}

static void test_events_grouped(void)
{
	struct report_events ev;
	struct pal_error e;
	char *text;
	size_t len;
	FILE *fp = open_memstream(&text, &len);
	int rc, r;

	fputs(EHEAD, fp);
	for (r = 0; r < 200; r++)
		fprintf(fp, "%d\t%d\tlabel\t%d\t1\t%d\t0\t1\n", r, r + 1, r, r);
	fputs("0\t1\tgen\t-1\t1\t0\t0\t1\n", fp);
	fclose(fp);
	rc = events(text, &ev, &e);
	CHECK(rc == 0, "200 ranks read (%s)", rc ? e.msg : "");
	if (!rc) {
		/* 63 lanes left for label: groups of 4 ranks, 50 lanes */
		CHECK(ev.nlanes == 51 && ev.lane[1].rank_lo == 0 &&
		      ev.lane[1].rank_hi == 3 && ev.lane[50].rank_lo == 196 &&
		      ev.lane[50].rank_hi == 199,
		      "200 ranks in 50 lanes of 4 (%d lanes)", ev.nlanes);
		CHECK(ev.nbins * ev.nlanes <= REPORT_MAX_SEGMENTS,
		      "%d bins a lane, %d in all", ev.nbins,
		      ev.nbins * ev.nlanes);
	}
	report_events_free(&ev);
	free(text);
}

static void expect_events_error(const char *text, const char *want)
{
	struct report_events ev;
	struct pal_error e;
	int rc;

	memset(&e, 0, sizeof(e));
	rc = events(text, &ev, &e);
	CHECK(rc == -1 && !strcmp(e.msg, want) && ev.nlanes == 0,
	      "events error '%s' (got '%s')", want, esc(e.msg));
}

static void test_events_errors(void)
{
	expect_events_error(EHEAD "1\t2\tlabel\t0\t1\t0\t0\t1\n"
			    "3\t2\tlabel\t0\t1\t0\t0\t1\n",
			    "t_end before t_start (e.tsv:3)");
	expect_events_error(EHEAD "1\t2\t<b>\t0\t1\t0\t0\t1\n",
			    "bad stage name '<b>': 1 to 32 of A-Z a-z 0-9 _ "
			    ". - (e.tsv:2)");
	expect_events_error(EHEAD "1\t2\tlabel\t-2\t1\t0\t0\t1\n",
			    "bad value '-2' for rank: too small (e.tsv:2)");
	expect_events_error(EHEAD "nan\t2\tlabel\t0\t1\t0\t0\t1\n",
			    "t_start and t_end must lie within +-1e12 s (e.tsv:2)");
	expect_events_error(EHEAD "0\t1.1e12\tlabel\t0\t1\t0\t0\t1\n",
			    "t_start and t_end must lie within +-1e12 s "
			    "(e.tsv:2)");
	expect_events_error("t_start\tt_end\tstage\n",
			    "no column 'rank' in header (e.tsv:1)");
	expect_events_error(EHEAD "1\t2\tlabel\t0\n",
			    "4 fields where the header has 8 (e.tsv:2)");
}

static void test_scales(void)
{
	struct report_scale s;

	report_scale_linear(0.3, 9.7, &s);
	CHECK(s.lo == 0 && s.hi == 10 && s.nticks == 6 && s.tick[1] == 2 &&
	      s.tick[5] == 10, "linear 0.3..9.7: 0..10 by 2 (%g..%g, %d)",
	      s.lo, s.hi, s.nticks);
	CHECK(report_scale_pos(&s, 2.5) == 0.25, "2.5 at a quarter");
	report_scale_linear(20, 200, &s);
	CHECK(s.lo == 0 && s.hi == 200 && s.nticks == 5 && s.tick[1] == 50,
	      "linear 20..200: 0..200 by 50 (%g..%g, %d)", s.lo, s.hi,
	      s.nticks);
	report_scale_linear(5, 5, &s);
	CHECK(s.lo <= 4.5 && s.hi >= 5.5 && s.hi - s.lo <= 2,
	      "one value: a small axis around it (%g..%g)", s.lo, s.hi);
	report_scale_linear(NAN, NAN, &s);
	CHECK(s.lo == -1 && s.hi == 1, "no value: -1..1 (%g..%g)", s.lo, s.hi);
	report_scale_linear(-0.3, 0.1, &s);
	CHECK(s.lo == -0.3 && fabs(s.hi - 0.1) < 1e-12 && s.tick[3] == 0,
	      "linear -0.3..0.1 by 0.1, 0 exactly (%g..%g)", s.lo, s.hi);

	report_scale_linear(-1e308, 1e308, &s);
	CHECK(isfinite(s.lo) && isfinite(s.hi) && s.nticks >= 2 &&
	      s.nticks < 32, "linear -1e308..1e308: finite (%g..%g, %d)",
	      s.lo, s.hi, s.nticks);

	report_scale_linear(3.7e-310, 4.2e-314, &s);
	CHECK(s.lo < 0 && s.hi > 0 && s.nticks >= 2,
	      "linear of subnormals: an axis around 0 (%g..%g, %d)", s.lo,
	      s.hi, s.nticks);
	report_scale_log(3.7e-310, 4.2e-314, &s);
	CHECK(s.lo > 0 && s.hi > s.lo && s.nticks >= 2,
	      "log of subnormals: still an axis (%g..%g, %d)", s.lo, s.hi,
	      s.nticks);

	report_scale_log(0.0566, 0.335, &s);
	CHECK(s.log && s.lo == 0.05 && s.hi == 0.5 && s.nticks == 4 &&
	      s.tick[1] == 0.1 && s.tick[2] == 0.2,
	      "log 0.0566..0.335: 0.05, 0.1, 0.2, 0.5 (%g..%g, %d)", s.lo,
	      s.hi, s.nticks);
	CHECK(fabs(report_scale_pos(&s, sqrt(0.05 * 0.5)) - 0.5) < 1e-12,
	      "the geometric mean in the middle");
	report_scale_log(1e-6, 3e3, &s);
	CHECK(s.lo == 1e-6 && s.hi == 1e4 && s.nticks == 6 &&
	      fabs(s.tick[1] / 1e-4 - 1) < 1e-12,
	      "log 1e-6..3e3: every 2nd decade, 1e-6..1e4 (%g..%g, %d)", s.lo,
	      s.hi, s.nticks);
	report_scale_log(-1, 0, &s);
	CHECK(s.lo > 0 && s.hi > s.lo, "log of no positive value: still an "
	      "axis (%g..%g)", s.lo, s.hi);
}

static void test_escape(void)
{
	char *out;
	size_t len;
	FILE *fp = open_memstream(&out, &len);

	report_escape(fp, "<a href=\"x\">&'\x01\tq</a>");
	fclose(fp);
	CHECK(!strcmp(out, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;?\tq&lt;/a&gt;"),
	      "escaped: %s", esc(out));
	free(out);
}

static char dir[] = "/tmp/test-report.XXXXXX";

static void put(const char *file, const char *text)
{
	char p[256];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	fp = fopen(p, "w");
	if (!fp || fputs(text, fp) < 0 || fclose(fp)) {
		perror(p);
		exit(1);
	}
}

/* Files in dir (not . and ..). */
static int nfiles(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	if (d)
		closedir(d);
	return n;
}

static char *slurp(const char *file)
{
	static char buf[1 << 20];
	char p[256];
	FILE *fp;
	size_t n;

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	fp = fopen(p, "r");
	if (!fp)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static void test_write(void)
{
	struct pal_error e;
	char want[512], *html;
	struct stat st;
	int rc;

	umask(022);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(1);
	}
	rc = report_write(dir, &e);
	snprintf(want, sizeof(want), "cannot open '%s/metrics.tsv': No such "
		 "file or directory", dir);
	CHECK(rc == -1 && !strcmp(e.msg, want) && nfiles() == 0,
	      "no metrics.tsv: '%s', nothing written", esc(e.msg));

	put("metrics.tsv", "");
	rc = report_write(dir, &e);
	html = slurp("report.html");
	CHECK(rc == 0 && html && strstr(html, "Nothing yet") &&
	      strstr(html, "No events recorded yet") && !strstr(html, "nan") &&
	      nfiles() == 2,
	      "empty metrics.tsv: a page that says nothing yet");
	snprintf(want, sizeof(want), "%s/report.html", dir);
	CHECK(stat(want, &st) == 0 && (st.st_mode & 0777) == 0644,
	      "report.html is 0666 less the umask 022 (%o)",
	      (unsigned)(st.st_mode & 0777));
	umask(027);
	rc = report_write(dir, &e);
	CHECK(rc == 0 && stat(want, &st) == 0 && (st.st_mode & 0777) == 0640,
	      "and 0640 under the umask 027 (%o)",
	      (unsigned)(st.st_mode & 0777));
	umask(022);

	put("config", "# c\nplan = <b>\"x\" & 'y'</b>\n[label]\nnp = 4\n");
	put("metrics.tsv", MHEAD "0\t20\t1.5\t0.5\t1\t0.25\t0.2\tnan\tnan\t"
	    "nan\t0.5\n");
	rc = report_write(dir, &e);
	html = slurp("report.html");
	CHECK(rc == 0 && html && !strstr(html, "<b>") &&
	      strstr(html, "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;")
	      && strstr(html, "label.np"),
	      "config values escaped, section keys dotted");
	CHECK(html && strstr(html, "<svg") && strstr(html, ">0.25<") &&
	      !strstr(html, "<script"),
	      "a learning curve, the last validation RMSE, no script");
	CHECK(html && strstr(html, "<polyline fill=\"none\" stroke=\"#1f77b4\"")
	      && !strstr(html, "<polyline fill=\"none\" stroke=\"#d62728\"")
	      && !strstr(html, "points=\"\""),
	      "a curve of val_rmse, none of the all-NaN prosp_rmse");

	/* a bad events.tsv: an error; the old report stays, no temporary */
	put("events.tsv", EHEAD "1\t2\tlabel\tx\t1\t0\t0\t1\n");
	rc = report_write(dir, &e);
	snprintf(want, sizeof(want), "bad value 'x' for rank: not a number "
		 "(%s/events.tsv:2)", dir);
	CHECK(rc == -1 && !strcmp(e.msg, want), "bad events.tsv: '%s'",
	      esc(e.msg));
	html = slurp("report.html");
	CHECK(html && strstr(html, "&lt;b&gt;") && nfiles() == 4,
	      "the previous report.html kept, no temporary left");
	put("config", "x = 1\nno equals sign\n");
	put("events.tsv", EHEAD);
	rc = report_write(dir, &e);
	snprintf(want, sizeof(want), "not 'key = value': 'no equals sign' "
		 "(%s/config:2)", dir);
	CHECK(rc == -1 && !strcmp(e.msg, want), "bad config: '%s'",
	      esc(e.msg));

	/* a baseline: its curve and legend once it has a row */
	put("config", "");
	snprintf(want, sizeof(want), "%s/baseline", dir);
	mkdir(want, 0755);
	put("baseline/metrics.tsv", "generation\tlabels\tval_rmse\n");
	rc = report_write(dir, &e);
	html = slurp("report.html");
	CHECK(rc == 0 && html && !strstr(html, "baseline (random)") &&
	      strstr(html, "random selection (baseline/metrics.tsv)"),
	      "a baseline of no rows: no curve, no legend");
	put("baseline/metrics.tsv", "generation\tlabels\tval_rmse\n"
	    "0\t20\t0.5\n");
	rc = report_write(dir, &e);
	html = slurp("report.html");
	CHECK(rc == 0 && html && strstr(html, "baseline (random)") &&
	      strstr(html, "<polyline fill=\"none\" stroke=\"#7f7f7f\""),
	      "a baseline of a row: its curve and legend");

	/* the busy fraction's chart only where it was recorded */
	CHECK(html && strstr(html, "aria-label=\"oracle slots busy per "
			     "generation\""), "a busy_label chart");
	put("metrics.tsv", "generation\tlabels\tval_rmse\n0\t20\t0.5\n");
	rc = report_write(dir, &e);
	html = slurp("report.html");
	CHECK(rc == 0 && html && !strstr(html, "oracle slots busy per "
					 "generation"),
	      "no busy_label column: no busy chart");

	/* a directory that cannot take the temporary (not as root) */
	if (geteuid() != 0) {
		chmod(dir, 0555);
		rc = report_write(dir, &e);
		CHECK(rc == -1 && strstr(e.msg, "cannot create a temporary"),
		      "read-only directory: '%s'", esc(e.msg));
		chmod(dir, 0755);
	}

	snprintf(want, sizeof(want), "rm -rf '%s'", dir);
	if (system(want) != 0)
		perror("rm");
}

int main(void)
{
	test_metrics();
	test_metrics_errors();
	test_events();
	test_events_grouped();
	test_events_errors();
	test_scales();
	test_escape();
	test_write();
	return done();
}
