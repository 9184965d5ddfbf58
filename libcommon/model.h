/*
 * model.h: model files, written and read.  A model file is a pal stream
 * (pal-cat shows it, its checksums guard it) of this layout, also in
 * pal-model(5):
 *
 *   frame 0    a metadata frame, the model's kind frame, exactly:
 *                kind=model
 *                model_version=1
 *                model=TYPE          mlp or gp
 *              A file whose first frame is not this is not a model, and a
 *              model_version above MODEL_VERSION was made by a newer pal:
 *              both are refused.
 *   frame 1    a metadata frame: the model's keys (architecture, scaling,
 *              training options, provenance; the writer's, in its order),
 *              then one declaration per array, in the order of the arrays:
 *                array.NAME=DTYPE DIM0,DIM1,...
 *              e.g. array.theta=f32 5,4801: NAME a column name, DTYPE a
 *              pal dtype (f32, f64, ...), 1 to MODEL_MAX_DIM dimensions,
 *              each >= 1, row-major.
 *   then       the arrays, in the declared order, each as data frames of
 *              one column named NAME, of dtype DTYPE and width DIM1 x DIM2
 *              x ... (1 for a one-dimensional array), whose rows (DIM0 in
 *              all) follow each other; a writer cuts them into frames of
 *              about PAL_DEFAULT_FRAME_BYTES.
 *   end        the end frame; nothing after it.
 *
 * The generic layer knows nothing of a model's meaning: a list of keys and
 * a list of named arrays.  The helpers of a model type build on it (the
 * MLP committee's below; the GP's keys and arrays go through the same
 * calls).  Keys of frame 1 are pal metadata keys (letters, digits and
 * "_.-:"), other than kind, model_version, model and array.*, each once.
 *
 * Errors follow err.h: -1 and the caller's struct pal_error.  Messages
 * name the file.
 */
#ifndef PAL_MODEL_H
#define PAL_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "gp.h"
#include "mlp.h"
#include "stream.h"

#define MODEL_VERSION 1
#define MODEL_MAX_DIM 4
#define MODEL_TYPE_MAX 15		/* bytes of a model type */

/* A named array: dtype elements of shape[0] x ... x shape[ndim - 1]. */
struct model_array {
	char name[PAL_NAME_MAX + 1];
	int dtype;			/* enum pal_dtype */
	uint32_t ndim;			/* 1 .. MODEL_MAX_DIM */
	uint64_t shape[MODEL_MAX_DIM];	/* each >= 1 */
	void *data;			/* row-major; the model's after a read */
};

/* Elements of a (the product of its shape). */
uint64_t model_array_len(const struct model_array *a);

/* A model as read. */
struct model {
	char *name;			/* the file's name, for messages */
	char type[MODEL_TYPE_MAX + 1];	/* "mlp", "gp" */
	int version;			/* model_version, <= MODEL_VERSION */
	uint32_t nkv;			/* frame 1's keys, declarations left out */
	struct pal_kv *kv;
	uint32_t narr;
	struct model_array *arr;	/* in the file's order */
};

/*
 * Write a model of type (a lowercase word, e.g. "mlp") with keys kv[0..nkv)
 * and arrays arr[0..narr) to w, the whole stream: frame 0, frame 1, the
 * arrays and the end frame (pal_writer_finish()).  Returns 0, or -1:
 * PAL_ERR_USAGE for a bad type, key, name, dtype or shape (nothing is
 * written then), or the writer's error.
 */
int model_write(struct pal_writer *w, const char *type,
		const struct pal_kv *kv, uint32_t nkv,
		const struct model_array *arr, uint32_t narr,
		struct pal_error *err);

/*
 * Read the model of r to the end of the stream into m (which need not be
 * initialised; on success the caller frees it with model_free()).  name is
 * the file's name for messages.  Refused with -1:
 *   - a first frame that is not a kind=model frame (PAL_ERR_MISMATCH:
 *     "'x.pal' is not a model (...)"),
 *   - a model_version above MODEL_VERSION (PAL_ERR_MISMATCH: "model made
 *     by a newer pal: model_version 2, this reads 1 (x.pal)"),
 *   - a missing frame 1, a bad declaration, arrays whose frames do not
 *     match their declarations, frames after the last array
 *     (PAL_ERR_CORRUPT),
 *   - the reader's errors, with their kind (a cut or corrupt stream).
 * Array memory grows with the rows that arrive, not with what frame 1
 * declares.
 */
int model_read(struct model *m, struct pal_reader *r, const char *name,
	       struct pal_error *err);
void model_free(struct model *m);

/* The value of key in m's keys, or NULL. */
const char *model_get(const struct model *m, const char *key);
/*
 * key's value as an integer in [min, max]: -1 when it is missing ("model
 * lacks key 'members' (x.pal)") or bad (PAL_ERR_CORRUPT).
 */
int model_get_u64(const struct model *m, const char *key, uint64_t min,
		  uint64_t max, uint64_t *v, struct pal_error *err);
/*
 * key's value as exactly n comma-separated numbers (finite) into out
 * (%.17g on writing, so they come back bit for bit).  -1 when missing or
 * bad.
 */
int model_get_doubles(const struct model *m, const char *key, size_t n,
		      double *out, struct pal_error *err);
/*
 * The array called name, checked: dtype (0: any), ndim and shape (a
 * dimension of 0 in shape: any).  NULL when it is missing or differs
 * (PAL_ERR_CORRUPT, e.g. "array theta is f64 5,10, not f32 5,4801
 * (x.pal)").
 */
const struct model_array *model_array_get(const struct model *m,
					  const char *name, int dtype,
					  uint32_t ndim, const uint64_t *shape,
					  struct pal_error *err);

/* Format n doubles as key's value, comma-separated, %.17g (malloc'd). */
char *model_format_doubles(const double *v, size_t n);

/* ---- the MLP committee (model=mlp) --------------------------------------
 *
 * Keys, in this order, then the caller's extra keys (training options,
 * provenance, free):
 *
 *	members=M  d=D  k=K  layers=H1,H2,...  (empty: no hidden layer)
 *	activation=tanh|relu|silu
 *	x_mean=D numbers  x_std=D numbers	inputs standardised as
 *						(x - x_mean) / x_std
 *	y_mean=K numbers  y_std=K numbers	outputs: y = y_mean + y_std f
 *	calibration=S				the committee's std is
 *						multiplied by S (1: none)
 *
 * One array, theta, f32 or f64 (the precision trained in), of shape
 * (M, np1): mlp.h's layout, member by member.
 */
struct model_mlp {
	struct mlp net;		/* sizes and offsets (mlp_init); read: set up */
	int dtype;		/* PAL_F32 or PAL_F64 */
	const void *theta;	/* net.np elements; read: points into the model */
	double *x_mean, *x_std;	/* d each */
	double *y_mean, *y_std;	/* k each */
	double calibration;	/* > 0 */
};

/*
 * Write the committee mm with extra[0..nextra) after its keys.  Refused
 * (PAL_ERR_USAGE) when a std or the calibration is not positive and finite,
 * a mean is not finite, or dtype is neither f32 nor f64.
 */
int model_write_mlp(struct pal_writer *w, const struct model_mlp *mm,
		    const struct pal_kv *extra, uint32_t nextra,
		    struct pal_error *err);

/*
 * The committee of m (read with model_read) into mm: net set up by
 * mlp_init, scaling in arrays of mm's (freed by model_mlp_free), theta
 * pointing into m's array (valid while m is).  -1 for a model of another
 * type, a missing or bad key, or a theta of another shape than the keys
 * give (PAL_ERR_CORRUPT, PAL_ERR_MISMATCH for another type).
 */
int model_read_mlp(const struct model *m, struct model_mlp *mm,
		   struct pal_error *err);
/* Free what model_read_mlp allocated (not theta). */
void model_mlp_free(struct model_mlp *mm);

/* ---- the Gaussian process (model=gp) -------------------------------------
 *
 * Keys, in this order, then the caller's extra keys:
 *
 *	d=D  kernel=rbf|matern52  n=N
 *	theta=D+2 numbers		log l_1..l_D, log sf2, log sn2 (gp.h)
 *	jitter=J			added to K's diagonal at the fit (>= 0)
 *	x_mean=D numbers  x_std=D numbers	inputs standardised as
 *						(x - x_mean) / x_std
 *	y_mean=1 number  y_std=1 number	output: y = y_mean + y_std f
 *
 * Arrays, all f64:
 *
 *	x	(N, D)		the standardised training inputs
 *	y	(N)		the standardised training outputs
 *	alpha	(N)		K^-1 y
 *	chol	(N(N+1)/2)	the lower Cholesky factor L of K + (sn2 +
 *				jitter) I, row by row: L[i][0..i], i = 0..N-1
 *
 * A reader rebuilds the GP from these (gp_from_parts) without factoring:
 * its predictions are those of the GP that was written, bit for bit.
 */
struct model_gp {
	struct gp *gp;		/* write: the fitted GP; read: rebuilt */
	double *x_mean, *x_std;	/* d each */
	double y_mean, y_std;
};

/*
 * Write mg's GP (its x, y, theta, factor, alpha and jitter as they are)
 * with extra[0..nextra) after its keys.  Refused (PAL_ERR_USAGE) when a
 * mean is not finite or a std not positive and finite.
 */
int model_write_gp(struct pal_writer *w, const struct model_gp *mg,
		   const struct pal_kv *extra, uint32_t nextra,
		   struct pal_error *err);
/*
 * The GP of m (read with model_read) into mg: the GP rebuilt by
 * gp_from_parts and the scaling, all mg's (model_gp_free frees them; m
 * may be freed at once).  -1 for a model of another type
 * (PAL_ERR_MISMATCH), a missing or bad key, an array of another shape
 * than the keys give, a value that is not finite, a std that is not
 * positive, a factor whose diagonal is not positive (PAL_ERR_CORRUPT,
 * naming the file).
 */
int model_read_gp(const struct model *m, struct model_gp *mg,
		  struct pal_error *err);
/* Free what model_read_gp allocated, the GP included. */
void model_gp_free(struct model_gp *mg);

#endif
