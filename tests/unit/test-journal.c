/*
 * test-journal.c: the journal of libcommon/journal.c.  Rows put come back
 * taken; the kind frame is required; a torn last frame is cut off at every
 * cut and the journal goes on; a complete corrupt frame is refused; the
 * fingerprint tells inputs apart and agrees with a reference written from
 * its description in journal.h.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal.h"
#include "stream.h"
#include "unit.h"

static char dir[] = "/tmp/test-journal-XXXXXX";
static char path[256];

/* ---- files -------------------------------------------------------------- */

static unsigned char *slurp(const char *p, size_t *n)
{
	FILE *f = fopen(p, "rb");
	unsigned char *b = NULL;
	size_t cap = 0;

	*n = 0;
	if (!f)
		return NULL;
	for (;;) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 4096;
			b = realloc(b, cap);
		}
		size_t r = fread(b + *n, 1, cap - *n, f);

		if (r == 0)
			break;
		*n += r;
	}
	fclose(f);
	return b;
}

static void spill(const char *p, const void *b, size_t n)
{
	FILE *f = fopen(p, "wb");

	fwrite(b, 1, n, f);
	fclose(f);
}

static char *at(const char *name)
{
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

/* ---- the fingerprint, from its description ------------------------------ */

static uint64_t ref_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t ref_step(uint64_t h, uint64_t w)
{
	return ref_mix(h ^ w) + 0x9e3779b97f4a7c15ull;
}

static uint64_t ref_bytes(uint64_t h, const unsigned char *p, size_t n)
{
	h = ref_step(h, n);
	for (size_t i = 0; i < n; i += 8) {
		unsigned char word[8] = { 0 };
		uint64_t w = 0;

		memcpy(word, p + i, n - i < 8 ? n - i : 8);
		for (int b = 7; b >= 0; b--)
			w = w << 8 | word[b];
		h = ref_step(h, w);
	}
	return h;
}

static void test_fingerprint(void)
{
	struct pal_col id = { "id", PAL_U64, 1, NULL };
	struct pal_col x = { "x", PAL_F64, 3, NULL };
	struct pal_col xf = { "x", PAL_F32, 6, NULL };
	struct pal_col tag = { "tag", PAL_U8, 11, NULL };
	uint64_t idv = 42;
	double xv[3] = { 0.5, -1.25, 3e300 };
	unsigned char tv[11] = "abcdefghijk";
	uint64_t h, r;

	h = journal_fp_col(JOURNAL_FP_INIT, &id, &idv);
	h = journal_fp_col(h, &x, xv);
	h = journal_fp_col(h, &tag, tv);
	r = ref_bytes(0x70616c6a6f75726eull, (const unsigned char *)"id", 2);
	r = ref_step(r, (uint64_t)PAL_U64 << 32 | 1);
	r = ref_bytes(r, (const unsigned char *)&idv, 8);
	r = ref_bytes(r, (const unsigned char *)"x", 1);
	r = ref_step(r, (uint64_t)PAL_F64 << 32 | 3);
	r = ref_bytes(r, (const unsigned char *)xv, 24);
	r = ref_bytes(r, (const unsigned char *)"tag", 3);
	r = ref_step(r, (uint64_t)PAL_U8 << 32 | 11);
	r = ref_bytes(r, tv, 11);
	CHECK(h == r, "fingerprint %016llx, reference %016llx",
	      (unsigned long long)h, (unsigned long long)r);

	/* One bit of x, the name, the dtype over the same bytes. */
	{
		double y[3] = { 0.5, -1.25, 3e300 };
		uint64_t a = journal_fp_col(JOURNAL_FP_INIT, &x, xv), b;
		struct pal_col x2 = x;

		y[1] = nextafter(y[1], 0);
		b = journal_fp_col(JOURNAL_FP_INIT, &x, y);
		CHECK(a != b, "x one ulp apart: fingerprints differ");
		snprintf(x2.name, sizeof(x2.name), "z");
		b = journal_fp_col(JOURNAL_FP_INIT, &x2, xv);
		CHECK(a != b, "another column name: fingerprints differ");
		b = journal_fp_col(JOURNAL_FP_INIT, &xf, xv);
		CHECK(a != b, "the same bytes as f32 x 6: fingerprints differ");
	}
}

/* ---- rows in, rows out -------------------------------------------------- */

static const struct journal_desc toy = { "--builtin toy", 0 };

static uint64_t fp_of(uint64_t id)
{
	struct pal_col x = { "x", PAL_F64, 1, NULL };
	double v = (double)id / 7;

	return journal_fp_col(JOURNAL_FP_INIT, &x, &v);
}

/* Row i: ids 0..n, y = 10 i, i 3 failing with a message. */
static void put_rows(struct journal *j, uint64_t from, uint64_t to, int sync_each)
{
	for (uint64_t i = from; i < to; i++) {
		double y = 10.0 * (double)i;
		struct journal_row r = {
			.id = i, .fp = fp_of(i), .status = i == 3 ? 1 : 0,
			.rank = (int32_t)i % 2, .t_start = (double)i,
			.t_end = (double)i + 0.5, .k = 1,
			.y = i == 3 ? NULL : &y,
			.msg = i == 3 ? "exited with status 1: \"boom\"" : "",
		};

		if (journal_put(j, &r) < 0)
			CHECK(0, "put row %llu: %s", (unsigned long long)i,
			      journal_error(j)->msg);
		if (sync_each && journal_sync(j) < 0)
			CHECK(0, "sync: %s", journal_error(j)->msg);
	}
}

/* Take rows 0..n; how many came back as put. */
static uint64_t take_rows(struct journal *j, uint64_t n)
{
	uint64_t good = 0;

	for (uint64_t i = 0; i < n; i++) {
		struct journal_row r;

		if (journal_take(j, i, fp_of(i), &r) != JOURNAL_FOUND)
			continue;
		if (i == 3)
			good += r.status == 1 && isnan(r.y[0]) &&
				!strcmp(r.msg, "exited with status 1: \"boom\"");
		else
			good += r.status == 0 && r.k == 1 && r.g == 0 &&
				r.y[0] == 10.0 * (double)i &&
				r.t_start == (double)i && r.rank == (int)i % 2 &&
				!strcmp(r.msg, "");
	}
	return good;
}

static void test_roundtrip(void)
{
	struct pal_error err;
	struct journal *j = journal_open(at("a.j"), &toy, &err), *j2;
	struct journal_row r;
	unsigned char *b;
	size_t n;

	CHECK(j != NULL, "a new journal opens (%s)", j ? "" : err.msg);
	if (!j)
		return;
	j2 = journal_open(at("a.j"), &toy, &err);
	CHECK(!j2 && err.kind == PAL_ERR_IO && strstr(err.msg, "is in use"),
	      "a second opening is refused: %s", err.msg);
	put_rows(j, 0, 10, 0);
	CHECK(journal_close(j, &err) == 0, "closed");

	/* The kind frame, first. */
	b = slurp(at("a.j"), &n);
	{
		struct pal_reader *rd = pal_reader_mem(b, n, "a.j");
		const struct pal_frame *f;
		int k = pal_read(rd, &f);

		CHECK(k == 1 && f->kind == PAL_META && f->nkv == 4 &&
		      !strcmp(f->kv[0].key, "kind") &&
		      !strcmp(f->kv[0].value, "journal") &&
		      !strcmp(f->kv[1].value, "1") &&
		      !strcmp(f->kv[2].value, "mix64-v1") &&
		      !strcmp(f->kv[3].key, "oracle") &&
		      !strcmp(f->kv[3].value, "--builtin toy"),
		      "the first frame is the kind frame");
		k = pal_read(rd, &f);
		CHECK(k == 1 && f->kind == PAL_DATA && f->nrows == 10 &&
		      f->ncols == 9 && !strcmp(f->cols[9 - 1].name, "msg") &&
		      f->cols[8].width == strlen("exited with status 1: \"boom\""),
		      "then one data frame of 10 rows, msg as wide as its longest");
		pal_reader_free(rd);
	}
	free(b);

	j = journal_open(at("a.j"), &toy, &err);
	CHECK(j != NULL, "opens again (%s)", j ? "" : err.msg);
	if (!j)
		return;
	CHECK(journal_k(j) == 1 && journal_torn(j) == 0 &&
	      !journal_other_oracle(j), "k 1, nothing torn, same oracle");
	CHECK(take_rows(j, 10) == 10, "the 10 rows come back as they went in");
	CHECK(journal_take(j, 5, fp_of(5), &r) == JOURNAL_ABSENT,
	      "a row taken once is not there a second time");
	CHECK(journal_take(j, 6, fp_of(7), &r) == JOURNAL_DIFFERS,
	      "id 6 with another fingerprint: differs");
	CHECK(journal_take(j, 99, fp_of(99), &r) == JOURNAL_ABSENT,
	      "id 99: absent");
	CHECK(journal_untaken(j) == 0, "none untaken");
	CHECK(journal_close(j, &err) == 0, "closed");

	/* In another order: every row, through the index. */
	j = journal_open(at("a.j"), &toy, &err);
	if (!j)
		return;
	{
		uint64_t good = 0;

		for (uint64_t i = 10; i-- > 0;)
			good += journal_take(j, i, fp_of(i), &r) == JOURNAL_FOUND &&
				r.status == (i == 3) && r.t_end == (double)i + 0.5;
		CHECK(good == 10, "taken backwards, the 10 rows come back");
	}
	CHECK(journal_close(j, &err) == 0, "closed");

	/* Some rows absent from the input, some of another input. */
	j = journal_open(at("a.j"), &toy, &err);
	if (!j)
		return;
	CHECK(journal_take(j, 0, fp_of(0), &r) == JOURNAL_FOUND &&
	      journal_take(j, 2, fp_of(2), &r) == JOURNAL_FOUND &&
	      journal_take(j, 4, fp_of(1), &r) == JOURNAL_DIFFERS &&
	      journal_take(j, 5, fp_of(5), &r) == JOURNAL_FOUND &&
	      journal_take(j, 6, fp_of(6), &r) == JOURNAL_FOUND,
	      "in order with gaps: found, found, differs, found, found");
	CHECK(journal_untaken(j) == 6, "6 rows untaken");
	CHECK(journal_close(j, &err) == 0, "closed");
}

/* A failure, then a retried success of the same row, then the same id of
 * another input row. */
static void test_retry(void)
{
	struct pal_error err;
	struct journal *j = journal_open(at("r.j"), &toy, &err);
	double y = 5;
	struct journal_row fail = { .id = 7, .fp = 100, .status = 2, .k = 1,
				    .msg = "killed by signal 9" };
	struct journal_row ok = { .id = 7, .fp = 100, .retried = 1, .k = 1,
				  .y = &y, .msg = "" };
	struct journal_row other = { .id = 7, .fp = 200, .status = 3, .k = 1,
				     .msg = "timed out" };
	struct journal_row r;

	journal_put(j, &fail);
	journal_sync(j);
	journal_put(j, &other);
	journal_put(j, &ok);
	journal_close(j, &err);
	j = journal_open(at("r.j"), &toy, &err);
	CHECK(j && journal_untaken(j) == 2, "a retried row replaces its failure: "
	      "2 rows to take, not 3");
	CHECK(journal_take(j, 7, 100, &r) == JOURNAL_FOUND && r.status == 0 &&
	      r.y[0] == 5, "id 7 of fingerprint 100: the success");
	CHECK(journal_take(j, 7, 100, &r) == JOURNAL_ABSENT,
	      "and no failure left behind it");
	CHECK(journal_take(j, 7, 200, &r) == JOURNAL_FOUND && r.status == 3 &&
	      !strcmp(r.msg, "timed out"), "id 7 of fingerprint 200: its failure");
	journal_close(j, &err);
}

/* ---- torn, corrupt, not a journal ---------------------------------------- */

static void test_torn(void)
{
	struct pal_error err;
	struct journal *j = journal_open(at("t.j"), &toy, &err);
	unsigned char *b;
	size_t n, kind, cut, bad = 0, tries = 0;

	journal_close(j, &err);
	free(slurp(at("t.j"), &kind));
	j = journal_open(at("t.j"), &toy, &err);
	put_rows(j, 0, 8, 1);		/* a frame per row */
	journal_close(j, &err);
	b = slurp(at("t.j"), &n);
	for (cut = kind; cut < n; cut += 3) {
		uint64_t got;
		size_t m;
		unsigned char *c;

		tries++;
		spill(at("cut.j"), b, cut);
		j = journal_open(at("cut.j"), &toy, &err);
		if (!j) {
			bad++;
			diag("cut at %zu: %s", cut, err.msg);
			continue;
		}
		got = take_rows(j, 8);
		c = slurp(at("cut.j"), &m);
		/* What is left is the kind frame and whole frames only. */
		if (m + journal_torn(j) != cut)
			bad++;
		free(c);
		/* Go on: the missing rows, then all 8 are there. */
		put_rows(j, got, 8, 1);
		journal_close(j, &err);
		j = journal_open(at("cut.j"), &toy, &err);
		if (!j || take_rows(j, 8) != 8 || journal_torn(j) != 0) {
			bad++;
			diag("cut at %zu: not whole after resuming", cut);
		}
		if (j)
			journal_close(j, &err);
	}
	CHECK(bad == 0 && tries > 100, "cut at %zu places after the kind frame: "
	      "each resumes and completes (%zu bad)", tries, bad);

	/* Cut inside the kind frame: not a journal, and left as it is. */
	bad = 0;
	for (cut = 1; cut < kind; cut++) {
		unsigned char *c;
		size_t m;

		spill(at("cut.j"), b, cut);
		j = journal_open(at("cut.j"), &toy, &err);
		c = slurp(at("cut.j"), &m);
		if (j || err.kind != PAL_ERR_MISMATCH ||
		    !strstr(err.msg, "is not a journal") || m != cut ||
		    memcmp(c, b, m))
			bad++;
		free(c);
		if (j)
			journal_close(j, &err);
	}
	CHECK(bad == 0, "cut at each of the %zu bytes of the kind frame: "
	      "refused, untouched (%zu bad)", kind - 1, bad);
	free(b);
}

static void test_corrupt(void)
{
	struct pal_error err;
	struct journal *j = journal_open(at("c.j"), &toy, &err);
	unsigned char *b, *c;
	size_t n, kind, m;

	journal_close(j, &err);
	free(slurp(at("c.j"), &kind));
	j = journal_open(at("c.j"), &toy, &err);
	put_rows(j, 0, 4, 1);
	journal_close(j, &err);
	b = slurp(at("c.j"), &n);
	/* A byte in the middle: inside the second or third data frame,
	 * complete frames follow. */
	b[kind + (n - kind) / 2] ^= 0x40;
	spill(at("c.j"), b, n);
	j = journal_open(at("c.j"), &toy, &err);
	c = slurp(at("c.j"), &m);
	CHECK(!j && err.kind == PAL_ERR_CORRUPT &&
	      !strncmp(err.msg, "corrupt journal: ", 17) && strstr(err.msg, "c.j"),
	      "a complete corrupt frame is refused: %s", err.msg);
	CHECK(m == n && !memcmp(b, c, n), "and the file is left as it is");
	free(b);
	free(c);
}

static void test_not_journal(void)
{
	struct pal_error err;
	struct journal *j;
	unsigned char *c;
	size_t m;

	/* A data stream. */
	{
		struct pal_col col = { "id", PAL_U64, 1, NULL };
		uint64_t ids[2] = { 0, 1 };
		struct pal_frame f = { .kind = PAL_DATA, .nrows = 2, .ncols = 1,
				       .cols = &col };
		FILE *fp = fopen(at("d.pal"), "wb");
		struct pal_writer *w = pal_writer_fd(fileno(fp), "d.pal", 0);

		col.data = ids;
		pal_write(w, &f);
		pal_writer_finish(w);
		pal_writer_free(w);
		fclose(fp);
	}
	{
		unsigned char *b = slurp(at("d.pal"), &m);
		size_t n = m;

		j = journal_open(at("d.pal"), &toy, &err);
		c = slurp(at("d.pal"), &m);
		CHECK(!j && err.kind == PAL_ERR_MISMATCH &&
		      strstr(err.msg, "d.pal' is not a journal (it starts with a "
			     "data frame, not kind=journal)"),
		      "a data stream is not a journal: %s", err.msg);
		CHECK(m == n && !memcmp(b, c, n), "and is left as it is");
		free(b);
		free(c);
	}
	/* A stream whose first frame is metadata of another kind. */
	{
		FILE *fp = fopen(at("m.pal"), "wb");
		struct pal_writer *w = pal_writer_fd(fileno(fp), "m.pal", 0);

		pal_write_kv(w, "kind", "model");
		pal_writer_finish(w);
		pal_writer_free(w);
		fclose(fp);
		j = journal_open(at("m.pal"), &toy, &err);
		CHECK(!j && err.kind == PAL_ERR_MISMATCH &&
		      strstr(err.msg, "says kind=model, not kind=journal"),
		      "kind=model is not a journal: %s", err.msg);
	}
	j = journal_open("/dev/null", &toy, &err);
	CHECK(!j && err.kind == PAL_ERR_USAGE &&
	      !strcmp(err.msg, "journal '/dev/null' is not a regular file "
		      "(a character device)"), "/dev/null: %s", err.msg);
	j = journal_open(dir, &toy, &err);
	CHECK(!j && strstr(err.msg, "is not a regular file (a directory)"),
	      "a directory: %s", err.msg);
	/* An empty file is a new journal. */
	spill(at("e.j"), "", 0);
	j = journal_open(at("e.j"), &toy, &err);
	CHECK(j != NULL, "an empty file is a new journal");
	if (j)
		journal_close(j, &err);
	j = journal_open(at("e.j"), &toy, &err);
	CHECK(j != NULL, "and opens again as one");
	if (j)
		journal_close(j, &err);
}

/* ---- the oracle ----------------------------------------------------------- */

static void test_oracle(void)
{
	struct journal_desc a = { "printf '%s\\n' \"$x\"\nexit 0", 0 };
	struct journal_desc b = { "other", 0 }, b_any = { "other", 1 };
	struct pal_error err;
	struct journal *j = journal_open(at("o.j"), &a, &err);
	unsigned char *x, *y;
	size_t nx, ny;

	put_rows(j, 0, 2, 0);
	journal_close(j, &err);
	j = journal_open(at("o.j"), &a, &err);
	CHECK(j && !journal_other_oracle(j), "a descriptor of newlines and "
	      "backslashes is stored and matched");
	journal_close(j, &err);
	x = slurp(at("o.j"), &nx);
	j = journal_open(at("o.j"), &b, &err);
	CHECK(!j && err.kind == PAL_ERR_MISMATCH &&
	      strstr(err.msg, "is of another oracle ('printf '%s\\\\n' \"$x\"\\n"
		     "exit 0', not 'other')"),
	      "another oracle is refused, both shown escaped: %s", err.msg);
	j = journal_open(at("o.j"), &b_any, &err);
	CHECK(j && journal_other_oracle(j) &&
	      !strcmp(journal_other_oracle(j), "printf '%s\\\\n' \"$x\"\\nexit 0"),
	      "any_oracle takes it, and says which it was");
	journal_close(j, &err);
	y = slurp(at("o.j"), &ny);
	CHECK(nx == ny && !memcmp(x, y, nx), "a run that adds no rows leaves "
	      "the journal as it was");
	j = journal_open(at("o.j"), &b_any, &err);
	put_rows(j, 2, 4, 0);
	journal_close(j, &err);
	j = journal_open(at("o.j"), &b, &err);
	CHECK(j && take_rows(j, 4) == 4, "after rows of the new oracle the "
	      "journal is of it, all rows kept");
	if (j)
		journal_close(j, &err);
	free(x);
	free(y);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_fingerprint();
	test_roundtrip();
	test_retry();
	test_torn();
	test_corrupt();
	test_not_journal();
	test_oracle();
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			diag("could not remove %s", dir);
	}
	return done();
}
