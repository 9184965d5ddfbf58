/*
 * fuzz-report.c: a fuzz target for the campaign report's readers and axes
 * (libcommon/report.c).
 *
 * Built like fuzz-stream.c: with libFuzzer for make fuzz, and with
 * tests/fuzz/replay.c for make check (over tests/fuzz/corpus/report and
 * tests/corrupt).
 *
 * The input is read as metrics.tsv and as events.tsv.  Checked, with
 * abort() on failure:
 *
 *  - an error has a message that names the file ("in.tsv:" and a line);
 *  - metrics: every generation and label count is finite and >= 0;
 *  - events: t0 <= t1, at most REPORT_MAX_LANES lanes and
 *    REPORT_MAX_SEGMENTS bins in all, every lane's stage exists, and the
 *    bins of each stage's lanes hold that stage's busy seconds (the sum of
 *    t_end - t_start), to a rounding error;
 *  - the axes of the first 16 bytes, as two doubles: finite bounds, lo <
 *    hi, 1 to 32 ascending ticks within them (log: all > 0).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#define FUZZ_NAME "fuzz-report"
#include "fuzz.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_error(const struct pal_error *e)
{
	CHECK(strstr(e->msg, "in.tsv:") != NULL);
}

static void check_metrics(const uint8_t *data, size_t size)
{
	FILE *fp = fmemopen((void *)data, size, "r");
	struct report_metrics m;
	struct pal_error e;
	size_t i;

	CHECK(fp != NULL);
	if (report_read_metrics(fp, "in.tsv", &m, &e) < 0) {
		check_error(&e);
		CHECK(m.n == 0 && m.row == NULL);
	} else {
		for (i = 0; i < m.n; i++)
			CHECK(isfinite(m.row[i][RC_GENERATION]) &&
			      m.row[i][RC_GENERATION] >= 0 &&
			      isfinite(m.row[i][RC_LABELS]) &&
			      m.row[i][RC_LABELS] >= 0);
	}
	report_metrics_free(&m);
	fclose(fp);
}

static void check_events(const uint8_t *data, size_t size)
{
	FILE *fp = fmemopen((void *)data, size, "r");
	struct report_events ev;
	struct pal_error e;
	double sum[REPORT_MAX_STAGES] = { 0 };
	int i, b;

	CHECK(fp != NULL);
	if (report_read_events(fp, "in.tsv", &ev, &e) < 0) {
		check_error(&e);
		CHECK(ev.nlanes == 0 && ev.nevents == 0);
		fclose(fp);
		return;
	}
	fclose(fp);
	if (ev.nevents == 0) {
		CHECK(ev.nlanes == 0);
		return;
	}
	CHECK(ev.t0 <= ev.t1 && ev.nlanes >= 1 &&
	      ev.nlanes <= REPORT_MAX_LANES &&
	      ev.nbins * ev.nlanes <= REPORT_MAX_SEGMENTS);
	for (i = 0; i < ev.nlanes; i++) {
		CHECK(ev.lane[i].stage >= 0 && ev.lane[i].stage < ev.nstages);
		for (b = 0; b < ev.nbins; b++) {
			CHECK(ev.lane[i].busy[b] >= 0);
			sum[ev.lane[i].stage] += ev.lane[i].busy[b];
		}
	}
	for (i = 0; i < ev.nstages; i++)
		CHECK(fabs(sum[i] - ev.stage[i].busy_s) <=
		      1e-6 * ev.stage[i].busy_s + 1e-9 * (ev.t1 - ev.t0) *
		      ev.stage[i].tasks + 1e-6);
	report_events_free(&ev);
}

static void check_scale(const struct report_scale *s)
{
	int i;

	CHECK(isfinite(s->lo) && isfinite(s->hi) && s->lo < s->hi);
	CHECK(s->nticks >= 1 && s->nticks <= 32);
	for (i = 0; i < s->nticks; i++) {
		CHECK(s->tick[i] >= s->lo - fabs(s->lo) * 1e-9);
		CHECK(s->tick[i] <= s->hi + fabs(s->hi) * 1e-9);
		CHECK(!s->log || s->tick[i] > 0);
		CHECK(i == 0 || s->tick[i] > s->tick[i - 1]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct report_scale s;
	double v[2];

	if (size == 0)
		return 0;	/* fmemopen needs a byte */
	check_metrics(data, size);
	check_events(data, size);
	if (size >= 16) {
		memcpy(v, data, 16);
		report_scale_linear(v[0], v[1], &s);
		check_scale(&s);
		report_scale_log(v[0], v[1], &s);
		check_scale(&s);
	}
	return 0;
}
