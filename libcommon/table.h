/*
 * table.h: a whole labeled stream gathered into contiguous f64 arrays, what
 * a trainer needs (it needs every row at once), and the row sets it draws
 * from them: a train/validation split and bootstrap resamples.
 *
 * The columns read (pal-label(1) writes them; every other column is
 * ignored):
 *
 *	x       the inputs, any numeric dtype, width d (required)
 *	y       the labels, any numeric dtype, width k (required)
 *	grad    dy/dx, any numeric dtype, width d (optional; read only when
 *	        the first data frame with rows has it, and then required in
 *	        every frame; TABLE_NO_GRAD ignores it)
 *	status  any integer dtype, width 1 (optional): a row whose status is
 *	        not 0 failed, and is left out and counted (nfailed)
 *	id      u64 (or a non-negative integer of another dtype), width 1
 *	        (optional): the row's id; without it, a row's id is its
 *	        number in the input, counting from 0 over every data row read
 *
 * Every dtype is converted to f64 (f64 columns are copied as they are).
 * Every data frame must have x and y of the widths of the first data frame
 * that has rows (frames of zero rows are skipped), and grad of width d.
 * Metadata frames are skipped, except one with a kind key whose value is
 * not "data" (a model, a journal): the input is then not labeled rows and
 * is refused.  Concatenated streams are one input (the reader goes on past
 * end frames).
 *
 * A row of status 0 whose x, y or grad holds a NaN or an infinity is an
 * error naming the row's id, the column and the file, unless
 * TABLE_SKIP_NONFINITE is set: it is then left out and counted
 * (nnonfinite).  A failed row (status not 0) is left out whatever its
 * values (pal-label writes y = NaN for it).
 *
 * Memory: the arrays grow by doubling, from 1024 rows.  With max_bytes set,
 * a growth that would take the arrays (ids, x, y and grad together, at 8
 * bytes an element) past it is cut to what fits, and a row that does not
 * fit is refused (PAL_ERR_LIMIT) before anything is allocated for it.
 *
 * Errors follow err.h: -1 and the caller's struct pal_error, with the
 * reader's kind for a stream error; the table then holds nothing.
 */
#ifndef PAL_TABLE_H
#define PAL_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "stream.h"

/* table_opts.flags */
#define TABLE_SKIP_NONFINITE 1	/* count non-finite rows, do not refuse them */
#define TABLE_NO_GRAD 2		/* ignore a grad column */

struct table_opts {
	uint64_t max_bytes;	/* the arrays' memory at most; 0: no limit */
	int flags;
};

struct table {
	uint64_t n;		/* rows kept */
	uint32_t d;		/* width of x */
	uint32_t k;		/* width of y */
	uint64_t *id;		/* n */
	double *x;		/* n x d, row-major */
	double *y;		/* n x k */
	double *grad;		/* n x d, or NULL when the input has no grad */

	uint64_t nread;		/* data rows read */
	uint64_t nfailed;	/* rows left out: status not 0 */
	uint64_t nnonfinite;	/* rows left out: non-finite (SKIP_NONFINITE) */
	uint64_t cap;		/* rows allocated */
};

/*
 * Read r to its end into t (which need not be initialised; on success the
 * caller frees it with table_free()).  name is the input's name for
 * messages ("'a.pal'"); o may be NULL (no limit, no flags).  A stream with
 * no data rows, or none with x and y, is an error; one whose rows all
 * failed gives n = 0, which is not.  Returns 0 or -1.
 */
int table_read(struct table *t, struct pal_reader *r, const char *name,
	       const struct table_opts *o, struct pal_error *err);
void table_free(struct table *t);

/*
 * A fingerprint of t's rows, for a model's provenance (the data it was
 * trained on): a 64-bit hash of n, d, k, whether grad is there, and each
 * kept row's id and the bits of its x, y and grad as f64, in order.  With
 * step(h, w) = mix64(h ^ w) + 0x9e3779b97f4a7c15 (mod 2^64) and mix64 of
 * hash.h, from h = TABLE_FP_INIT: h = step(h, n), step(h, d << 32 | k),
 * step(h, has_grad), then for each row step(h, id) and step(h, bits) for
 * each of its numbers.  Tells tables apart by accident, not by design.
 */
#define TABLE_FP_INIT 0x70616c7461626c65ull	/* "paltable" */
uint64_t table_fingerprint(const struct table *t);

/* ---- row sets ----------------------------------------------------------
 *
 * Deterministic for (n, frac, seed) or (n, seed, stream) on every machine
 * (rng.h's integers only).  Index arrays are malloc'd (xmalloc), the
 * caller's to free.
 */

/* rng.h streams of the helpers, apart from mlp_init_params's 0..M-1. */
#define TABLE_RNG_SPLIT 0x73706c6974000000ull		/* "split" */
#define TABLE_RNG_BOOT 0x626f6f7400000000ull		/* "boot" + member */

/*
 * Split rows 0..n-1 into validation and training rows: a Fisher-Yates
 * permutation of 0..n-1 drawn from rng stream TABLE_RNG_SPLIT of seed; its
 * first nval rows are the validation rows, nval = round(frac * n), at least
 * 1 when frac > 0 and at most n - 1 (every row but one) when n >= 2.
 * *val (nval) and *train (n - nval) are each sorted ascending, so that
 * rows keep the input's order.  frac is in [0, 1); n >= 1.  Returns 0, or
 * -1 (PAL_ERR_USAGE) for frac or n out of range.  *val is NULL when nval
 * is 0.
 */
int table_split(uint64_t n, double frac, uint64_t seed, uint64_t **val,
		uint64_t *nval, uint64_t **train, uint64_t *ntrain,
		struct pal_error *err);

/*
 * A bootstrap resample: idx[0..n) drawn uniformly with replacement from
 * 0..n-1, from rng stream TABLE_RNG_BOOT + member of seed (each member its
 * own, independent of the others and of M).  idx has room for n.
 */
void table_bootstrap(uint64_t n, uint64_t seed, uint64_t member,
		     uint64_t *idx);

#endif
