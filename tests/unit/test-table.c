/*
 * test-table.c: libcommon/table.c.  Streams built in memory (several frames,
 * f32, f64 and integer columns, failed rows, metadata frames, concatenated
 * segments) are gathered with the values each row was written with; NaN
 * labels, wrong widths, missing columns, a model, a cut stream and a memory
 * limit are refused with their messages; the split and the bootstrap are
 * deterministic and have the shapes table.h states.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stream.h"
#include "table.h"
#include "unit.h"

/* What a frame holds: rows of ids first .. first + n - 1. */
struct spec {
	uint64_t first, n;
	int xt, yt, gt;		/* dtypes; gt 0: no grad */
	uint32_t d, k, gw;	/* widths; gw of grad */
	int status;		/* a status column: id % 5 == 3 fails */
	int no_y;		/* leave y out */
	uint64_t nan_id;	/* this id gets a NaN y (status 0); 0: none */
};

static double xval(uint64_t id, uint32_t j) { return 4.0 * (double)id + j; }
static double yval(uint64_t id, uint32_t c) { return 2.0 * (double)id + c; }
static double gval(uint64_t id, uint32_t j) { return -(double)id - j; }
static int failed(uint64_t id) { return id % 5 == 3; }

static void put(struct pal_col *c, uint64_t i, double v)
{
	switch (c->dtype) {
	case PAL_F64: ((double *)c->data)[i] = v; break;
	case PAL_F32: ((float *)c->data)[i] = (float)v; break;
	case PAL_I32: ((int32_t *)c->data)[i] = (int32_t)v; break;
	case PAL_I64: ((int64_t *)c->data)[i] = (int64_t)v; break;
	default: ((uint64_t *)c->data)[i] = (uint64_t)v; break;
	}
}

static void add_col(struct pal_col *c, uint32_t *nc, const char *name,
		    int dtype, uint32_t width, uint64_t n)
{
	struct pal_col *p = &c[(*nc)++];

	snprintf(p->name, sizeof(p->name), "%s", name);
	p->dtype = dtype;
	p->width = width;
	p->data = calloc(n * width + 1, 8);
}

static int write_spec(struct pal_writer *w, const struct spec *s)
{
	struct pal_col c[6];
	uint32_t nc = 0;
	struct pal_frame f = { .kind = PAL_DATA, .nrows = s->n, .cols = c };
	int rc;

	add_col(c, &nc, "id", PAL_U64, 1, s->n);
	add_col(c, &nc, "t_start", PAL_F64, 1, s->n);	/* ignored */
	add_col(c, &nc, "x", s->xt, s->d, s->n);
	if (!s->no_y)
		add_col(c, &nc, "y", s->yt, s->k, s->n);
	if (s->gt)
		add_col(c, &nc, "grad", s->gt, s->gw, s->n);
	if (s->status)
		add_col(c, &nc, "status", PAL_I32, 1, s->n);
	f.ncols = nc;
	for (uint64_t r = 0; r < s->n; r++) {
		uint64_t id = s->first + r;

		put(&c[0], r, (double)id);
		for (uint32_t j = 0; j < s->d; j++)
			put(&c[2], r * s->d + j, xval(id, j));
		for (uint32_t j = 0; !s->no_y && j < s->k; j++)
			put(&c[3], r * s->k + j,
			    (s->status && failed(id)) ||
			    (s->nan_id && id == s->nan_id) ?
			    NAN : yval(id, j));
		for (uint32_t j = 0; s->gt && j < s->gw; j++)
			put(&c[nc - 1 - !!s->status], r * s->gw + j,
			    gval(id, j));
		if (s->status)
			put(&c[nc - 1], r, failed(id) ? 2 : 0);
	}
	rc = pal_write(w, &f);
	for (uint32_t i = 0; i < nc; i++)
		free(c[i].data);
	return rc;
}

/* A stream of the frames of specs, with a metadata frame after the first. */
static void *make_stream(const struct spec *s, int ns, size_t *len)
{
	struct pal_writer *w = pal_writer_mem("t.pal", 0);
	void *p;

	for (int i = 0; i < ns; i++) {
		if (write_spec(w, &s[i]) < 0)
			abort();
		if (i == 0 && pal_write_kv(w, "source", "test") < 0)
			abort();
	}
	if (pal_writer_finish(w) < 0)
		abort();
	p = pal_writer_mem_take(w, len);
	pal_writer_free(w);
	return p;
}

static int read_table(const void *p, size_t len, const struct table_opts *o,
		      struct table *t, struct pal_error *e)
{
	struct pal_reader *r = pal_reader_mem(p, len, "t.pal");
	int rc = table_read(t, r, "t.pal", o, e);

	pal_reader_free(r);
	return rc;
}

/* Whether t holds exactly the rows of ids [first, first + n) that did not
 * fail (with status) in order, with grad when gw. */
static int rows_are(const struct table *t, uint64_t first, uint64_t n,
		    int status, int grad)
{
	uint64_t i = 0;

	for (uint64_t id = first; id < first + n; id++) {
		if (status && failed(id))
			continue;
		if (i >= t->n || t->id[i] != id)
			return 0;
		for (uint32_t j = 0; j < t->d; j++)
			if (t->x[i * t->d + j] != xval(id, j) ||
			    (grad && t->grad[i * t->d + j] != gval(id, j)))
				return 0;
		for (uint32_t j = 0; j < t->k; j++)
			if (t->y[i * t->k + j] != yval(id, j))
				return 0;
		i++;
	}
	return i == t->n;
}

static void test_gather(void)
{
	/* Three frames: f64, f32 and i32 x; a frame of zero rows. */
	struct spec s[] = {
		{ 0, 40, PAL_F64, PAL_F64, PAL_F64, 3, 2, 3, 1, 0, 0 },
		{ 40, 0, PAL_F64, PAL_F64, PAL_F64, 3, 2, 3, 1, 0, 0 },
		{ 40, 25, PAL_F32, PAL_F32, PAL_F32, 3, 2, 3, 1, 0, 0 },
		{ 65, 35, PAL_I32, PAL_I64, PAL_F64, 3, 2, 3, 1, 0, 0 },
	};
	struct pal_error e = { 0 };
	struct table t;
	size_t len, len2;
	void *p = make_stream(s, 4, &len), *q, *cat;
	int rc;

	rc = read_table(p, len, NULL, &t, &e);
	CHECK(rc == 0, "a stream of f64, f32 and integer frames is gathered "
	      "(%s)", rc ? e.msg : "ok");
	CHECK(t.n == 80 && t.nread == 100 && t.nfailed == 20 &&
	      t.nnonfinite == 0 && t.d == 3 && t.k == 2,
	      "100 rows read, 20 failed left out, 80 kept, d 3, k 2 "
	      "(%llu %llu %llu, d %u k %u)", (unsigned long long)t.nread,
	      (unsigned long long)t.nfailed, (unsigned long long)t.n,
	      t.d, t.k);
	CHECK(t.grad && rows_are(&t, 0, 100, 1, 1),
	      "ids, x, y and grad of every kept row as written, in order");
	table_free(&t);

	struct table_opts nog = { .flags = TABLE_NO_GRAD };

	rc = read_table(p, len, &nog, &t, &e);
	CHECK(rc == 0 && !t.grad && t.n == 80 && rows_are(&t, 0, 100, 1, 0),
	      "TABLE_NO_GRAD: the same rows, no grad");
	table_free(&t);

	/* Two streams concatenated are one input. */
	struct spec s2[] = {
		{ 100, 30, PAL_F64, PAL_F64, PAL_F64, 3, 2, 3, 1, 0, 0 },
	};
	q = make_stream(s2, 1, &len2);
	cat = malloc(len + len2);
	memcpy(cat, p, len);
	memcpy((char *)cat + len, q, len2);
	rc = read_table(cat, len + len2, NULL, &t, &e);
	CHECK(rc == 0 && t.nread == 130 && t.n == 104 &&
	      rows_are(&t, 0, 130, 1, 1),
	      "two concatenated streams: 130 rows read, 104 kept, in order "
	      "(%s)", rc ? e.msg : "ok");
	table_free(&t);
	free(cat);
	free(q);
	free(p);

	/* No status, no grad, no id column: ids are row numbers. */
	struct spec s3[] = {
		{ 0, 3000, PAL_F32, PAL_F64, 0, 1, 1, 0, 0, 0, 0 },
	};
	p = make_stream(s3, 1, &len);
	rc = read_table(p, len, NULL, &t, &e);
	CHECK(rc == 0 && t.n == 3000 && !t.grad && rows_are(&t, 0, 3000, 0, 0)
	      && t.cap == 4096,
	      "3000 rows without status or grad, grown by doubling to 4096 "
	      "rows (cap %llu)", (unsigned long long)t.cap);
	table_free(&t);

	/* The memory limit: 24 bytes a row (id, x, y). */
	struct table_opts lim = { .max_bytes = 24 * 2500 };

	rc = read_table(p, len, &lim, &t, &e);
	CHECK(rc < 0 && e.kind == PAL_ERR_LIMIT &&
	      !strcmp(e.msg, "labeled rows past the memory limit of 60000 "
		      "bytes: 2500 rows of 24 bytes fit (t.pal: frame 0 at "
		      "offset 0)"),
	      "3000 rows past a limit of 2500 rows refused: %s", esc(e.msg));
	CHECK(t.id == NULL && t.n == 0, "nothing is left in a refused table");
	lim.max_bytes = 24 * 3000;
	rc = read_table(p, len, &lim, &t, &e);
	CHECK(rc == 0 && t.n == 3000 && t.cap == 3000,
	      "a limit of exactly 3000 rows: gathered, the last growth cut to "
	      "the limit (cap %llu)", (unsigned long long)t.cap);
	table_free(&t);
	free(p);
}

/* The fingerprint written again from its description in table.h. */
static uint64_t ref_step(uint64_t h, uint64_t w)
{
	uint64_t z = h ^ w;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (z ^ (z >> 31)) + 0x9e3779b97f4a7c15ull;
}

static uint64_t ref_bits(double v)
{
	union { double d; uint64_t u; } c = { .d = v };

	return c.u;
}

static void test_fingerprint(void)
{
	struct spec s[] = {
		{ 0, 20, PAL_F64, PAL_F64, PAL_F32, 2, 1, 2, 1, 0, 0 },
	};
	struct pal_error e;
	struct table t;
	size_t len;
	void *p = make_stream(s, 1, &len);
	uint64_t h = 0x70616c7461626c65ull, fp, fp2;
	int rc = read_table(p, len, NULL, &t, &e);

	CHECK(rc == 0, "a table to fingerprint (%s)", rc ? e.msg : "ok");
	if (rc)
		return;
	h = ref_step(h, t.n);
	h = ref_step(h, (uint64_t)2 << 32 | 1);
	h = ref_step(h, 1);
	for (uint64_t i = 0; i < t.n; i++) {
		h = ref_step(h, t.id[i]);
		for (int j = 0; j < 2; j++)
			h = ref_step(h, ref_bits(t.x[i * 2 + j]));
		h = ref_step(h, ref_bits(t.y[i]));
		for (int j = 0; j < 2; j++)
			h = ref_step(h, ref_bits(t.grad[i * 2 + j]));
	}
	fp = table_fingerprint(&t);
	CHECK(fp == h, "the fingerprint is the one table.h describes "
	      "(%016llx, %016llx)", (unsigned long long)fp,
	      (unsigned long long)h);
	t.y[5] = nextafter(t.y[5], INFINITY);
	fp2 = table_fingerprint(&t);
	CHECK(fp2 != fp, "one bit of one y changes it");
	t.y[5] = nextafter(t.y[5], -INFINITY);
	t.id[3] ^= 1;
	t.id[4] ^= 1;
	CHECK(table_fingerprint(&t) != fp, "two ids swapped change it");
	table_free(&t);
	free(p);
}

static void expect_error(const struct spec *s, int ns, int flags, int kind,
			 const char *msg, const char *what)
{
	struct table_opts o = { .flags = flags };
	struct pal_error e = { 0 };
	struct table t;
	size_t len;
	void *p = make_stream(s, ns, &len);
	int rc = read_table(p, len, &o, &t, &e);

	CHECK(rc < 0 && e.kind == kind && !strcmp(e.msg, msg),
	      "%s: %s", what, esc(e.msg));
	free(p);
}

static void test_refused(void)
{
	struct spec nan[] = {
		{ 0, 10, PAL_F64, PAL_F64, 0, 2, 1, 0, 1, 0, 7 },
		{ 10, 10, PAL_F64, PAL_F64, 0, 2, 1, 0, 1, 0, 0 },
	};
	struct spec wide[] = {
		{ 0, 10, PAL_F64, PAL_F64, 0, 2, 1, 0, 1, 0, 0 },
		{ 10, 10, PAL_F64, PAL_F64, 0, 3, 1, 0, 1, 0, 0 },
	};
	struct spec gradw[] = {
		{ 0, 10, PAL_F64, PAL_F64, PAL_F64, 2, 1, 3, 1, 0, 0 },
	};
	struct spec nograd[] = {
		{ 0, 10, PAL_F64, PAL_F64, PAL_F64, 2, 1, 2, 1, 0, 0 },
		{ 10, 10, PAL_F64, PAL_F64, 0, 2, 1, 0, 1, 0, 0 },
	};
	struct spec noy[] = {
		{ 0, 10, PAL_F64, PAL_F64, 0, 2, 1, 0, 1, 1, 0 },
	};
	struct pal_error e = { 0 };
	struct table t;
	size_t len;
	void *p;
	int rc;

	expect_error(nan, 2, 0, PAL_ERR_NUMERIC, "non-finite y in the row of "
		     "id 7, whose status is 0 (t.pal: frame 0 at offset 0)",
		     "a NaN y of status 0 refused");
	p = make_stream(nan, 2, &len);
	struct table_opts skip = { .flags = TABLE_SKIP_NONFINITE };

	rc = read_table(p, len, &skip, &t, &e);
	CHECK(rc == 0 && t.nread == 20 && t.nfailed == 4 &&
	      t.nnonfinite == 1 && t.n == 15,
	      "TABLE_SKIP_NONFINITE: the NaN row counted apart from the 4 "
	      "failed ones, 15 kept");
	table_free(&t);
	free(p);

	p = make_stream(wide, 2, &len);
	rc = read_table(p, len, NULL, &t, &e);
	CHECK(rc < 0 && e.kind == PAL_ERR_MISMATCH &&
	      !strncmp(e.msg, "column x has width 3, not 2 as in the first "
		       "rows (t.pal: frame 2 at offset ", 75),
	      "x of another width in a later frame refused: %s", esc(e.msg));
	free(p);
	expect_error(gradw, 1, 0, PAL_ERR_MISMATCH, "column grad has width 3, "
		     "not 2 as x (t.pal: frame 0 at offset 0)",
		     "grad of a width other than x's refused");
	p = make_stream(gradw, 1, &len);
	struct table_opts nog = { .flags = TABLE_NO_GRAD };

	rc = read_table(p, len, &nog, &t, &e);
	CHECK(rc == 0 && t.n == 8 && !t.grad,
	      "TABLE_NO_GRAD: a grad of another width is not looked at");
	table_free(&t);
	free(p);
	p = make_stream(nograd, 2, &len);
	rc = read_table(p, len, NULL, &t, &e);
	CHECK(rc < 0 && !strncmp(e.msg, "no column grad, which the first "
				 "rows had (t.pal: frame 2 at offset ", 66),
	      "grad missing from a later frame refused: %s", esc(e.msg));
	free(p);
	expect_error(noy, 1, 0, PAL_ERR_MISMATCH, "no column y in the input's "
		     "rows (t.pal: frame 0 at offset 0)", "no y refused");
}

static void test_not_rows(void)
{
	struct spec s[] = {
		{ 0, 10, PAL_F64, PAL_F64, 0, 2, 1, 0, 1, 0, 0 },
	};
	struct pal_writer *w = pal_writer_mem("t.pal", 0);
	struct pal_error e = { 0 };
	struct table t;
	size_t len;
	void *p;
	int rc;

	/* A model: its first frame says kind=model. */
	pal_write_kv(w, "kind", "model");
	write_spec(w, &s[0]);
	pal_writer_finish(w);
	p = pal_writer_mem_take(w, &len);
	rc = read_table(p, len, NULL, &t, &e);
	CHECK(rc < 0 && e.kind == PAL_ERR_MISMATCH &&
	      !strcmp(e.msg, "'t.pal' is not labeled rows (its frame 0 says "
		      "kind=model)"), "a model refused: %s", esc(e.msg));
	free(p);

	/* Metadata alone. */
	pal_write_kv(w, "source", "x");
	pal_writer_finish(w);
	p = pal_writer_mem_take(w, &len);
	rc = read_table(p, len, NULL, &t, &e);
	CHECK(rc < 0 && !strcmp(e.msg, "no labeled rows in the input: no data "
				"frame with rows (t.pal)"),
	      "a stream without rows refused: %s", esc(e.msg));
	free(p);
	pal_writer_free(w);

	/* Cut short: the reader's error, with its kind. */
	p = make_stream(s, 1, &len);
	rc = read_table(p, len - 48, NULL, &t, &e);
	CHECK(rc < 0 && e.kind == PAL_ERR_TRUNCATED && strstr(e.msg, "t.pal"),
	      "a stream without its end frame refused as truncated: %s",
	      esc(e.msg));
	free(p);

	/* Every row failed: n = 0, not an error. */
	struct spec allfail[] = {
		{ 3, 1, PAL_F64, PAL_F64, 0, 2, 1, 0, 1, 0, 0 },
	};
	p = make_stream(allfail, 1, &len);
	rc = read_table(p, len, NULL, &t, &e);
	CHECK(rc == 0 && t.n == 0 && t.nfailed == 1,
	      "a stream whose only row failed gives 0 rows, 1 failed");
	table_free(&t);
	free(p);
}

static void test_split(void)
{
	uint64_t *v, *tr, nv, nt, *v2, *tr2, nv2, nt2;
	struct pal_error e = { 0 };
	int ok, rc, hits[10] = { 0 };

	rc = table_split(10, 0.2, 42, &v, &nv, &tr, &nt, &e);
	ok = rc == 0 && nv == 2 && nt == 8;
	for (uint64_t i = 1; ok && i < nv; i++)
		ok = v[i - 1] < v[i];
	for (uint64_t i = 1; ok && i < nt; i++)
		ok = tr[i - 1] < tr[i];
	/* Together they are 0..9, each once. */
	int seen[10] = { 0 };

	for (uint64_t i = 0; ok && i < nv; i++)
		seen[v[i]]++;
	for (uint64_t i = 0; ok && i < nt; i++)
		seen[tr[i]]++;
	for (int i = 0; ok && i < 10; i++)
		ok = seen[i] == 1;
	CHECK(ok, "split of 10 rows at 0.2: 2 validation, 8 training, each "
	      "sorted, together every row once");
	rc = table_split(10, 0.2, 42, &v2, &nv2, &tr2, &nt2, &e);
	CHECK(rc == 0 && nv2 == nv && !memcmp(v, v2, nv * 8) &&
	      !memcmp(tr, tr2, nt * 8), "the same seed, the same split");
	free(v2);
	free(tr2);
	free(v);
	free(tr);

	/* Each row is a validation row about as often as any other. */
	for (uint64_t seed = 0; seed < 3000; seed++) {
		table_split(10, 0.3, seed, &v, &nv, &tr, &nt, &e);
		for (uint64_t i = 0; i < nv; i++)
			hits[v[i]]++;
		free(v);
		free(tr);
	}
	ok = 1;
	for (int i = 0; i < 10; i++)
		ok &= hits[i] > 800 && hits[i] < 1000;	/* 900 expected */
	CHECK(ok, "over 3000 seeds each row is in validation 800-1000 times "
	      "(row 0: %d, row 9: %d; 900 expected)", hits[0], hits[9]);

	rc = table_split(5, 0, 1, &v, &nv, &tr, &nt, &e);
	CHECK(rc == 0 && nv == 0 && v == NULL && nt == 5 && tr[4] == 4,
	      "fraction 0: every row trains");
	free(tr);
	rc = table_split(5, 0.01, 1, &v, &nv, &tr, &nt, &e);
	CHECK(rc == 0 && nv == 1 && nt == 4, "a small fraction takes 1 row");
	free(v);
	free(tr);
	rc = table_split(2, 0.9, 1, &v, &nv, &tr, &nt, &e);
	CHECK(rc == 0 && nv == 1 && nt == 1, "a large fraction leaves 1 row "
	      "to train on");
	free(v);
	free(tr);
	rc = table_split(5, 1.0, 1, &v, &nv, &tr, &nt, &e);
	CHECK(rc < 0 && e.kind == PAL_ERR_USAGE &&
	      !strcmp(e.msg, "validation fraction 1 is not in [0, 1)"),
	      "fraction 1 refused: %s", esc(e.msg));
	rc = table_split(0, 0.5, 1, &v, &nv, &tr, &nt, &e);
	CHECK(rc < 0 && !strcmp(e.msg, "cannot split 0 rows"),
	      "0 rows refused: %s", esc(e.msg));
}

static void test_bootstrap(void)
{
	enum { N = 10000 };
	static uint64_t a[N], b[N], c[N];
	static char seen[N];
	int ok = 1;
	uint64_t distinct = 0;

	table_bootstrap(N, 7, 0, a);
	table_bootstrap(N, 7, 0, b);
	table_bootstrap(N, 7, 1, c);
	for (int i = 0; i < N; i++) {
		ok &= a[i] < N;
		if (!seen[a[i]]++)
			distinct++;
	}
	CHECK(ok && !memcmp(a, b, sizeof(a)) && memcmp(a, c, sizeof(a)),
	      "bootstrap: indices in range, the same for a seed and member, "
	      "another for another member");
	/* 1 - 1/e of the rows are drawn at least once: 6321 of 10000. */
	CHECK(distinct > 6200 && distinct < 6450,
	      "bootstrap of 10000 draws %llu distinct rows (6321 expected)",
	      (unsigned long long)distinct);
}

int main(void)
{
	test_gather();
	test_refused();
	test_not_rows();
	test_fingerprint();
	test_split();
	test_bootstrap();
	return done();
}
