/*
 * test-model.c: libcommon/model.c.  An MLP committee (f32 and f64) and
 * generic arrays of several frames come back bit for bit with their keys;
 * the same model gives the same bytes; a data stream, another kind, a newer
 * model_version, a stream cut at every byte, every flipped byte, missing
 * keys, wrong array sizes and declarations the frames do not keep are
 * refused with their messages.  A Gaussian process (rbf and matern52)
 * comes back with its parts bit for bit and predicts the same bits as the
 * GP that was written (gp_from_parts); a GP model with a bad part is
 * refused naming the file.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gp.h"
#include "mlp.h"
#include "model.h"
#include "stream.h"
#include "unit.h"

struct buf {
	void *p;
	size_t n;
};

/* The bytes of w, taken; w freed. */
static struct buf take(struct pal_writer *w)
{
	struct buf b;

	b.p = pal_writer_mem_take(w, &b.n);
	pal_writer_free(w);
	return b;
}

static int read_model(const void *p, size_t n, struct model *m,
		      struct pal_error *e)
{
	struct pal_reader *r = pal_reader_mem(p, n, "m.pal");
	int rc = model_read(m, r, "m.pal", e);

	pal_reader_free(r);
	return rc;
}

/* A committee of 3 members, 2 inputs, layers 5,4, one output. */
static double xm[2] = { 0.1, -1.0 / 3 }, xs[2] = { 2.0 / 3, 1e-7 };
static double ym[1] = { 12345.678901234567 }, ys[1] = { 0.3 };

static void make_mlp(struct model_mlp *mm, int dtype, int act)
{
	static const int hidden[2] = { 5, 4 };
	struct pal_error e;

	memset(mm, 0, sizeof(*mm));
	if (mlp_init(&mm->net, 3, 2, 2, hidden, 1, act, &e) < 0)
		abort();
	if (dtype == PAL_F32) {
		float *t = malloc(mm->net.np * sizeof(float));

		mlp_init_params(&mm->net, t, 99);
		mm->theta = t;
	} else {
		double *t = malloc(mm->net.np * sizeof(double));

		mlp_init_params_f64(&mm->net, t, 99);
		mm->theta = t;
	}
	mm->dtype = dtype;
	mm->x_mean = xm;
	mm->x_std = xs;
	mm->y_mean = ym;
	mm->y_std = ys;
	mm->calibration = 1.37;
}

static struct buf write_mlp(const struct model_mlp *mm, int level)
{
	struct pal_kv extra[2] = {
		{ (char *)"epochs", (char *)"100" },
		{ (char *)"trained_on", (char *)"labeled.pal" },
	};
	struct pal_writer *w = pal_writer_mem("m.pal", level);
	struct pal_error e;

	if (model_write_mlp(w, mm, extra, 2, &e) < 0) {
		diag("model_write_mlp: %s", e.msg);
		abort();
	}
	return take(w);
}

static void test_mlp(void)
{
	static const int dtypes[2] = { PAL_F32, PAL_F64 };

	for (int di = 0; di < 2; di++) {
		struct model_mlp mm, back;
		struct pal_error e = { 0 };
		struct model m;
		struct buf b, b2;
		size_t es;
		int rc, ok;

		make_mlp(&mm, dtypes[di], di ? MLP_SILU : MLP_TANH);
		es = pal_dtype_size(dtypes[di]);
		b = write_mlp(&mm, di ? 6 : 0);
		b2 = write_mlp(&mm, di ? 6 : 0);
		CHECK(b.n == b2.n && !memcmp(b.p, b2.p, b.n),
		      "%s: the same committee, the same %zu bytes",
		      pal_dtype_name(dtypes[di]), b.n);
		rc = read_model(b.p, b.n, &m, &e);
		CHECK(rc == 0 && !strcmp(m.type, "mlp") && m.version == 1,
		      "%s: read back as an mlp of model_version 1 (%s)",
		      pal_dtype_name(dtypes[di]), rc ? e.msg : "ok");
		rc = rc ? rc : model_read_mlp(&m, &back, &e);
		CHECK(rc == 0, "%s: model_read_mlp (%s)",
		      pal_dtype_name(dtypes[di]), rc ? e.msg : "ok");
		if (rc) {
			free((void *)mm.theta);
			mlp_free(&mm.net);
			free(b.p);
			free(b2.p);
			continue;
		}
		ok = back.net.m == 3 && back.net.d == 2 && back.net.k == 1 &&
		     back.net.nl == 3 && back.net.w[1] == 5 &&
		     back.net.w[2] == 4 && back.net.act == mm.net.act &&
		     back.net.np == mm.net.np && back.dtype == dtypes[di];
		CHECK(ok, "%s: the architecture comes back (3 members, 2-5-4-1, "
		      "%s)", pal_dtype_name(dtypes[di]),
		      mlp_act_name(back.net.act));
		CHECK(!memcmp(back.theta, mm.theta, mm.net.np * es),
		      "%s: theta comes back byte for byte (%zu parameters)",
		      pal_dtype_name(dtypes[di]), mm.net.np);
		ok = !memcmp(back.x_mean, xm, sizeof(xm)) &&
		     !memcmp(back.x_std, xs, sizeof(xs)) &&
		     !memcmp(back.y_mean, ym, sizeof(ym)) &&
		     !memcmp(back.y_std, ys, sizeof(ys)) &&
		     back.calibration == 1.37;
		CHECK(ok, "%s: scaling and calibration come back bit for bit",
		      pal_dtype_name(dtypes[di]));
		CHECK(model_get(&m, "epochs") &&
		      !strcmp(model_get(&m, "epochs"), "100") &&
		      !strcmp(model_get(&m, "trained_on"), "labeled.pal") &&
		      !strcmp(model_get(&m, "layers"), "5,4") &&
		      !model_get(&m, "kind") && !model_get(&m, "array.theta"),
		      "%s: the extra keys come back; kind and declarations "
		      "are not keys", pal_dtype_name(dtypes[di]));
		model_mlp_free(&back);
		model_free(&m);
		free((void *)mm.theta);
		mlp_free(&mm.net);
		free(b.p);
		free(b2.p);
	}

	/* No hidden layer: layers is empty. */
	struct model_mlp mm, back;
	struct pal_error e;
	struct model m;
	struct buf b;
	float theta[3 * 3];
	int rc;

	memset(&mm, 0, sizeof(mm));
	mlp_init(&mm.net, 3, 2, 0, NULL, 1, MLP_RELU, &e);
	for (int i = 0; i < 9; i++)
		theta[i] = (float)i / 7;
	mm.theta = theta;
	mm.dtype = PAL_F32;
	mm.x_mean = xm;
	mm.x_std = xs;
	mm.y_mean = ym;
	mm.y_std = ys;
	mm.calibration = 1;
	b = write_mlp(&mm, 0);
	rc = read_model(b.p, b.n, &m, &e);
	rc = rc ? rc : model_read_mlp(&m, &back, &e);
	CHECK(rc == 0 && back.net.nl == 1 &&
	      !strcmp(model_get(&m, "layers"), "") &&
	      !memcmp(back.theta, theta, sizeof(theta)),
	      "a committee without hidden layers (layers= empty) comes back "
	      "(%s)", rc ? e.msg : "ok");
	if (rc == 0) {
		model_mlp_free(&back);
		model_free(&m);
	}
	free(b.p);
	mlp_free(&mm.net);

	/* Bad scaling is not written. */
	struct pal_writer *w = pal_writer_mem("m.pal", 0);
	double bad[2] = { 1, 0 };

	make_mlp(&mm, PAL_F32, MLP_TANH);
	mm.x_std = bad;
	rc = model_write_mlp(w, &mm, NULL, 0, &e);
	CHECK(rc < 0 && e.kind == PAL_ERR_USAGE && pal_writer_bytes(w) == 0,
	      "a std of 0 refused before a byte is written: %s", esc(e.msg));
	pal_writer_free(w);
	free((void *)mm.theta);
	mlp_free(&mm.net);
}

static void test_generic(void)
{
	enum { R = 300, C = 1000 };
	double *big = malloc(R * C * sizeof(double));
	int32_t cube[2 * 3 * 4];
	float vec[7];
	struct model_array arr[3] = {
		{ .name = "chol", .dtype = PAL_F64, .ndim = 2,
		  .shape = { R, C }, .data = big },
		{ .name = "alpha", .dtype = PAL_F32, .ndim = 1,
		  .shape = { 7 }, .data = vec },
		{ .name = "cube", .dtype = PAL_I32, .ndim = 3,
		  .shape = { 2, 3, 4 }, .data = cube },
	};
	struct pal_kv kv[1] = { { (char *)"kernel", (char *)"rbf" } };
	struct pal_writer *w = pal_writer_mem("m.pal", 0);
	struct pal_error e = { 0 };
	const struct pal_frame *f;
	struct pal_reader *r;
	struct model m;
	struct buf b;
	int rc, ok, ndata = 0;

	for (int i = 0; i < R * C; i++)
		big[i] = sin(i) * 1e3;
	for (int i = 0; i < 7; i++)
		vec[i] = (float)i / 3;
	for (int i = 0; i < 24; i++)
		cube[i] = -i;
	rc = model_write(w, "gp", kv, 1, arr, 3, &e);
	b = take(w);
	CHECK(rc == 0, "generic arrays written (%s)", rc ? e.msg : "ok");
	r = pal_reader_mem(b.p, b.n, "m.pal");
	while (pal_read(r, &f) > 0)
		ndata += f->kind == PAL_DATA;
	pal_reader_free(r);
	CHECK(ndata >= 5, "a 2.4 MB array is cut into frames of about 1 MiB "
	      "(%d data frames)", ndata);
	rc = read_model(b.p, b.n, &m, &e);
	ok = rc == 0 && !strcmp(m.type, "gp") && m.narr == 3 && m.nkv == 1 &&
	     !strcmp(model_get(&m, "kernel"), "rbf");
	for (uint32_t i = 0; ok && i < 3; i++)
		ok = !strcmp(m.arr[i].name, arr[i].name) &&
		     m.arr[i].dtype == arr[i].dtype &&
		     m.arr[i].ndim == arr[i].ndim &&
		     !memcmp(m.arr[i].shape, arr[i].shape,
			     sizeof(arr[i].shape)) &&
		     !memcmp(m.arr[i].data, arr[i].data,
			     model_array_len(&arr[i]) *
			     pal_dtype_size(arr[i].dtype));
	CHECK(ok, "f64 (300,1000), f32 (7) and i32 (2,3,4) arrays come back "
	      "with their names, dtypes and shapes, bit for bit (%s)",
	      rc ? e.msg : "ok");
	if (rc == 0) {
		uint64_t want[2] = { R, 0 }, wrong[2] = { R, C + 1 };

		CHECK(model_array_get(&m, "chol", PAL_F64, 2, want, &e) ==
		      &m.arr[0], "model_array_get with a free dimension");
		const struct model_array *got;
		struct model_mlp mm;

		got = model_array_get(&m, "chol", PAL_F64, 2, wrong, &e);
		CHECK(!got && !strcmp(e.msg, "array chol is f64 300,1000, not "
				      "f64 300,1001 (m.pal)"),
		      "an array of another shape refused: %s", esc(e.msg));
		got = model_array_get(&m, "noise", 0, 1, want, &e);
		CHECK(!got && !strcmp(e.msg, "model lacks array noise (m.pal)"),
		      "a missing array refused: %s", esc(e.msg));
		rc = model_read_mlp(&m, &mm, &e);
		CHECK(rc < 0 && e.kind == PAL_ERR_MISMATCH &&
		      !strcmp(e.msg, "'m.pal' is a model of type gp, not mlp"),
		      "a gp read as an mlp refused: %s", esc(e.msg));
		model_free(&m);
	}
	free(b.p);

	/* Reserved keys and bad arrays: nothing written. */
	struct pal_kv res[1] = { { (char *)"kind", (char *)"x" } };
	struct model_array zero = { .name = "z", .dtype = PAL_F64, .ndim = 1 };

	w = pal_writer_mem("m.pal", 0);
	rc = model_write(w, "gp", res, 1, NULL, 0, &e);
	CHECK(rc < 0 && !strcmp(e.msg, "bad model key 'kind'") &&
	      pal_writer_bytes(w) == 0,
	      "a reserved key refused, nothing written: %s", esc(e.msg));
	rc = model_write(w, "gp", NULL, 0, &zero, 1, &e);
	CHECK(rc < 0 && !strcmp(e.msg, "array z has a bad shape") &&
	      pal_writer_bytes(w) == 0,
	      "an empty array refused, nothing written: %s", esc(e.msg));
	pal_writer_free(w);
	free(big);
}

/* A stream of the frames given, for hand-made models. */
static struct buf hand(const struct pal_frame *const *fr, int n)
{
	struct pal_writer *w = pal_writer_mem("m.pal", 0);

	for (int i = 0; i < n; i++)
		if (pal_write(w, fr[i]) < 0)
			abort();
	pal_writer_finish(w);
	return take(w);
}

static void expect(const struct pal_frame *const *fr, int n, int kind,
		   const char *msg, const char *what)
{
	struct buf b = hand(fr, n);
	struct pal_error e = { 0 };
	struct model m;
	int rc = read_model(b.p, b.n, &m, &e);

	CHECK(rc < 0 && e.kind == kind && !strcmp(e.msg, msg), "%s: %s",
	      what, esc(e.msg));
	if (rc == 0)
		model_free(&m);
	free(b.p);
}

static void test_refused(void)
{
	struct pal_kv k0[3] = {
		{ (char *)"kind", (char *)"model" },
		{ (char *)"model_version", (char *)"2" },
		{ (char *)"model", (char *)"mlp" },
	};
	struct pal_frame f0 = { .kind = PAL_META, .nkv = 3, .kv = k0 };
	struct pal_kv k1[1] = { { (char *)"array.a", (char *)"f64 4" } };
	struct pal_frame f1 = { .kind = PAL_META, .nkv = 1, .kv = k1 };
	double v[4] = { 1, 2, 3, 4 };
	struct pal_col c = { .name = "a", .dtype = PAL_F64, .width = 1,
			     .data = v };
	struct pal_frame d3 = { .kind = PAL_DATA, .nrows = 3, .ncols = 1,
				.cols = &c };
	struct pal_frame d4 = d3;
	struct pal_kv kj[1] = { { (char *)"kind", (char *)"journal" } };
	struct pal_frame fj = { .kind = PAL_META, .nkv = 1, .kv = kj };
	struct pal_kv kn[1] = { { (char *)"source", (char *)"x" } };
	struct pal_frame fn = { .kind = PAL_META, .nkv = 1, .kv = kn };

	d4.nrows = 4;
	expect((const struct pal_frame *[]){ &f0, &f1, &d4 }, 3,
	       PAL_ERR_MISMATCH, "model made by a newer pal: model_version 2, "
	       "this reads 1 (m.pal)", "a newer model_version refused");
	k0[1].value = (char *)"1";
	expect((const struct pal_frame *[]){ &d4 }, 1, PAL_ERR_MISMATCH,
	       "'m.pal' is not a model (it starts with a data frame, not "
	       "kind=model)", "a data stream refused");
	expect((const struct pal_frame *[]){ &fj, &d4 }, 2, PAL_ERR_MISMATCH,
	       "'m.pal' is not a model (its first frame says kind=journal, "
	       "not kind=model)", "another kind refused");
	expect((const struct pal_frame *[]){ &fn, &d4 }, 2, PAL_ERR_MISMATCH,
	       "'m.pal' is not a model (its first frame says no kind, not "
	       "kind=model)", "a metadata frame without kind refused");
	expect((const struct pal_frame *[]){ &f0 }, 1, PAL_ERR_CORRUPT,
	       "corrupt model: no metadata frame of keys after its kind frame "
	       "(m.pal)", "a kind frame alone refused");
	expect((const struct pal_frame *[]){ &f0, &f1, &d3 }, 3,
	       PAL_ERR_CORRUPT, "corrupt model: array a has 3 of its 4 rows "
	       "(m.pal)", "an array short of rows refused");
	expect((const struct pal_frame *[]){ &f0, &f1, &d3, &d3 }, 4,
	       PAL_ERR_CORRUPT, "corrupt model: array a has more rows than "
	       "its 4 (m.pal: frame 3 at offset 248)",
	       "an array of too many rows refused");
	expect((const struct pal_frame *[]){ &f0, &f1, &d4, &d4 }, 4,
	       PAL_ERR_CORRUPT, "corrupt model: a data frame after its last "
	       "array (m.pal: frame 3 at offset 256)",
	       "a frame after the last array refused");
	c.dtype = PAL_I64;
	expect((const struct pal_frame *[]){ &f0, &f1, &d4 }, 3,
	       PAL_ERR_CORRUPT, "corrupt model: frame 2 holds other columns "
	       "than the rows of array a (f64 x 1) (m.pal: offset 152)",
	       "an array of another dtype refused");
	c.dtype = PAL_F64;
	k1[0].value = (char *)"f64 4,0";
	expect((const struct pal_frame *[]){ &f0, &f1, &d4 }, 3,
	       PAL_ERR_CORRUPT, "corrupt model: bad declaration array.a=f64 "
	       "4,0 (m.pal)", "a declaration with a dimension 0 refused");
	k1[0].value = (char *)"f64 4";

	/* An mlp model lacking a key, or with theta of the wrong size. */
	struct model_mlp mm, back;
	struct pal_error e;
	struct model m;
	struct buf b;
	int rc;

	make_mlp(&mm, PAL_F32, MLP_TANH);
	b = write_mlp(&mm, 0);
	rc = read_model(b.p, b.n, &m, &e);
	if (rc == 0) {
		char *key = m.kv[4].key;	/* activation */

		m.kv[4].key = (char *)"activatio";
		rc = model_read_mlp(&m, &back, &e);
		CHECK(rc < 0 && !strcmp(e.msg, "model lacks key 'activation' "
					"(m.pal)"),
		      "an mlp without activation refused: %s", esc(e.msg));
		m.kv[4].key = key;
		m.arr[0].shape[1]--;
		rc = model_read_mlp(&m, &back, &e);
		m.arr[0].shape[1]++;
		char want[128];

		snprintf(want, sizeof(want), "array theta is f32 3,%zu, not "
			 "any 3,%zu (m.pal)", mm.net.np1 - 1, mm.net.np1);
		CHECK(rc < 0 && !strcmp(e.msg, want),
		      "a theta of the wrong size refused: %s", esc(e.msg));
		model_free(&m);
	}

	/* Cut at every byte: refused, never read as a model. */
	int ok = 1, trunc = 0;

	for (size_t cut = 0; cut < b.n; cut++) {
		void *p = malloc(cut + 1);

		memcpy(p, b.p, cut);
		rc = read_model(p, cut, &m, &e);
		ok &= rc < 0;
		trunc += rc < 0 && e.kind == PAL_ERR_TRUNCATED;
		if (rc == 0)
			model_free(&m);
		free(p);
	}
	CHECK(ok, "a model cut at each of its %zu bytes is refused", b.n);
	rc = read_model(b.p, b.n - 48, &m, &e);
	CHECK(rc < 0 && e.kind == PAL_ERR_TRUNCATED,
	      "a model without its end frame refused as truncated: %s "
	      "(%d cuts truncated)", esc(e.msg), trunc);

	/* Every flipped byte: the stream's checksums refuse it. */
	ok = 1;
	for (size_t i = 0; i < b.n; i++) {
		((unsigned char *)b.p)[i] ^= 0x10;
		rc = read_model(b.p, b.n, &m, &e);
		((unsigned char *)b.p)[i] ^= 0x10;
		ok &= rc < 0;
		if (rc == 0) {
			diag("flipped byte %zu read as a model", i);
			model_free(&m);
		}
	}
	CHECK(ok, "a model with any one of its %zu bytes flipped is refused",
	      b.n);
	((unsigned char *)b.p)[100] ^= 0x10;
	rc = read_model(b.p, b.n, &m, &e);
	((unsigned char *)b.p)[100] ^= 0x10;
	CHECK(rc < 0 && e.kind == PAL_ERR_CORRUPT && strstr(e.msg, "m.pal"),
	      "a flipped byte in frame 1: %s", esc(e.msg));
	free(b.p);
	free((void *)mm.theta);
	mlp_free(&mm.net);
}

/* ---- the Gaussian process ------------------------------------------------ */

enum { GN = 23, GD = 3, GQ = 300 };
static double gxm[GD] = { 0.25, -3, 1e5 }, gxs[GD] = { 1.5, 0.125, 7 };

/* A GP on GN rows of a smooth function of GD inputs, at a fixed theta. */
static struct gp *make_gp(enum gp_kernel kern)
{
	double x[GN * GD], y[GN], theta[GD + 2] = { 0.3, -0.2, 0.1, 0.4,
						   -6 };
	struct pal_error e;
	struct gp *gp;

	for (int i = 0; i < GN; i++) {
		for (int k = 0; k < GD; k++)
			x[i * GD + k] = sin(1.7 * i + 0.9 * k + 0.3 * i * k);
		y[i] = cos(x[i * GD]) + x[i * GD + 1] * x[i * GD + 2];
	}
	gp = gp_new(kern, GN, GD, x, y, theta, &e);
	if (!gp) {
		diag("gp_new: %s", e.msg);
		abort();
	}
	return gp;
}

static struct buf write_gp(struct gp *gp)
{
	struct pal_kv extra[1] = { { (char *)"restarts", (char *)"3" } };
	struct model_gp mg = { gp, gxm, gxs, -1.0 / 3, 2.5 };
	struct pal_writer *w = pal_writer_mem("m.pal", 0);
	struct pal_error e;

	if (model_write_gp(w, &mg, extra, 1, &e) < 0) {
		diag("model_write_gp: %s", e.msg);
		abort();
	}
	return take(w);
}

/* Whether a and b predict the same bits at GQ rows (mean, std, grad). */
static int same_predictions(const struct gp *a, const struct gp *b)
{
	double *q = malloc(GQ * GD * sizeof(double));
	double *r[2][3];
	const struct gp *g[2] = { a, b };
	int same;

	for (int i = 0; i < GQ * GD; i++)
		q[i] = 2 * sin(0.37 * i + 0.1);
	for (int j = 0; j < 2; j++) {
		r[j][0] = malloc(GQ * sizeof(double));
		r[j][1] = malloc(GQ * sizeof(double));
		r[j][2] = malloc(GQ * GD * sizeof(double));
		gp_predict(g[j], GQ, q, r[j][0], r[j][1], r[j][2]);
	}
	same = !memcmp(r[0][0], r[1][0], GQ * sizeof(double)) &&
	       !memcmp(r[0][1], r[1][1], GQ * sizeof(double)) &&
	       !memcmp(r[0][2], r[1][2], GQ * GD * sizeof(double));
	for (int j = 0; j < 2; j++)
		for (int c = 0; c < 3; c++)
			free(r[j][c]);
	free(q);
	return same;
}

/* The value of key in m, replaced (the old one freed). */
static void set_key(struct model *m, const char *key, const char *v)
{
	for (uint32_t i = 0; i < m->nkv; i++)
		if (!strcmp(m->kv[i].key, key)) {
			free(m->kv[i].value);
			m->kv[i].value = strdup(v);
			return;
		}
	abort();
}

static struct model_array *arr_of(struct model *m, const char *name)
{
	for (uint32_t i = 0; i < m->narr; i++)
		if (!strcmp(m->arr[i].name, name))
			return &m->arr[i];
	abort();
}

/* Read b, spoil it with what (0..), and expect model_read_gp to refuse it
 * with msg. */
static void gp_refused(const struct buf *b, int what, const char *msg,
		       const char *desc)
{
	struct model m;
	struct model_gp mg;
	struct pal_error e = { 0 };
	int rc;

	if (read_model(b->p, b->n, &m, &e) < 0)
		abort();
	switch (what) {
	case 0: set_key(&m, "x_std", "1.5,0,7"); break;
	case 1: ((double *)arr_of(&m, "chol")->data)[2] = -0.5; break;
	case 2: ((double *)arr_of(&m, "alpha")->data)[4] = NAN; break;
	case 3: set_key(&m, "n", "22"); break;
	case 4: set_key(&m, "theta", "0.3,-0.2,0.1,0.4"); break;
	case 5: set_key(&m, "kernel", "linear"); break;
	case 6: strcpy(m.type, "mlp"); break;
	case 7: set_key(&m, "jitter", "-1e-9"); break;
	case 8: arr_of(&m, "x")->dtype = PAL_F32; break;
	case 9: set_key(&m, "y_std", "inf"); break;
	}
	rc = model_read_gp(&m, &mg, &e);
	CHECK(rc < 0 && !strcmp(e.msg, msg) &&
	      e.kind == (what == 6 ? PAL_ERR_MISMATCH : PAL_ERR_CORRUPT),
	      "gp refused: %s: %s", desc, esc(e.msg));
	if (rc == 0)
		model_gp_free(&mg);
	model_free(&m);
}

static void test_gp(void)
{
	static const enum gp_kernel kerns[2] = { GP_RBF, GP_MATERN52 };

	for (int ki = 0; ki < 2; ki++) {
		const char *kn = gp_kernel_name(kerns[ki]);
		struct gp *gp = make_gp(kerns[ki]), *parts;
		struct buf b = write_gp(gp), b2 = write_gp(gp);
		struct model_gp back;
		struct pal_error e = { 0 };
		struct model m;
		int rc, ok;

		CHECK(b.n == b2.n && !memcmp(b.p, b2.p, b.n),
		      "gp %s: the same GP, the same %zu bytes", kn, b.n);
		parts = gp_from_parts(gp->kernel, gp->n, gp->d, gp->x, gp->y,
				      gp->theta, gp->l, gp->alpha, gp->jitter,
				      &e);
		CHECK(parts && same_predictions(gp, parts) &&
		      parts->lml == gp->lml,
		      "gp %s: gp_from_parts of a fitted GP predicts its mean, "
		      "std and gradient bit for bit, lml %.17g", kn,
		      parts ? parts->lml : NAN);
		gp_free(parts);
		rc = read_model(b.p, b.n, &m, &e);
		rc = rc ? rc : model_read_gp(&m, &back, &e);
		CHECK(rc == 0 && !strcmp(m.type, "gp"),
		      "gp %s: read back (%s)", kn, rc ? e.msg : "ok");
		if (rc) {
			gp_free(gp);
			free(b.p);
			free(b2.p);
			continue;
		}
		ok = back.gp->kernel == gp->kernel && back.gp->n == GN &&
		     back.gp->d == GD &&
		     !memcmp(back.gp->theta, gp->theta, (GD + 2) * 8) &&
		     !memcmp(back.gp->x, gp->x, GN * GD * 8) &&
		     !memcmp(back.gp->y, gp->y, GN * 8) &&
		     !memcmp(back.gp->alpha, gp->alpha, GN * 8) &&
		     back.gp->jitter == gp->jitter;
		for (int i = 0; i < GN; i++)
			ok = ok && !memcmp(back.gp->l + i * GN, gp->l + i * GN,
					   (size_t)(i + 1) * 8);
		CHECK(ok, "gp %s: kernel, theta, x, y, alpha, the factor and "
		      "the jitter come back bit for bit", kn);
		CHECK(!memcmp(back.x_mean, gxm, sizeof(gxm)) &&
		      !memcmp(back.x_std, gxs, sizeof(gxs)) &&
		      back.y_mean == -1.0 / 3 && back.y_std == 2.5 &&
		      !strcmp(model_get(&m, "restarts"), "3") &&
		      !strcmp(model_get(&m, "kernel"), kn),
		      "gp %s: scaling and extra keys come back", kn);
		CHECK(same_predictions(gp, back.gp),
		      "gp %s: the GP read back predicts the written one's "
		      "bits", kn);
		model_free(&m);
		CHECK(same_predictions(gp, back.gp),
		      "gp %s: and still does once the model is freed", kn);
		model_gp_free(&back);
		if (ki == 0) {
			gp_refused(&b, 0, "bad scaling in the model: a std is "
				   "not positive (m.pal)", "x_std 0");
			gp_refused(&b, 1, "bad gaussian process in the model: "
				   "its cholesky factor has -0.5 on the "
				   "diagonal, row 1 (m.pal)", "a negative "
				   "diagonal");
			gp_refused(&b, 2, "bad gaussian process in the model: "
				   "an array holds a value that is not finite "
				   "(m.pal)", "NaN in alpha");
			gp_refused(&b, 3, "array x is f64 23,3, not f64 22,3 "
				   "(m.pal)", "n other than the arrays'");
			gp_refused(&b, 4, "bad theta in the model: not the "
				   "right count of numbers, 5 wanted (m.pal)",
				   "theta short");
			gp_refused(&b, 5, "bad kernel=linear in the model "
				   "(m.pal)", "unknown kernel");
			gp_refused(&b, 6, "'m.pal' is a model of type mlp, not "
				   "gp", "another type");
			gp_refused(&b, 7, "bad jitter in the model: negative "
				   "(m.pal)", "negative jitter");
			gp_refused(&b, 8, "array x is f32 23,3, not f64 23,3 "
				   "(m.pal)", "x of f32");
			gp_refused(&b, 9, "bad y_std in the model: not finite, "
				   "1 wanted (m.pal)", "y_std inf");
		}
		gp_free(gp);
		free(b.p);
		free(b2.p);
	}

	/* Bad scaling is not written. */
	struct gp *gp = make_gp(GP_RBF);
	struct model_gp mg = { gp, gxm, gxs, 0, 0 };
	struct pal_writer *w = pal_writer_mem("m.pal", 0);
	struct pal_error e;
	int rc = model_write_gp(w, &mg, NULL, 0, &e);

	CHECK(rc < 0 && e.kind == PAL_ERR_USAGE && pal_writer_bytes(w) == 0,
	      "gp: a y_std of 0 refused before a byte is written: %s",
	      esc(e.msg));
	pal_writer_free(w);
	gp_free(gp);

	/* gp_from_parts checks what it is given. */
	double l[4] = { 1, 0, 0.5, 0 }, x[2] = { 0, 1 }, y[2] = { 1, 2 };
	double th[3] = { 0, 0, -2 }, al[2] = { 1, 1 };

	gp = gp_from_parts(GP_RBF, 2, 1, x, y, th, l, al, 0, &e);
	CHECK(!gp && e.kind == PAL_ERR_NUMERIC &&
	      !strcmp(e.msg, "the cholesky factor's diagonal of the gaussian "
		      "process is not positive (gp)"),
	      "gp_from_parts refuses a factor with 0 on its diagonal: %s",
	      esc(e.msg));
	gp_free(gp);
}

int main(void)
{
	test_mlp();
	test_generic();
	test_refused();
	test_gp();
	return done();
}
