/*
 * optim.c: first-order optimisers (mpi_learn's), L-BFGS and a gradient
 * check; optim.h states the formulas and contracts.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "optim.h"
#include "banned.h"

/* ---- first-order optimisers -------------------------------------------- */

static const char *const names[] = {
	[OPTIM_SGD] = "sgd",
	[OPTIM_MOMENTUM] = "momentum",
	[OPTIM_RMSPROP] = "rmsprop",
	[OPTIM_ADAM] = "adam",
	[OPTIM_ADADELTA] = "adadelta",
};

#define NKINDS (sizeof names / sizeof names[0])

void optim_defaults(enum optim_kind kind, struct optim_params *p)
{
	memset(p, 0, sizeof *p);
	p->momentum = 0.9;
	p->beta1 = 0.9;
	p->beta2 = 0.999;
	p->eps = 1e-8;
	p->weight_decay = 0;
	switch (kind) {
	case OPTIM_SGD:
	case OPTIM_MOMENTUM:
		p->lr = 0.01;
		p->rho = 0.9;
		break;
	case OPTIM_RMSPROP:
	case OPTIM_ADAM:
		p->lr = 0.001;
		p->rho = 0.9;
		break;
	case OPTIM_ADADELTA:
		p->lr = 1;
		p->rho = 0.95;
		break;
	}
}

int optim_parse(const char *name, enum optim_kind *kind,
		struct pal_error *err)
{
	for (size_t i = 0; i < NKINDS; i++)
		if (!strcmp(name, names[i])) {
			*kind = (enum optim_kind)i;
			return 0;
		}
	return pal_seterr(err, PAL_ERR_USAGE, 0, "unknown optimizer '%s'",
			  name);
}

const char *optim_name(enum optim_kind kind)
{
	return (size_t)kind < NKINDS ? names[kind] : "?";
}

/* Whether v is finite and in [lo, hi) (hi_open) or [lo, hi]. */
static int in_range(double v, double lo, double hi, int hi_open)
{
	return isfinite(v) && v >= lo && (hi_open ? v < hi : v <= hi);
}

struct optim *optim_new(enum optim_kind kind, const struct optim_params *p,
			size_t n, struct pal_error *err)
{
	struct optim *o;
	struct optim_params d;
	const char *bad = NULL;

	if ((size_t)kind >= NKINDS) {
		pal_seterr(err, PAL_ERR_USAGE, 0, "unknown optimizer %d",
			   (int)kind);
		return NULL;
	}
	if (!p) {
		optim_defaults(kind, &d);
		p = &d;
	}
	if (!(in_range(p->lr, 0, INFINITY, 1) && p->lr > 0))
		bad = "learning rate";
	else if (!in_range(p->momentum, 0, 1, 1))
		bad = "momentum";
	else if (!in_range(p->rho, 0, 1, 1))
		bad = "rho";
	else if (!in_range(p->beta1, 0, 1, 1))
		bad = "beta1";
	else if (!in_range(p->beta2, 0, 1, 1))
		bad = "beta2";
	else if (!in_range(p->eps, 0, INFINITY, 1))
		bad = "epsilon";
	else if (!in_range(p->weight_decay, 0, INFINITY, 1))
		bad = "weight decay";
	if (bad) {
		pal_seterr(err, PAL_ERR_USAGE, 0, "%s out of range (%s)", bad,
			   names[kind]);
		return NULL;
	}
	o = xcalloc(1, sizeof *o);
	o->kind = kind;
	o->p = *p;
	o->n = n;
	if (kind != OPTIM_SGD)
		o->s1 = xcalloc(n ? n : 1, sizeof *o->s1);
	if (kind == OPTIM_ADAM || kind == OPTIM_ADADELTA)
		o->s2 = xcalloc(n ? n : 1, sizeof *o->s2);
	return o;
}

void optim_reset(struct optim *o)
{
	o->t = 0;
	if (o->s1)
		memset(o->s1, 0, o->n * sizeof *o->s1);
	if (o->s2)
		memset(o->s2, 0, o->n * sizeof *o->s2);
}

void optim_free(struct optim *o)
{
	if (!o)
		return;
	free(o->s1);
	free(o->s2);
	free(o);
}

/*
 * One step for element type T: the per-element formulas of optim.h, in
 * f64.  Adam's a = lr·sqrt(1 - b2^t) / (1 - b1^t) is computed once.  One
 * loop per kind, with no branch inside, so that the compiler vectorises
 * it (the Makefile builds this file with -fno-math-errno and
 * -ftree-vectorize: sqrt, division and the rest are IEEE operations, so
 * the vector loop gives the bits of the scalar one).  This is a fifth of
 * pal-train's time when done element by element.
 */
#define STEP(T) \
	do { \
		const struct optim_params *p = &o->p; \
		double *restrict s1 = o->s1, *restrict s2 = o->s2; \
		T *restrict wp = w; \
		const T *restrict gp = g; \
		double wd = p->weight_decay, lr = p->lr, rho = p->rho; \
		double eps = p->eps, mu = p->momentum, a; \
		double b1 = p->beta1, b2 = p->beta2; \
		size_t n = o->n; \
 \
		o->t++; \
		switch (o->kind) { \
		case OPTIM_SGD: \
			for (size_t i = 0; i < n; i++) { \
				double wi = wp[i], gi = gp[i] + wd * wi; \
 \
				wp[i] = (T)(wi - lr * gi); \
			} \
			break; \
		case OPTIM_MOMENTUM: \
			for (size_t i = 0; i < n; i++) { \
				double wi = wp[i], gi = gp[i] + wd * wi; \
 \
				s1[i] = mu * s1[i] - lr * gi; \
				wp[i] = (T)(wi + s1[i]); \
			} \
			break; \
		case OPTIM_RMSPROP: \
			for (size_t i = 0; i < n; i++) { \
				double wi = wp[i], gi = gp[i] + wd * wi; \
 \
				s1[i] = rho * s1[i] + (1 - rho) * gi * gi; \
				wp[i] = (T)(wi - lr * gi / sqrt(s1[i] + eps)); \
			} \
			break; \
		case OPTIM_ADAM: \
			a = lr * sqrt(1 - pow(b2, (double)o->t)) / \
			    (1 - pow(b1, (double)o->t)); \
			for (size_t i = 0; i < n; i++) { \
				double wi = wp[i], gi = gp[i] + wd * wi; \
 \
				s1[i] = b1 * s1[i] + (1 - b1) * gi; \
				s2[i] = b2 * s2[i] + (1 - b2) * gi * gi; \
				wp[i] = (T)(wi - a * s1[i] / \
					    (sqrt(s2[i]) + eps)); \
			} \
			break; \
		case OPTIM_ADADELTA: \
			for (size_t i = 0; i < n; i++) { \
				double wi = wp[i], gi = gp[i] + wd * wi, u; \
 \
				s1[i] = rho * s1[i] + (1 - rho) * gi * gi; \
				u = lr * sqrt(s2[i] + eps) / \
				    sqrt(s1[i] + eps) * gi; \
				s2[i] = rho * s2[i] + (1 - rho) * u * u; \
				wp[i] = (T)(wi - u); \
			} \
			break; \
		} \
	} while (0)

/* Compiled for AVX2 as well as SSE2, the one the CPU has chosen at load
 * time: the same operations lane by lane (no FMA), so the same bits. */
__attribute__((target_clones("avx2", "default")))
void optim_step(struct optim *o, float *w, const float *g)
{
	STEP(float);
}

__attribute__((target_clones("avx2", "default")))
void optim_step_f64(struct optim *o, double *w, const double *g)
{
	STEP(double);
}

/* ---- L-BFGS ------------------------------------------------------------ */

void lbfgs_defaults(struct lbfgs_params *p)
{
	p->m = 10;
	p->max_iter = 200;
	p->max_ls = 40;
	p->gtol = 1e-5;
	p->ftol = 1e7 * DBL_EPSILON;
	p->c1 = 1e-4;
	p->c2 = 0.9;
}

static double dot(size_t n, const double *a, const double *b)
{
	double s = 0;

	for (size_t i = 0; i < n; i++)
		s += a[i] * b[i];
	return s;
}

static double amax(size_t n, const double *a)
{
	double m = 0;

	for (size_t i = 0; i < n; i++)
		if (isnan(a[i]))
			return NAN;
		else if (fabs(a[i]) > m)
			m = fabs(a[i]);
	return m;
}

static int all_finite(size_t n, const double *a)
{
	for (size_t i = 0; i < n; i++)
		if (!isfinite(a[i]))
			return 0;
	return 1;
}

/*
 * d = -H·g by the two-loop recursion over the k pairs kept in the ring
 * s, y (m×n each, newest at (head - 1) mod m), H0 = (sᵀy / yᵀy)·I.
 */
static void direction(size_t n, int m, int k, int head, const double *s,
		      const double *y, const double *rho, double *alpha,
		      const double *g, double *d)
{
	double gamma = 1;

	for (size_t i = 0; i < n; i++)
		d[i] = -g[i];
	for (int j = 0; j < k; j++) {
		int c = ((head - 1 - j) % m + m) % m;

		alpha[c] = rho[c] * dot(n, s + (size_t)c * n, d);
		for (size_t i = 0; i < n; i++)
			d[i] -= alpha[c] * y[(size_t)c * n + i];
	}
	if (k > 0) {
		int c = ((head - 1) % m + m) % m;
		const double *yc = y + (size_t)c * n;

		gamma = 1 / (rho[c] * dot(n, yc, yc));
	}
	for (size_t i = 0; i < n; i++)
		d[i] *= gamma;
	for (int j = k - 1; j >= 0; j--) {
		int c = ((head - 1 - j) % m + m) % m;
		double b = rho[c] * dot(n, y + (size_t)c * n, d);

		for (size_t i = 0; i < n; i++)
			d[i] += (alpha[c] - b) * s[(size_t)c * n + i];
	}
}

int lbfgs(size_t n, double *x, optim_fn fn, void *ctx,
	  const struct lbfgs_params *p, struct lbfgs_result *res,
	  struct pal_error *err)
{
	struct lbfgs_params dp;
	struct lbfgs_result r = { 0 };
	double *s, *y, *rho, *alpha, *g, *d, *xt, *gt, f;
	int m, k = 0, head = 0;

	if (!p) {
		lbfgs_defaults(&dp);
		p = &dp;
	}
	if (n == 0 || p->m < 1 || p->max_iter < 0 || p->max_ls < 1 ||
	    !(p->gtol >= 0) || !(p->ftol >= 0) || !(p->c1 > 0) ||
	    !(p->c2 > p->c1) || !(p->c2 < 1))
		return pal_seterr(err, PAL_ERR_USAGE, 0, "bad parameters "
				  "(lbfgs)");
	m = p->m;
	s = xmalloc((size_t)m * n * sizeof *s);
	y = xmalloc((size_t)m * n * sizeof *y);
	rho = xmalloc((size_t)m * sizeof *rho);
	alpha = xmalloc((size_t)m * sizeof *alpha);
	g = xmalloc(n * sizeof *g);
	d = xmalloc(n * sizeof *d);
	xt = xmalloc(n * sizeof *xt);
	gt = xmalloc(n * sizeof *gt);

	f = fn(x, g, ctx);
	r.evals = 1;
	if (!isfinite(f) || !all_finite(n, g)) {
		free(s); free(y); free(rho); free(alpha);
		free(g); free(d); free(xt); free(gt);
		return pal_seterr(err, PAL_ERR_NUMERIC, 0, "objective or its "
				  "gradient not finite at the start (lbfgs)");
	}
	r.stop = LBFGS_MAXITER;
	for (;;) {
		double gd, t, lo = 0, hi = INFINITY, ft = f, flo = f;
		int ok = 0;

		if (amax(n, g) <= p->gtol) {
			r.stop = LBFGS_GTOL;
			break;
		}
		if (r.iters >= p->max_iter)
			break;
		direction(n, m, k, head, s, y, rho, alpha, g, d);
		gd = dot(n, g, d);
		if (!(gd < 0)) {	/* not a descent direction: restart */
			k = 0;
			for (size_t i = 0; i < n; i++)
				d[i] = -g[i];
			gd = dot(n, g, d);
		}
		/* first step: length 1 along -g/|g|; later the full step */
		t = k == 0 ? 1 / sqrt(-gd) : 1;
		if (!(t > 0) || !isfinite(t))
			t = 1;

		/* weak Wolfe by bisection (Lewis and Overton): shrink on
		 * a failed Armijo test, grow on a failed curvature test */
		for (int ls = 0; ls < p->max_ls; ls++) {
			double gtd;

			for (size_t i = 0; i < n; i++)
				xt[i] = x[i] + t * d[i];
			ft = fn(xt, gt, ctx);
			r.evals++;
			if (!isfinite(ft) || !all_finite(n, gt) ||
			    ft > f + p->c1 * t * gd) {
				hi = t;
			} else {
				gtd = dot(n, gt, d);
				if (gtd < p->c2 * gd) {
					lo = t;
					flo = ft;
				} else {
					ok = 1;
					break;
				}
			}
			t = isfinite(hi) ? (lo + hi) / 2 : 2 * lo;
		}
		if (!ok && lo > 0) {
			/* no Wolfe point, but lo passed Armijo: take it */
			t = lo;
			for (size_t i = 0; i < n; i++)
				xt[i] = x[i] + t * d[i];
			ft = fn(xt, gt, ctx);
			r.evals++;
			ok = isfinite(ft) && ft <= flo && all_finite(n, gt);
		}
		if (!ok) {
			r.stop = LBFGS_LINESEARCH;
			break;
		}
		r.iters++;

		/* keep the pair when sᵀy > 0 (always, after a Wolfe step) */
		{
			double *sc = s + (size_t)head * n, *yc = y + (size_t)head * n;
			double sy;

			for (size_t i = 0; i < n; i++) {
				sc[i] = xt[i] - x[i];
				yc[i] = gt[i] - g[i];
			}
			sy = dot(n, sc, yc);
			if (sy > 1e-10 * sqrt(dot(n, sc, sc) * dot(n, yc, yc))) {
				rho[head] = 1 / sy;
				head = (head + 1) % m;
				if (k < m)
					k++;
			}
		}
		{
			double df = (f - ft) / fmax(fmax(fabs(f), fabs(ft)), 1);

			memcpy(x, xt, n * sizeof *x);
			memcpy(g, gt, n * sizeof *g);
			f = ft;
			if (df <= p->ftol) {
				r.stop = amax(n, g) <= p->gtol ? LBFGS_GTOL :
					 LBFGS_FTOL;
				break;
			}
		}
	}
	r.f = f;
	r.gmax = amax(n, g);
	if (res)
		*res = r;
	free(s); free(y); free(rho); free(alpha);
	free(g); free(d); free(xt); free(gt);
	return 0;
}

/* ---- gradient check ---------------------------------------------------- */

double optim_gradcheck(size_t n, const double *x, optim_fn fn, void *ctx,
		       double h, double tiny, double *fd, size_t *worst)
{
	double *xc = xmalloc((n ? n : 1) * sizeof *xc);
	double *g = xmalloc((n ? n : 1) * sizeof *g);
	double *scratch = xmalloc((n ? n : 1) * sizeof *scratch);
	double maxerr = 0;
	size_t wi = 0;

	memcpy(xc, x, n * sizeof *xc);
	fn(xc, g, ctx);
	for (size_t i = 0; i < n; i++) {
		double hi = h * fmax(1, fabs(x[i])), fp, fm, est, e;

		xc[i] = x[i] + hi;
		fp = fn(xc, scratch, ctx);
		xc[i] = x[i] - hi;
		fm = fn(xc, scratch, ctx);
		xc[i] = x[i];
		est = (fp - fm) / (2 * hi);
		if (fd)
			fd[i] = est;
		e = fabs(g[i] - est) / fmax(fmax(fabs(g[i]), fabs(est)), tiny);
		if (!isnan(maxerr) && !(e <= maxerr)) {	/* NaN sticks */
			maxerr = e;
			wi = i;
		}
	}
	if (worst)
		*worst = wi;
	free(xc);
	free(g);
	free(scratch);
	return maxerr;
}
