/*
 * model.c: model files, written and read (model.h, pal-model(5)).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "num.h"
#include "banned.h"

#define DECL_PREFIX "array."

uint64_t model_array_len(const struct model_array *a)
{
	uint64_t n = 1;

	for (uint32_t i = 0; i < a->ndim; i++)
		n *= a->shape[i];
	return n;
}

/* Elements of a row of a (its dimensions after the first), or 0 when
 * that is beyond a column's width. */
static uint64_t row_width(const struct model_array *a)
{
	uint64_t w = 1;

	for (uint32_t i = 1; i < a->ndim; i++) {
		if (a->shape[i] == 0 || a->shape[i] > PAL_MAX_WIDTH / w)
			return 0;
		w *= a->shape[i];
	}
	return w;
}

static int key_valid(const char *k)
{
	size_t n = strlen(k);

	if (n == 0 || n > PAL_MAX_KEY)
		return 0;
	for (; *k; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
		      (*k >= '0' && *k <= '9') || strchr("_.-:", *k)))
			return 0;
	return 1;
}

static int reserved_key(const char *k)
{
	return !strcmp(k, "kind") || !strcmp(k, "model_version") ||
	       !strcmp(k, "model") ||
	       !strncmp(k, DECL_PREFIX, strlen(DECL_PREFIX));
}

static int type_valid(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > MODEL_TYPE_MAX)
		return 0;
	for (; *t; t++)
		if (!((*t >= 'a' && *t <= 'z') || (*t >= '0' && *t <= '9')))
			return 0;
	return 1;
}

/* Check the writer's arguments before a byte is written. */
static int check_args(const char *type, const struct pal_kv *kv,
		      uint32_t nkv, const struct model_array *arr,
		      uint32_t narr, struct pal_error *err)
{
	if (!type_valid(type))
		return pal_seterr(err, PAL_ERR_USAGE, 0, "bad model type '%s'",
				  type);
	for (uint32_t i = 0; i < nkv; i++) {
		if (!key_valid(kv[i].key) || reserved_key(kv[i].key))
			return pal_seterr(err, PAL_ERR_USAGE, 0, "bad model key "
					  "'%s'", kv[i].key);
		if (strchr(kv[i].value, '\n'))
			return pal_seterr(err, PAL_ERR_USAGE, 0, "the value of "
					  "model key '%s' holds a newline",
					  kv[i].key);
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(kv[i].key, kv[j].key))
				return pal_seterr(err, PAL_ERR_USAGE, 0,
						  "model key '%s' given twice",
						  kv[i].key);
	}
	for (uint32_t i = 0; i < narr; i++) {
		const struct model_array *a = &arr[i];

		if (!pal_name_valid(a->name))
			return pal_seterr(err, PAL_ERR_USAGE, 0, "bad array "
					  "name '%s'", a->name);
		if (!pal_dtype_size(a->dtype))
			return pal_seterr(err, PAL_ERR_USAGE, 0, "array %s has "
					  "no dtype", a->name);
		if (a->ndim < 1 || a->ndim > MODEL_MAX_DIM || a->shape[0] == 0 ||
		    !row_width(a))
			return pal_seterr(err, PAL_ERR_USAGE, 0, "array %s has "
					  "a bad shape", a->name);
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(a->name, arr[j].name))
				return pal_seterr(err, PAL_ERR_USAGE, 0,
						  "array %s given twice",
						  a->name);
	}
	return 0;
}

static char *format_decl(const struct model_array *a)
{
	size_t cap = 16 + MODEL_MAX_DIM * 22;
	char *s = xmalloc(cap);
	size_t n = (size_t)snprintf(s, cap, "%s ", pal_dtype_name(a->dtype));

	for (uint32_t i = 0; i < a->ndim && i < MODEL_MAX_DIM; i++)
		n += (size_t)snprintf(s + n, cap - n, "%s%llu", i ? "," : "",
				      (unsigned long long)a->shape[i]);
	return s;
}

static int werr(struct pal_writer *w, struct pal_error *err)
{
	const struct pal_error *e = pal_writer_error(w);

	pal_seterr(err, e->kind, e->errnum, "%s", e->msg);
	return -1;
}

static int write_array(struct pal_writer *w, const struct model_array *a)
{
	uint64_t width = row_width(a), rows = a->shape[0], per;
	size_t rb = (size_t)width * pal_dtype_size(a->dtype);
	struct pal_col c = { .dtype = a->dtype, .width = (uint32_t)width };
	struct pal_frame f = { .kind = PAL_DATA, .ncols = 1, .cols = &c };

	snprintf(c.name, sizeof(c.name), "%s", a->name);
	per = pal_default_rows(&c, 1);
	for (uint64_t r = 0; r < rows; r += per) {
		f.nrows = rows - r < per ? rows - r : per;
		c.data = (char *)a->data + r * rb;
		if (pal_write(w, &f) < 0)
			return -1;
	}
	return 0;
}

int model_write(struct pal_writer *w, const char *type,
		const struct pal_kv *kv, uint32_t nkv,
		const struct model_array *arr, uint32_t narr,
		struct pal_error *err)
{
	char version[16];
	struct pal_kv k0[3] = {
		{ (char *)"kind", (char *)"model" },
		{ (char *)"model_version", version },
		{ (char *)"model", (char *)type },
	};
	struct pal_frame f0 = { .kind = PAL_META, .nkv = 3, .kv = k0 };
	struct pal_frame f1 = { .kind = PAL_META };
	int rc = -1;

	if (check_args(type, kv, nkv, arr, narr, err) < 0)
		return -1;
	snprintf(version, sizeof(version), "%d", MODEL_VERSION);
	f1.nkv = nkv + narr;
	f1.kv = xcalloc(f1.nkv ? f1.nkv : 1, sizeof(*f1.kv));
	memcpy(f1.kv, kv, nkv * sizeof(*kv));
	for (uint32_t i = 0; i < narr; i++) {
		size_t kl = strlen(DECL_PREFIX) + PAL_NAME_MAX + 1;
		char *key = xmalloc(kl);

		snprintf(key, kl, DECL_PREFIX "%s", arr[i].name);
		f1.kv[nkv + i].key = key;
		f1.kv[nkv + i].value = format_decl(&arr[i]);
	}
	if (pal_write(w, &f0) < 0 || pal_write(w, &f1) < 0)
		goto out;
	for (uint32_t i = 0; i < narr; i++)
		if (write_array(w, &arr[i]) < 0)
			goto out;
	if (pal_writer_finish(w) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		werr(w, err);
	for (uint32_t i = 0; i < narr; i++) {
		free(f1.kv[nkv + i].key);
		free(f1.kv[nkv + i].value);
	}
	free(f1.kv);
	return rc;
}

/* ---- reading ------------------------------------------------------------- */

void model_free(struct model *m)
{
	for (uint32_t i = 0; i < m->nkv; i++) {
		free(m->kv[i].key);
		free(m->kv[i].value);
	}
	free(m->kv);
	for (uint32_t i = 0; i < m->narr; i++)
		free(m->arr[i].data);
	free(m->arr);
	free(m->name);
	memset(m, 0, sizeof(*m));
}

static const char *kv_get(const struct pal_frame *f, const char *key)
{
	for (uint32_t i = 0; i < f->nkv; i++)
		if (!strcmp(f->kv[i].key, key))
			return f->kv[i].value;
	return NULL;
}

static int rerr(struct pal_reader *r, struct pal_error *err)
{
	const struct pal_error *e = pal_reader_error(r);

	pal_seterr(err, e->kind, e->errnum, "%s", e->msg);
	err->offset = e->offset;
	return -1;
}

/* Frame 0: the kind frame. */
static int read_kind(struct model *m, struct pal_reader *r,
		     struct pal_error *err)
{
	const struct pal_frame *f;
	const char *v, *why;
	int k = pal_read(r, &f);
	uint64_t ver;

	if (k < 0)
		return rerr(r, err);
	if (k == 0)
		return pal_seterr(err, PAL_ERR_MISMATCH, 0, "'%s' is not a "
				  "model (a pal stream of no frames)", m->name);
	if (f->kind != PAL_META)
		return pal_seterr(err, PAL_ERR_MISMATCH, 0, "'%s' is not a "
				  "model (it starts with a data frame, not "
				  "kind=model)", m->name);
	v = kv_get(f, "kind");
	if (!v || strcmp(v, "model"))
		return pal_seterr(err, PAL_ERR_MISMATCH, 0, "'%s' is not a "
				  "model (its first frame says %s%s, not "
				  "kind=model)", m->name, v ? "kind=" : "no kind",
				  v ? v : "");
	v = kv_get(f, "model_version");
	if (!v)
		return pal_seterr(err, PAL_ERR_CORRUPT, 0, "corrupt model: no "
				  "model_version in its first frame (%s)",
				  m->name);
	ver = parse_u64(v, 1, INT32_MAX, &why);
	if (why)
		return pal_seterr(err, PAL_ERR_CORRUPT, 0, "corrupt model: "
				  "model_version=%s: %s (%s)", v, why, m->name);
	if (ver > MODEL_VERSION)
		return pal_seterr(err, PAL_ERR_MISMATCH, 0, "model made by a "
				  "newer pal: model_version %llu, this reads %d "
				  "(%s)", (unsigned long long)ver,
				  MODEL_VERSION, m->name);
	m->version = (int)ver;
	v = kv_get(f, "model");
	if (!v || !type_valid(v))
		return pal_seterr(err, PAL_ERR_CORRUPT, 0, "corrupt model: "
				  "%s model type in its first frame (%s)",
				  v ? "a bad" : "no", m->name);
	snprintf(m->type, sizeof(m->type), "%s", v);
	return 0;
}

/* "f32 5,4801" into a. */
static int parse_decl(struct model_array *a, const char *v)
{
	const char *sp = strchr(v, ' '), *p, *why;
	char dt[8];

	if (!sp || sp - v >= (ptrdiff_t)sizeof(dt))
		return -1;
	memcpy(dt, v, (size_t)(sp - v));
	dt[sp - v] = '\0';
	a->dtype = pal_dtype_parse(dt);
	if (a->dtype < 0)
		return -1;
	a->ndim = 0;
	for (p = sp + 1;;) {
		char num[24];
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (a->ndim == MODEL_MAX_DIM || n == 0 || n >= sizeof(num))
			return -1;
		memcpy(num, p, n);
		num[n] = '\0';
		a->shape[a->ndim++] = parse_u64(num, 1, UINT64_MAX, &why);
		if (why)
			return -1;
		if (!e)
			break;
		p = e + 1;
	}
	return row_width(a) ? 0 : -1;
}

/* Frame 1: the keys and the declarations. */
static int read_keys(struct model *m, struct pal_reader *r,
		     struct pal_error *err)
{
	const struct pal_frame *f;
	int k = pal_read(r, &f);
	size_t pl = strlen(DECL_PREFIX);

	if (k < 0)
		return rerr(r, err);
	if (k == 0 || f->kind != PAL_META)
		return pal_seterr(err, PAL_ERR_CORRUPT, 0, "corrupt model: no "
				  "metadata frame of keys after its kind frame "
				  "(%s)", m->name);
	m->kv = xcalloc(f->nkv + 1, sizeof(*m->kv));
	m->arr = xcalloc(f->nkv + 1, sizeof(*m->arr));
	for (uint32_t i = 0; i < f->nkv; i++) {
		const char *key = f->kv[i].key, *v = f->kv[i].value;

		if (strncmp(key, DECL_PREFIX, pl)) {
			if (model_get(m, key) || reserved_key(key))
				return pal_seterr(err, PAL_ERR_CORRUPT, 0,
						  "corrupt model: key %s given "
						  "twice (%s)", key, m->name);
			m->kv[m->nkv].key = xstrdup(key);
			m->kv[m->nkv++].value = xstrdup(v);
			continue;
		}
		struct model_array *a = &m->arr[m->narr];

		if (!pal_name_valid(key + pl) || parse_decl(a, v) < 0)
			return pal_seterr(err, PAL_ERR_CORRUPT, 0, "corrupt "
					  "model: bad declaration %s=%s (%s)",
					  key, v, m->name);
		snprintf(a->name, sizeof(a->name), "%s", key + pl);
		for (uint32_t j = 0; j < m->narr; j++)
			if (!strcmp(m->arr[j].name, a->name))
				return pal_seterr(err, PAL_ERR_CORRUPT, 0,
						  "corrupt model: array %s "
						  "declared twice (%s)",
						  a->name, m->name);
		m->narr++;
	}
	return 0;
}

/* Append the rows of f to array a (got rows so far, cap allocated). */
static int take_rows(struct model *m, struct model_array *a, uint64_t *got,
		     uint64_t *cap, const struct pal_frame *f,
		     struct pal_error *err)
{
	uint64_t width = row_width(a);
	size_t rb = (size_t)width * pal_dtype_size(a->dtype);
	const struct pal_col *c = &f->cols[0];

	if (f->ncols != 1 || strcmp(c->name, a->name) ||
	    c->dtype != a->dtype || c->width != width)
		return pal_seterr(err, PAL_ERR_CORRUPT, 0, "corrupt model: "
				  "frame %llu holds other columns than the rows "
				  "of array %s (%s x %llu) (%s: offset %llu)",
				  (unsigned long long)f->index, a->name,
				  pal_dtype_name(a->dtype),
				  (unsigned long long)width, m->name,
				  (unsigned long long)f->offset);
	if (f->nrows > a->shape[0] - *got)
		return pal_seterr(err, PAL_ERR_CORRUPT, 0, "corrupt model: "
				  "array %s has more rows than its %llu (%s: "
				  "frame %llu at offset %llu)", a->name,
				  (unsigned long long)a->shape[0], m->name,
				  (unsigned long long)f->index,
				  (unsigned long long)f->offset);
	if (*got + f->nrows > *cap) {
		uint64_t nc = *cap ? *cap : f->nrows;
		void *p;

		while (nc < *got + f->nrows)
			nc *= 2;
		if (nc > a->shape[0])
			nc = a->shape[0];
		if (nc > SIZE_MAX / rb || !(p = realloc(a->data, nc * rb)))
			return pal_seterr(err, PAL_ERR_NOMEM, 0, "out of memory "
					  "for array %s (%s)", a->name, m->name);
		a->data = p;
		*cap = nc;
	}
	if (f->nrows)
		memcpy((char *)a->data + *got * rb, c->data,
		       (size_t)f->nrows * rb);
	*got += f->nrows;
	return 0;
}

int model_read(struct model *m, struct pal_reader *r, const char *name,
	       struct pal_error *err)
{
	const struct pal_frame *f;
	uint32_t i = 0;
	uint64_t got = 0, cap = 0;
	int k;

	memset(m, 0, sizeof(*m));
	m->name = xstrdup(name);
	if (read_kind(m, r, err) < 0 || read_keys(m, r, err) < 0)
		goto fail;
	while ((k = pal_read(r, &f)) > 0) {
		if (i == m->narr || f->kind != PAL_DATA) {
			pal_seterr(err, PAL_ERR_CORRUPT, 0, "corrupt model: a "
				   "%s frame %s (%s: frame %llu at offset %llu)",
				   f->kind == PAL_DATA ? "data" : "metadata",
				   i == m->narr ? "after its last array" :
				   "among its arrays", m->name,
				   (unsigned long long)f->index,
				   (unsigned long long)f->offset);
			goto fail;
		}
		if (take_rows(m, &m->arr[i], &got, &cap, f, err) < 0)
			goto fail;
		if (got == m->arr[i].shape[0]) {
			i++;
			got = cap = 0;
		}
	}
	if (k < 0) {
		rerr(r, err);
		goto fail;
	}
	if (i < m->narr) {
		pal_seterr(err, PAL_ERR_CORRUPT, 0, "corrupt model: array %s "
			   "has %llu of its %llu rows (%s)", m->arr[i].name,
			   (unsigned long long)got,
			   (unsigned long long)m->arr[i].shape[0], m->name);
		goto fail;
	}
	return 0;
fail:
	model_free(m);
	return -1;
}

const char *model_get(const struct model *m, const char *key)
{
	for (uint32_t i = 0; i < m->nkv; i++)
		if (!strcmp(m->kv[i].key, key))
			return m->kv[i].value;
	return NULL;
}

static int lacks(const struct model *m, const char *key,
		 struct pal_error *err)
{
	return pal_seterr(err, PAL_ERR_CORRUPT, 0, "model lacks key '%s' (%s)",
			  key, m->name);
}

int model_get_u64(const struct model *m, const char *key, uint64_t min,
		  uint64_t max, uint64_t *v, struct pal_error *err)
{
	const char *s = model_get(m, key), *why;

	if (!s)
		return lacks(m, key, err);
	*v = parse_u64(s, min, max, &why);
	if (why)
		return pal_seterr(err, PAL_ERR_CORRUPT, 0, "bad %s=%s in the "
				  "model: %s (%s)", key, s, why, m->name);
	return 0;
}

int model_get_doubles(const struct model *m, const char *key, size_t n,
		      double *out, struct pal_error *err)
{
	const char *s = model_get(m, key), *why = NULL;
	size_t i = 0;

	if (!s)
		return lacks(m, key, err);
	for (const char *p = s; !why;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		char num[64];

		if (i == n || len >= sizeof(num)) {
			why = "not the right count of numbers";
			break;
		}
		memcpy(num, p, len);
		num[len] = '\0';
		out[i] = parse_double(num, &why);
		if (!why && !isfinite(out[i]))
			why = "not finite";
		i++;
		if (!e)
			break;
		p = e + 1;
	}
	if (!why && i != n)
		why = "not the right count of numbers";
	if (why)
		return pal_seterr(err, PAL_ERR_CORRUPT, 0, "bad %s in the model: "
				  "%s, %zu wanted (%s)", key, why, n, m->name);
	return 0;
}

const struct model_array *model_array_get(const struct model *m,
					  const char *name, int dtype,
					  uint32_t ndim, const uint64_t *shape,
					  struct pal_error *err)
{
	const struct model_array *a = NULL;
	int ok;

	for (uint32_t i = 0; i < m->narr && !a; i++)
		if (!strcmp(m->arr[i].name, name))
			a = &m->arr[i];
	if (!a) {
		pal_seterr(err, PAL_ERR_CORRUPT, 0, "model lacks array %s (%s)",
			   name, m->name);
		return NULL;
	}
	ok = (!dtype || a->dtype == dtype) && a->ndim == ndim;
	for (uint32_t i = 0; ok && i < ndim; i++)
		ok = !shape[i] || shape[i] == a->shape[i];
	if (!ok) {
		struct model_array want = { .dtype = dtype, .ndim = ndim };
		char *got = format_decl(a), *w;

		memcpy(want.shape, shape, ndim * sizeof(*shape));
		w = format_decl(&want);
		pal_seterr(err, PAL_ERR_CORRUPT, 0, "array %s is %s, not %s%s "
			   "(%s)", name, got, dtype ? "" : "any ", dtype ?
			   w : strchr(w, ' ') + 1, m->name);
		free(got);
		free(w);
		return NULL;
	}
	return a;
}

char *model_format_doubles(const double *v, size_t n)
{
	size_t cap = n * 26 + 1, len = 0;
	char *s = xmalloc(cap);

	s[0] = '\0';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len, "%s%.17g",
					i ? "," : "", v[i]);
	return s;
}

/* ---- the MLP committee --------------------------------------------------- */

static int scaling_ok(const double *mean, const double *sd, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isfinite(mean[i]) || !isfinite(sd[i]) || !(sd[i] > 0))
			return 0;
	return 1;
}

int model_write_mlp(struct pal_writer *w, const struct model_mlp *mm,
		    const struct pal_kv *extra, uint32_t nextra,
		    struct pal_error *err)
{
	const struct mlp *net = &mm->net;
	enum { NK = 10 };
	char num[3][24], *layers, *vals[4];
	struct pal_kv *kv;
	struct model_array a = { .name = "theta", .dtype = mm->dtype,
				 .ndim = 2 };
	size_t n = 0;
	int rc;

	if (mm->dtype != PAL_F32 && mm->dtype != PAL_F64)
		return pal_seterr(err, PAL_ERR_USAGE, 0, "an MLP's parameters "
				  "are f32 or f64, not %s",
				  pal_dtype_name(mm->dtype));
	if (!scaling_ok(mm->x_mean, mm->x_std, (size_t)net->d) ||
	    !scaling_ok(mm->y_mean, mm->y_std, (size_t)net->k) ||
	    !isfinite(mm->calibration) || !(mm->calibration > 0))
		return pal_seterr(err, PAL_ERR_USAGE, 0, "an MLP's scaling "
				  "must be finite, its std and calibration "
				  "positive");
	layers = xmalloc((size_t)net->nl * 12 + 1);
	layers[0] = '\0';
	for (int l = 1; l < net->nl; l++)
		n += (size_t)snprintf(layers + n, (size_t)net->nl * 12 + 1 - n,
				      "%s%d", l > 1 ? "," : "", net->w[l]);
	snprintf(num[0], sizeof(num[0]), "%d", net->m);
	snprintf(num[1], sizeof(num[1]), "%d", net->d);
	snprintf(num[2], sizeof(num[2]), "%d", net->k);
	vals[0] = model_format_doubles(mm->x_mean, (size_t)net->d);
	vals[1] = model_format_doubles(mm->x_std, (size_t)net->d);
	vals[2] = model_format_doubles(mm->y_mean, (size_t)net->k);
	vals[3] = model_format_doubles(&mm->calibration, 1);
	char *ysd = model_format_doubles(mm->y_std, (size_t)net->k);

	kv = xcalloc(NK + nextra, sizeof(*kv));
	kv[0] = (struct pal_kv){ (char *)"members", num[0] };
	kv[1] = (struct pal_kv){ (char *)"d", num[1] };
	kv[2] = (struct pal_kv){ (char *)"k", num[2] };
	kv[3] = (struct pal_kv){ (char *)"layers", layers };
	kv[4] = (struct pal_kv){ (char *)"activation",
				 (char *)mlp_act_name(net->act) };
	kv[5] = (struct pal_kv){ (char *)"x_mean", vals[0] };
	kv[6] = (struct pal_kv){ (char *)"x_std", vals[1] };
	kv[7] = (struct pal_kv){ (char *)"y_mean", vals[2] };
	kv[8] = (struct pal_kv){ (char *)"y_std", ysd };
	kv[9] = (struct pal_kv){ (char *)"calibration", vals[3] };
	if (nextra)
		memcpy(kv + NK, extra, nextra * sizeof(*extra));
	a.shape[0] = (uint64_t)net->m;
	a.shape[1] = net->np1;
	a.data = (void *)mm->theta;
	rc = model_write(w, "mlp", kv, NK + nextra, &a, 1, err);
	free(kv);
	free(layers);
	free(ysd);
	for (int i = 0; i < 4; i++)
		free(vals[i]);
	return rc;
}

void model_mlp_free(struct model_mlp *mm)
{
	mlp_free(&mm->net);
	free(mm->x_mean);
	free(mm->x_std);
	free(mm->y_mean);
	free(mm->y_std);
	memset(mm, 0, sizeof(*mm));
}

int model_read_mlp(const struct model *m, struct model_mlp *mm,
		   struct pal_error *err)
{
	uint64_t members, d, k, shape[2];
	int hidden[MLP_MAX_HIDDEN], nh = 0, act;
	const char *s, *why;
	const struct model_array *a;
	struct pal_error e2;

	memset(mm, 0, sizeof(*mm));
	if (strcmp(m->type, "mlp"))
		return pal_seterr(err, PAL_ERR_MISMATCH, 0, "'%s' is a model "
				  "of type %s, not mlp", m->name, m->type);
	if (model_get_u64(m, "members", 1, MLP_MAX_MEMBERS, &members, err) < 0 ||
	    model_get_u64(m, "d", 1, MLP_MAX_WIDTH, &d, err) < 0 ||
	    model_get_u64(m, "k", 1, MLP_MAX_WIDTH, &k, err) < 0)
		return -1;
	s = model_get(m, "layers");
	if (!s)
		return lacks(m, "layers", err);
	for (const char *p = s; *s;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		char num[24];

		if (nh == MLP_MAX_HIDDEN || len >= sizeof(num))
			goto bad_layers;
		memcpy(num, p, len);
		num[len] = '\0';
		hidden[nh++] = (int)parse_u64(num, 1, MLP_MAX_WIDTH, &why);
		if (why)
			goto bad_layers;
		if (!e)
			break;
		p = e + 1;
	}
	s = model_get(m, "activation");
	if (!s)
		return lacks(m, "activation", err);
	act = mlp_act_parse(s);
	if (act < 0)
		return pal_seterr(err, PAL_ERR_CORRUPT, 0, "bad activation=%s "
				  "in the model (%s)", s, m->name);
	if (mlp_init(&mm->net, (int)members, (int)d, nh, hidden, (int)k, act,
		     &e2) < 0)
		return pal_seterr(err, PAL_ERR_CORRUPT, 0, "bad architecture "
				  "in the model: %s (%s)", e2.msg, m->name);
	mm->x_mean = xmalloc(d * sizeof(double));
	mm->x_std = xmalloc(d * sizeof(double));
	mm->y_mean = xmalloc(k * sizeof(double));
	mm->y_std = xmalloc(k * sizeof(double));
	if (model_get_doubles(m, "x_mean", d, mm->x_mean, err) < 0 ||
	    model_get_doubles(m, "x_std", d, mm->x_std, err) < 0 ||
	    model_get_doubles(m, "y_mean", k, mm->y_mean, err) < 0 ||
	    model_get_doubles(m, "y_std", k, mm->y_std, err) < 0 ||
	    model_get_doubles(m, "calibration", 1, &mm->calibration, err) < 0)
		goto fail;
	if (!scaling_ok(mm->x_mean, mm->x_std, d) ||
	    !scaling_ok(mm->y_mean, mm->y_std, k) || !(mm->calibration > 0)) {
		pal_seterr(err, PAL_ERR_CORRUPT, 0, "bad scaling in the model: "
			   "a std or the calibration is not positive (%s)",
			   m->name);
		goto fail;
	}
	shape[0] = members;
	shape[1] = mm->net.np1;
	a = model_array_get(m, "theta", 0, 2, shape, err);
	if (!a)
		goto fail;
	if (a->dtype != PAL_F32 && a->dtype != PAL_F64) {
		pal_seterr(err, PAL_ERR_CORRUPT, 0, "array theta is %s, not f32 "
			   "or f64 (%s)", pal_dtype_name(a->dtype), m->name);
		goto fail;
	}
	mm->dtype = a->dtype;
	mm->theta = a->data;
	return 0;
bad_layers:
	return pal_seterr(err, PAL_ERR_CORRUPT, 0, "bad layers=%s in the "
			  "model (%s)", s, m->name);
fail:
	model_mlp_free(mm);
	return -1;
}

/* ---- the Gaussian process ------------------------------------------------ */

int model_write_gp(struct pal_writer *w, const struct model_gp *mg,
		   const struct pal_kv *extra, uint32_t nextra,
		   struct pal_error *err)
{
	const struct gp *gp = mg->gp;
	size_t n = gp->n, d = gp->d;
	enum { NK = 9 };
	char num[3][24], *vals[6];
	struct pal_kv *kv;
	struct model_array a[4] = {
		{ .name = "x", .dtype = PAL_F64, .ndim = 2,
		  .shape = { n, d }, .data = gp->x },
		{ .name = "y", .dtype = PAL_F64, .ndim = 1, .shape = { n },
		  .data = gp->y },
		{ .name = "alpha", .dtype = PAL_F64, .ndim = 1,
		  .shape = { n }, .data = gp->alpha },
		{ .name = "chol", .dtype = PAL_F64, .ndim = 1,
		  .shape = { n * (n + 1) / 2 } },
	};
	double *chol;
	int rc;

	if (!scaling_ok(mg->x_mean, mg->x_std, d) ||
	    !scaling_ok(&mg->y_mean, &mg->y_std, 1))
		return pal_seterr(err, PAL_ERR_USAGE, 0, "a gaussian process's "
				  "scaling must be finite, its std positive");
	chol = xmalloc(n * (n + 1) / 2 * sizeof(*chol));
	for (size_t i = 0, p = 0; i < n; p += i + 1, i++)
		memcpy(chol + p, gp->l + i * n, (i + 1) * sizeof(*chol));
	a[3].data = chol;
	snprintf(num[0], sizeof(num[0]), "%zu", d);
	snprintf(num[1], sizeof(num[1]), "%zu", n);
	snprintf(num[2], sizeof(num[2]), "%.17g", gp->jitter);
	vals[0] = model_format_doubles(gp->theta, d + 2);
	vals[1] = model_format_doubles(mg->x_mean, d);
	vals[2] = model_format_doubles(mg->x_std, d);
	vals[3] = model_format_doubles(&mg->y_mean, 1);
	vals[4] = model_format_doubles(&mg->y_std, 1);
	kv = xcalloc(NK + nextra, sizeof(*kv));
	kv[0] = (struct pal_kv){ (char *)"d", num[0] };
	kv[1] = (struct pal_kv){ (char *)"kernel",
				 (char *)gp_kernel_name(gp->kernel) };
	kv[2] = (struct pal_kv){ (char *)"n", num[1] };
	kv[3] = (struct pal_kv){ (char *)"theta", vals[0] };
	kv[4] = (struct pal_kv){ (char *)"jitter", num[2] };
	kv[5] = (struct pal_kv){ (char *)"x_mean", vals[1] };
	kv[6] = (struct pal_kv){ (char *)"x_std", vals[2] };
	kv[7] = (struct pal_kv){ (char *)"y_mean", vals[3] };
	kv[8] = (struct pal_kv){ (char *)"y_std", vals[4] };
	if (nextra)
		memcpy(kv + NK, extra, nextra * sizeof(*extra));
	rc = model_write(w, "gp", kv, NK + nextra, a, 4, err);
	free(kv);
	free(chol);
	for (int i = 0; i < 5; i++)
		free(vals[i]);
	return rc;
}

void model_gp_free(struct model_gp *mg)
{
	gp_free(mg->gp);
	free(mg->x_mean);
	free(mg->x_std);
	memset(mg, 0, sizeof(*mg));
}

/* Whether the n values at p are finite. */
static int finite_all(const double *p, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		if (!isfinite(p[i]))
			return 0;
	return 1;
}

int model_read_gp(const struct model *m, struct model_gp *mg,
		  struct pal_error *err)
{
	uint64_t d, n, shape[2];
	enum gp_kernel kernel;
	const char *s;
	const struct model_array *ax, *ay, *aa, *ac;
	double *theta = NULL, jitter, *l = NULL;
	const double *chol;
	struct pal_error e2;

	memset(mg, 0, sizeof(*mg));
	if (strcmp(m->type, "gp"))
		return pal_seterr(err, PAL_ERR_MISMATCH, 0, "'%s' is a model "
				  "of type %s, not gp", m->name, m->type);
	if (model_get_u64(m, "d", 1, 1000000, &d, err) < 0)
		return -1;
	s = model_get(m, "kernel");
	if (!s)
		return lacks(m, "kernel", err);
	if (gp_kernel_parse(s, &kernel, &e2) < 0)
		return pal_seterr(err, PAL_ERR_CORRUPT, 0, "bad kernel=%s in the "
				  "model (%s)", s, m->name);
	if (model_get_u64(m, "n", 1, GP_MAX_N, &n, err) < 0)
		return -1;
	theta = xmalloc((d + 2) * sizeof(*theta));
	mg->x_mean = xmalloc(d * sizeof(double));
	mg->x_std = xmalloc(d * sizeof(double));
	if (model_get_doubles(m, "theta", d + 2, theta, err) < 0 ||
	    model_get_doubles(m, "jitter", 1, &jitter, err) < 0 ||
	    model_get_doubles(m, "x_mean", d, mg->x_mean, err) < 0 ||
	    model_get_doubles(m, "x_std", d, mg->x_std, err) < 0 ||
	    model_get_doubles(m, "y_mean", 1, &mg->y_mean, err) < 0 ||
	    model_get_doubles(m, "y_std", 1, &mg->y_std, err) < 0)
		goto fail;
	for (uint64_t k = 0; k < d + 2; k++)
		if (fabs(theta[k]) > 700) {
			pal_seterr(err, PAL_ERR_CORRUPT, 0, "bad theta in the "
				   "model: %g is not a logarithm of a double "
				   "(%s)", theta[k], m->name);
			goto fail;
		}
	if (jitter < 0) {
		pal_seterr(err, PAL_ERR_CORRUPT, 0, "bad jitter in the model: "
			   "negative (%s)", m->name);
		goto fail;
	}
	if (!scaling_ok(mg->x_mean, mg->x_std, d) ||
	    !scaling_ok(&mg->y_mean, &mg->y_std, 1)) {
		pal_seterr(err, PAL_ERR_CORRUPT, 0, "bad scaling in the model: "
			   "a std is not positive (%s)", m->name);
		goto fail;
	}
	shape[0] = n;
	shape[1] = d;
	if (!(ax = model_array_get(m, "x", PAL_F64, 2, shape, err)) ||
	    !(ay = model_array_get(m, "y", PAL_F64, 1, shape, err)) ||
	    !(aa = model_array_get(m, "alpha", PAL_F64, 1, shape, err)))
		goto fail;
	shape[0] = n * (n + 1) / 2;
	if (!(ac = model_array_get(m, "chol", PAL_F64, 1, shape, err)))
		goto fail;
	if (!finite_all(ax->data, n * d) || !finite_all(ay->data, n) ||
	    !finite_all(aa->data, n) || !finite_all(ac->data, shape[0])) {
		pal_seterr(err, PAL_ERR_CORRUPT, 0, "bad gaussian process in "
			   "the model: an array holds a value that is not "
			   "finite (%s)", m->name);
		goto fail;
	}
	chol = ac->data;
	l = xcalloc(n * n, sizeof(*l));
	for (uint64_t i = 0, p = 0; i < n; p += i + 1, i++) {
		if (!(chol[p + i] > 0)) {
			pal_seterr(err, PAL_ERR_CORRUPT, 0, "bad gaussian "
				   "process in the model: its cholesky factor "
				   "has %g on the diagonal, row %llu (%s)",
				   chol[p + i], (unsigned long long)i, m->name);
			goto fail;
		}
		memcpy(l + i * n, chol + p, (i + 1) * sizeof(*l));
	}
	mg->gp = gp_from_parts(kernel, n, d, ax->data, ay->data, theta, l,
			       aa->data, jitter, &e2);
	if (!mg->gp) {
		pal_seterr(err, PAL_ERR_CORRUPT, 0, "bad gaussian process in "
			   "the model: %s (%s)", e2.msg, m->name);
		goto fail;
	}
	free(theta);
	free(l);
	return 0;
fail:
	free(theta);
	free(l);
	model_gp_free(mg);
	return -1;
}
