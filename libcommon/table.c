/*
 * table.c: a labeled stream gathered into f64 arrays; row sets (table.h).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "rng.h"
#include "table.h"
#include "banned.h"

#define TABLE_FIRST_CAP 1024

void table_free(struct table *t)
{
	free(t->id);
	free(t->x);
	free(t->y);
	free(t->grad);
	memset(t, 0, sizeof(*t));
}

/* Bytes of one row of the arrays. */
static uint64_t row_bytes(const struct table *t, int has_grad)
{
	return 8 * (1 + (uint64_t)t->d * (has_grad ? 2 : 1) + t->k);
}

static int grow(struct table *t, int has_grad, uint64_t max_bytes,
		const char *name, const struct pal_frame *f,
		struct pal_error *err)
{
	uint64_t rb = row_bytes(t, has_grad);
	uint64_t cap = t->cap ? 2 * t->cap : TABLE_FIRST_CAP;
	uint64_t fit = UINT64_MAX / rb;
	void *p;

	if (SIZE_MAX / rb < fit)
		fit = SIZE_MAX / rb;
	if (max_bytes && max_bytes / rb < fit)
		fit = max_bytes / rb;
	if (t->n + 1 > fit) {
		if (max_bytes)
			return pal_seterr(err, PAL_ERR_LIMIT, 0, "labeled rows "
					  "past the memory limit of %llu "
					  "bytes: %llu rows of %llu bytes "
					  "fit (%s: frame %llu at offset "
					  "%llu)",
					  (unsigned long long)max_bytes,
					  (unsigned long long)fit,
					  (unsigned long long)rb, name,
					  (unsigned long long)f->index,
					  (unsigned long long)f->offset);
		return pal_seterr(err, PAL_ERR_LIMIT, 0, "too many labeled rows "
				  "for this machine's address space (%s: "
				  "frame %llu)", name,
				  (unsigned long long)f->index);
	}
	if (cap > fit)
		cap = fit;

#define GROW(field, per)						\
	do {								\
		p = realloc(t->field, (size_t)cap * (per) * 8);		\
		if (!p)							\
			goto nomem;					\
		t->field = p;						\
	} while (0)

	GROW(id, 1);
	GROW(x, t->d);
	GROW(y, t->k);
	if (has_grad)
		GROW(grad, t->d);
#undef GROW
	t->cap = cap;
	return 0;
nomem:
	return pal_seterr(err, PAL_ERR_NOMEM, 0, "out of memory for %llu "
			  "labeled rows of %llu bytes (%s: frame %llu)",
			  (unsigned long long)cap, (unsigned long long)rb,
			  name, (unsigned long long)f->index);
}

/* Row r of c (width w) into out as f64; 1 when every element is finite. */
static int get_row(const struct pal_col *c, uint64_t r, double *out)
{
	uint32_t w = c->width;
	int finite = 1;

	if (c->dtype == PAL_F64) {
		memcpy(out, (const double *)c->data + r * w, w * sizeof(double));
	} else if (c->dtype == PAL_F32) {
		const float *s = (const float *)c->data + r * w;

		for (uint32_t j = 0; j < w; j++)
			out[j] = s[j];
	} else {
		for (uint32_t j = 0; j < w; j++)
			out[j] = pal_col_value(c, r * w + j);
	}
	for (uint32_t j = 0; j < w; j++)
		finite &= isfinite(out[j]) != 0;
	return finite;
}

static int is_int_dtype(int dtype)
{
	return dtype == PAL_U8 || dtype == PAL_I32 || dtype == PAL_I64 ||
	       dtype == PAL_U64;
}

/* Check a data frame's columns against the table's widths. */
static int check_cols(const struct table *t, const struct pal_frame *f,
		      int has_grad, const char *name, struct pal_error *err)
{
	static const char *const need[] = { "x", "y" };
	const struct pal_col *c;

	for (int i = 0; i < 2; i++)
		if (!pal_col_find(f, need[i]))
			return pal_seterr(err, PAL_ERR_MISMATCH, 0, "no column "
					  "%s in the input's rows (%s: frame "
					  "%llu at offset %llu)", need[i], name,
					  (unsigned long long)f->index,
					  (unsigned long long)f->offset);
	c = pal_col_find(f, "x");
	if (c->width != t->d)
		goto width;
	c = pal_col_find(f, "y");
	if (c->width != t->k)
		goto width;
	if (has_grad) {
		c = pal_col_find(f, "grad");
		if (!c)
			return pal_seterr(err, PAL_ERR_MISMATCH, 0, "no column "
					  "grad, which the first rows had (%s: "
					  "frame %llu at offset %llu)", name,
					  (unsigned long long)f->index,
					  (unsigned long long)f->offset);
		if (c->width != t->d)
			return pal_seterr(err, PAL_ERR_MISMATCH, 0, "column "
					  "grad has width %u, not %u as x (%s: "
					  "frame %llu at offset %llu)",
					  (unsigned)c->width, (unsigned)t->d,
					  name, (unsigned long long)f->index,
					  (unsigned long long)f->offset);
	}
	c = pal_col_find(f, "status");
	if (c && (!is_int_dtype(c->dtype) || c->width != 1))
		return pal_seterr(err, PAL_ERR_MISMATCH, 0, "column status "
				  "is %s x %u, not an integer of width 1 (%s: "
				  "frame %llu at offset %llu)",
				  pal_dtype_name(c->dtype), (unsigned)c->width,
				  name, (unsigned long long)f->index,
				  (unsigned long long)f->offset);
	c = pal_col_find(f, "id");
	if (c && (!is_int_dtype(c->dtype) || c->width != 1))
		return pal_seterr(err, PAL_ERR_MISMATCH, 0, "column id is %s "
				  "x %u, not an integer of width 1 (%s: frame "
				  "%llu at offset %llu)",
				  pal_dtype_name(c->dtype), (unsigned)c->width,
				  name, (unsigned long long)f->index,
				  (unsigned long long)f->offset);
	return 0;
width:
	return pal_seterr(err, PAL_ERR_MISMATCH, 0, "column %s has width %u, "
			  "not %u as in the first rows (%s: frame %llu at "
			  "offset %llu)", c->name, (unsigned)c->width,
			  (unsigned)(c->name[0] == 'x' ? t->d : t->k), name,
			  (unsigned long long)f->index,
			  (unsigned long long)f->offset);
}

/* The id of row r: its id column's, else its number in the input. */
static int row_id(const struct pal_col *c, uint64_t r, uint64_t nth,
		  uint64_t *id)
{
	if (!c) {
		*id = nth;
		return 0;
	}
	switch (c->dtype) {
	case PAL_U64: *id = ((const uint64_t *)c->data)[r]; return 0;
	case PAL_U8: *id = ((const uint8_t *)c->data)[r]; return 0;
	case PAL_I32: {
		int32_t v = ((const int32_t *)c->data)[r];

		*id = (uint64_t)v;
		return v < 0 ? -1 : 0;
	}
	default: {
		int64_t v = ((const int64_t *)c->data)[r];

		*id = (uint64_t)v;
		return v < 0 ? -1 : 0;
	}
	}
}

static int read_frame(struct table *t, const struct pal_frame *f,
		      int has_grad, const struct table_opts *o,
		      const char *name, struct pal_error *err)
{
	const struct pal_col *cx = pal_col_find(f, "x");
	const struct pal_col *cy = pal_col_find(f, "y");
	const struct pal_col *cg = has_grad ? pal_col_find(f, "grad") : NULL;
	const struct pal_col *cs = pal_col_find(f, "status");
	const struct pal_col *ci = pal_col_find(f, "id");

	for (uint64_t r = 0; r < f->nrows; r++) {
		uint64_t id, nth = t->nread++;
		const char *bad = NULL;

		if (row_id(ci, r, nth, &id) < 0)
			return pal_seterr(err, PAL_ERR_MISMATCH, 0, "negative "
					  "id %lld (%s: frame %llu at offset "
					  "%llu)", (long long)(int64_t)id, name,
					  (unsigned long long)f->index,
					  (unsigned long long)f->offset);
		if (cs && pal_col_value(cs, r) != 0) {
			t->nfailed++;
			continue;
		}
		if (t->n == t->cap &&
		    grow(t, has_grad, o->max_bytes, name, f, err) < 0)
			return -1;
		if (!get_row(cx, r, t->x + t->n * t->d))
			bad = "x";
		else if (!get_row(cy, r, t->y + t->n * t->k))
			bad = "y";
		else if (cg && !get_row(cg, r, t->grad + t->n * t->d))
			bad = "grad";
		if (bad) {
			if (o->flags & TABLE_SKIP_NONFINITE) {
				t->nnonfinite++;
				continue;
			}
			return pal_seterr(err, PAL_ERR_NUMERIC, 0, "non-finite "
					  "%s in the row of id %llu, whose "
					  "status is 0 (%s: frame %llu at "
					  "offset %llu)", bad,
					  (unsigned long long)id, name,
					  (unsigned long long)f->index,
					  (unsigned long long)f->offset);
		}
		t->id[t->n++] = id;
	}
	return 0;
}

int table_read(struct table *t, struct pal_reader *r, const char *name,
	       const struct table_opts *o, struct pal_error *err)
{
	static const struct table_opts none;
	const struct pal_frame *f;
	int started = 0, has_grad = 0, k;

	memset(t, 0, sizeof(*t));
	if (!o)
		o = &none;
	while ((k = pal_read(r, &f)) > 0) {
		if (f->kind == PAL_META) {
			for (uint32_t i = 0; i < f->nkv; i++)
				if (!strcmp(f->kv[i].key, "kind") &&
				    strcmp(f->kv[i].value, "data")) {
					pal_seterr(err, PAL_ERR_MISMATCH, 0,
						   "'%s' is not labeled rows "
						   "(its frame %llu says "
						   "kind=%s)", name,
						   (unsigned long long)f->index,
						   f->kv[i].value);
					goto fail;
				}
			continue;
		}
		if (f->nrows == 0)
			continue;
		if (!started) {
			const struct pal_col *cx = pal_col_find(f, "x");
			const struct pal_col *cy = pal_col_find(f, "y");

			if (cx && cy) {
				t->d = cx->width;
				t->k = cy->width;
			}
			has_grad = !(o->flags & TABLE_NO_GRAD) &&
				   pal_col_find(f, "grad");
			started = 1;
		}
		if (check_cols(t, f, has_grad, name, err) < 0 ||
		    read_frame(t, f, has_grad, o, name, err) < 0)
			goto fail;
	}
	if (k < 0) {
		const struct pal_error *e = pal_reader_error(r);

		pal_seterr(err, e->kind, e->errnum, "%s", e->msg);
		err->offset = e->offset;
		goto fail;
	}
	if (!started) {
		pal_seterr(err, PAL_ERR_MISMATCH, 0, "no labeled rows in the "
			   "input: no data frame with rows (%s)", name);
		goto fail;
	}
	if (!has_grad) {
		free(t->grad);
		t->grad = NULL;
	}
	return 0;
fail:
	table_free(t);
	return -1;
}

static uint64_t step(uint64_t h, uint64_t w)
{
	return mix64(h ^ w) + 0x9e3779b97f4a7c15ull;
}

static uint64_t step_f64(uint64_t h, const double *v, uint32_t n)
{
	for (uint32_t j = 0; j < n; j++) {
		uint64_t b;

		memcpy(&b, &v[j], sizeof(b));
		h = step(h, b);
	}
	return h;
}

uint64_t table_fingerprint(const struct table *t)
{
	uint64_t h = TABLE_FP_INIT;

	h = step(h, t->n);
	h = step(h, (uint64_t)t->d << 32 | t->k);
	h = step(h, t->grad != NULL);
	for (uint64_t i = 0; i < t->n; i++) {
		h = step(h, t->id[i]);
		h = step_f64(h, t->x + i * t->d, t->d);
		h = step_f64(h, t->y + i * t->k, t->k);
		if (t->grad)
			h = step_f64(h, t->grad + i * t->d, t->d);
	}
	return h;
}

/* ---- row sets ------------------------------------------------------------ */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

int table_split(uint64_t n, double frac, uint64_t seed, uint64_t **val,
		uint64_t *nval, uint64_t **train, uint64_t *ntrain,
		struct pal_error *err)
{
	struct rng rg;
	uint64_t *p, nv;

	if (n < 1 || n > SIZE_MAX / sizeof(uint64_t))
		return pal_seterr(err, PAL_ERR_USAGE, 0, "cannot split %llu "
				  "rows", (unsigned long long)n);
	if (!(frac >= 0 && frac < 1))
		return pal_seterr(err, PAL_ERR_USAGE, 0, "validation fraction "
				  "%g is not in [0, 1)", frac);
	nv = (uint64_t)floor(frac * (double)n + 0.5);
	if (frac > 0 && nv == 0)
		nv = 1;
	if (n >= 2 && nv > n - 1)
		nv = n - 1;
	if (n == 1)
		nv = 0;

	p = xmalloc(n * sizeof(*p));
	for (uint64_t i = 0; i < n; i++)
		p[i] = i;
	rng_seed(&rg, seed, TABLE_RNG_SPLIT);
	for (uint64_t i = n - 1; i > 0; i--) {
		uint64_t j = rng_below(&rg, i + 1), s = p[i];

		p[i] = p[j];
		p[j] = s;
	}
	qsort(p, nv, sizeof(*p), cmp_u64);
	qsort(p + nv, n - nv, sizeof(*p), cmp_u64);
	*val = NULL;
	if (nv) {
		*val = xmalloc(nv * sizeof(**val));
		memcpy(*val, p, nv * sizeof(*p));
	}
	memmove(p, p + nv, (n - nv) * sizeof(*p));
	*train = p;
	*nval = nv;
	*ntrain = n - nv;
	return 0;
}

void table_bootstrap(uint64_t n, uint64_t seed, uint64_t member,
		     uint64_t *idx)
{
	struct rng rg;

	rng_seed(&rg, seed, TABLE_RNG_BOOT + member);
	for (uint64_t i = 0; i < n; i++)
		idx[i] = rng_below(&rg, n);
}
