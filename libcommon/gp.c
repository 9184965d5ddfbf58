/*
 * gp.c: Gaussian-process regression (gp.h): kernels with ARD length
 * scales, the log marginal likelihood and its gradient over linalg.h,
 * hyper-parameters by L-BFGS (optim.h), batched prediction.
 *
 * Both kernels are functions of r² = Σ_k (x_k − x'_k)²/l_k², and every
 * derivative goes through one factor G(r²) = −2·∂k/∂(r²):
 *
 *	rbf	  k = sf2·e^(−r²/2)			G = k
 *	matern52  k = sf2·(1 + s + s²/3)·e^(−s)		G = sf2·(5/3)·(1 + s)·e^(−s)
 *		  with s = √5·r
 *
 * so that ∂k/∂log l_k = G·(u_k − u'_k)² (u = x/l) and ∂k/∂x_k =
 * −G·(u_k − u'_k)/l_k, with no division by r (Matérn's derivative is
 * finite at r = 0).
 *
 * The length-scale terms of the gradient, ½·Σ_ij W_ij·G_ij·(u_ik − u_jk)²
 * with W = ααᵀ − K⁻¹ symmetric, expand with M = W∘G and s_i = Σ_j M_ij to
 * Σ_i u_ik·(u_ik·s_i − (M·U)_ik): one GEMM for all k.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "gp.h"
#include "linalg.h"
#include "optim.h"
#include "rng.h"
#include "banned.h"

#define LOG_2PI 1.8378770664093454835606594728112353

int gp_kernel_parse(const char *name, enum gp_kernel *k,
		    struct pal_error *err)
{
	if (strcmp(name, "rbf") == 0)
		*k = GP_RBF;
	else if (strcmp(name, "matern52") == 0)
		*k = GP_MATERN52;
	else
		return pal_seterr(err, PAL_ERR_USAGE, 0,
				  "unknown kernel '%s' (rbf or matern52)",
				  name);
	return 0;
}

const char *gp_kernel_name(enum gp_kernel k)
{
	return k == GP_MATERN52 ? "matern52" : "rbf";
}

/* ---- kernels ------------------------------------------------------------ */

static double kval(enum gp_kernel kern, double sf2, double r2)
{
	if (kern == GP_RBF)
		return sf2 * exp(-0.5 * r2);
	double s = sqrt(5.0 * r2);
	return sf2 * (1.0 + s + s * s / 3.0) * exp(-s);
}

/* G(r²) = −2·∂k/∂(r²) */
static double kder(enum gp_kernel kern, double sf2, double r2)
{
	if (kern == GP_RBF)
		return sf2 * exp(-0.5 * r2);
	double s = sqrt(5.0 * r2);
	return sf2 * (5.0 / 3.0) * (1.0 + s) * exp(-s);
}

/* u = x / l, n×d */
static void scale_inputs(size_t n, size_t d, const double *theta,
			 const double *x, double *u)
{
	for (size_t k = 0; k < d; k++) {
		double il = exp(-theta[k]);
		for (size_t i = 0; i < n; i++)
			u[i * d + k] = x[i * d + k] * il;
	}
}

/* r2 (na×nb) = squared distances of the rows of ua (na×d) and ub (nb×d),
 * as |a|² + |b|² − 2a·b by GEMM, clamped at 0. */
static void sqdist(size_t d, size_t na, const double *ua, size_t nb,
		   const double *ub, double *r2)
{
	double *nrm = xmalloc((na + nb) * sizeof *nrm);

	for (size_t i = 0; i < na; i++) {
		double s = 0;
		for (size_t k = 0; k < d; k++)
			s += ua[i * d + k] * ua[i * d + k];
		nrm[i] = s;
	}
	for (size_t j = 0; j < nb; j++) {
		double s = 0;
		for (size_t k = 0; k < d; k++)
			s += ub[j * d + k] * ub[j * d + k];
		nrm[na + j] = s;
	}
	la_dgemm(LA_N, LA_T, na, nb, d, -2.0, ua, d, ub, d, 0.0, r2, nb);
	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nb; j++) {
			double v = r2[i * nb + j] + nrm[i] + nrm[na + j];
			r2[i * nb + j] = v < 0 ? 0 : v;	/* NaN kept */
		}
	free(nrm);
}

/* The symmetric r² of the training rows: the lower triangle mirrored and
 * the diagonal exactly 0. */
static void sqdist_sym(size_t n, size_t d, const double *u, double *r2)
{
	sqdist(d, n, u, n, u, r2);
	for (size_t i = 0; i < n; i++) {
		r2[i * n + i] = 0;
		for (size_t j = 0; j < i; j++)
			r2[j * n + i] = r2[i * n + j];
	}
}

void gp_kernel_matrix(enum gp_kernel kernel, size_t d, const double *theta,
		      size_t na, const double *xa, size_t nb,
		      const double *xb, double *kab)
{
	double sf2 = exp(theta[d]);
	double *ua = xmalloc((na + nb) * d * sizeof *ua + 1);
	double *ub = ua + na * d;

	scale_inputs(na, d, theta, xa, ua);
	scale_inputs(nb, d, theta, xb, ub);
	sqdist(d, na, ua, nb, ub, kab);
	for (size_t i = 0; i < na * nb; i++)
		kab[i] = kval(kernel, sf2, kab[i]);
	free(ua);
}

static double r2_naive(size_t d, const double *theta, const double *a,
		       const double *b)
{
	double s = 0;
	for (size_t k = 0; k < d; k++) {
		double t = (a[k] - b[k]) / exp(theta[k]);
		s += t * t;
	}
	return s;
}

void gp_kernel_matrix_naive(enum gp_kernel kernel, size_t d,
			    const double *theta, size_t na, const double *xa,
			    size_t nb, const double *xb, double *kab)
{
	double sf2 = exp(theta[d]);

	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nb; j++)
			kab[i * nb + j] = kval(kernel, sf2,
					       r2_naive(d, theta, xa + i * d,
							xb + j * d));
}

/* ---- factorisation ------------------------------------------------------ */

/* a (n×n) = Cholesky factor of kf + (sn2 + jitter)·I, with the jitter grown
 * from 0 as gp.h says; the jitter used into *jit. */
static int factor(size_t n, const double *kf, double sf2, double sn2,
		  double *a, double *jit, int naive, struct pal_error *err)
{
	double j = 0;
	struct pal_error e;

	for (int t = 0; t <= GP_JITTER_TRIES; t++) {
		memcpy(a, kf, n * n * sizeof *a);
		for (size_t i = 0; i < n; i++)
			a[i * n + i] += sn2 + j;
		int rc = naive ? la_cholesky_naive(n, a, n, &e)
			       : la_cholesky(n, a, n, &e);
		if (rc == 0) {
			*jit = j;
			return 0;
		}
		if (e.kind != PAL_ERR_NUMERIC) {
			if (err)
				*err = e;
			return -1;
		}
		if (t < GP_JITTER_TRIES)
			j = j == 0 ? 1e-10 * (sf2 + sn2) : j * 10;
	}
	return pal_seterr(err, PAL_ERR_NUMERIC, 0,
			  "kernel matrix not positive definite even with "
			  "jitter %g (gp fit; raise the noise floor or remove "
			  "duplicate rows)", j);
}

static int theta_ok(size_t d, const double *theta, struct pal_error *err)
{
	for (size_t k = 0; k < d + 2; k++)
		if (!isfinite(theta[k]) || fabs(theta[k]) > 700)
			return pal_seterr(err, PAL_ERR_NUMERIC, 0,
					  "hyper-parameter %zu is %g, not a "
					  "finite logarithm (gp)", k, theta[k]);
	return 0;
}

/* The workspace of gp_lml and gp_set_theta, allocated at first use (a GP
 * rebuilt by gp_from_parts only predicts, mostly). */
static void workspace(struct gp *gp)
{
	size_t n = gp->n, d = gp->d;

	if (!gp->ws)
		gp->ws = xmalloc((3 * n * n + 2 * n * d + 2 * n) *
				 sizeof *gp->ws);
	if (!gp->ws_l)
		gp->ws_l = xmalloc(n * n * sizeof *gp->ws_l);
}

/* ---- log marginal likelihood ------------------------------------------- */

int gp_lml(struct gp *gp, const double *theta, double *lml, double *grad,
	   struct pal_error *err)
{
	size_t n = gp->n, d = gp->d;
	double sf2 = exp(theta[d]), sn2 = exp(theta[d + 1]), jit;

	if (theta_ok(d, theta, err) != 0)
		return -1;
	workspace(gp);
	double *kf = gp->ws, *a = kf + n * n, *w = a + n * n;
	double *u = w + n * n, *mu = u + n * d, *alpha = mu + n * d;
	double *s = alpha + n;

	scale_inputs(n, d, theta, gp->x, u);
	sqdist_sym(n, d, u, kf);
	for (size_t i = 0; i < n * n; i++)
		kf[i] = kval(gp->kernel, sf2, kf[i]);
	if (factor(n, kf, sf2, sn2, a, &jit, 0, err) != 0)
		return -1;
	memcpy(alpha, gp->y, n * sizeof *alpha);
	la_cholesky_solve(n, 1, a, n, alpha, 1);
	double ya = 0;
	for (size_t i = 0; i < n; i++)
		ya += gp->y[i] * alpha[i];
	*lml = -0.5 * ya - 0.5 * la_cholesky_logdet(n, a, n) -
	       0.5 * (double)n * LOG_2PI;
	if (grad) {
		if (la_cholesky_inverse(n, a, n, w, n, err) != 0)
			return -1;
		/* W = ααᵀ − K⁻¹ */
		double tsf = 0, tsn = 0;
		for (size_t i = 0; i < n; i++) {
			for (size_t j = 0; j < n; j++) {
				double v = alpha[i] * alpha[j] - w[i * n + j];
				w[i * n + j] = v;
				tsf += v * kf[i * n + j];
			}
			tsn += w[i * n + i];
		}
		grad[d] = 0.5 * tsf;
		grad[d + 1] = 0.5 * sn2 * tsn;
		/* M = W∘G over kf's buffer; rbf's G is kf itself */
		if (gp->kernel != GP_RBF) {
			sqdist_sym(n, d, u, kf);
			for (size_t i = 0; i < n * n; i++)
				kf[i] = kder(gp->kernel, sf2, kf[i]);
		}
		for (size_t i = 0; i < n; i++) {
			double si = 0;
			for (size_t j = 0; j < n; j++) {
				double v = w[i * n + j] * kf[i * n + j];
				kf[i * n + j] = v;
				si += v;
			}
			s[i] = si;
		}
		la_dgemm(LA_N, LA_N, n, d, n, 1.0, kf, n, u, d, 0.0, mu, d);
		for (size_t k = 0; k < d; k++) {
			double g = 0;
			for (size_t i = 0; i < n; i++)
				g += u[i * d + k] *
				     (u[i * d + k] * s[i] - mu[i * d + k]);
			grad[k] = g;
		}
	}
	return 0;
}

int gp_lml_naive(const struct gp *gp, const double *theta, double *lml,
		 double *grad, struct pal_error *err)
{
	size_t n = gp->n, d = gp->d;
	double sf2 = exp(theta[d]), sn2 = exp(theta[d + 1]), jit;

	if (theta_ok(d, theta, err) != 0)
		return -1;
	double *kf = xmalloc(n * n * sizeof *kf);
	double *a = xmalloc(n * n * sizeof *a);
	double *alpha = xmalloc(n * sizeof *alpha);
	int rc = -1;

	gp_kernel_matrix_naive(gp->kernel, d, theta, n, gp->x, n, gp->x, kf);
	if (factor(n, kf, sf2, sn2, a, &jit, 1, err) != 0)
		goto out;
	memcpy(alpha, gp->y, n * sizeof *alpha);
	la_cholesky_solve_naive(n, 1, a, n, alpha, 1);
	double ya = 0, logdet = 0;
	for (size_t i = 0; i < n; i++) {
		ya += gp->y[i] * alpha[i];
		logdet += 2 * log(a[i * n + i]);
	}
	*lml = -0.5 * ya - 0.5 * logdet - 0.5 * (double)n * LOG_2PI;
	if (grad) {
		double *w = xmalloc(n * n * sizeof *w);

		la_cholesky_inverse_naive(n, a, n, w, n);
		for (size_t i = 0; i < n * n; i++)
			w[i] = alpha[i / n] * alpha[i % n] - w[i];
		for (size_t p = 0; p < d + 2; p++) {
			double t = 0;
			for (size_t i = 0; i < n; i++)
				for (size_t j = 0; j < n; j++) {
					const double *xi = gp->x + i * d;
					const double *xj = gp->x + j * d;
					double r2 = r2_naive(d, theta, xi, xj);
					double dk;
					if (p < d) {
						double q = (xi[p] - xj[p]) /
							   exp(theta[p]);
						dk = kder(gp->kernel, sf2, r2) *
						     q * q;
					} else if (p == d) {
						dk = kval(gp->kernel, sf2, r2);
					} else {
						dk = i == j ? sn2 : 0;
					}
					t += w[i * n + j] * dk;
				}
			grad[p] = 0.5 * t;
		}
		free(w);
	}
	rc = 0;
out:
	free(kf), free(a), free(alpha);
	return rc;
}

/* ---- fit ---------------------------------------------------------------- */

int gp_set_theta(struct gp *gp, const double *theta, struct pal_error *err)
{
	size_t n = gp->n, d = gp->d;
	double sf2 = exp(theta[d]), sn2 = exp(theta[d + 1]), jit;

	if (theta_ok(d, theta, err) != 0)
		return -1;
	workspace(gp);
	/* into the workspace, swapped in on success */
	double *kf = gp->ws, *l = gp->ws_l, *u = kf + 3 * n * n;

	scale_inputs(n, d, theta, gp->x, u);
	sqdist_sym(n, d, u, kf);
	for (size_t i = 0; i < n * n; i++)
		kf[i] = kval(gp->kernel, sf2, kf[i]);
	if (factor(n, kf, sf2, sn2, l, &jit, 0, err) != 0)
		return -1;
	gp->ws_l = gp->l;
	gp->l = l;
	memcpy(gp->u, u, n * d * sizeof *u);
	gp->jitter = jit;
	memcpy(gp->theta, theta, (d + 2) * sizeof *theta);
	memcpy(gp->alpha, gp->y, n * sizeof *gp->alpha);
	la_cholesky_solve(n, 1, l, n, gp->alpha, 1);
	double ya = 0;
	for (size_t i = 0; i < n; i++)
		ya += gp->y[i] * gp->alpha[i];
	gp->lml = -0.5 * ya - 0.5 * la_cholesky_logdet(n, l, n) -
		  0.5 * (double)n * LOG_2PI;
	return 0;
}

/* The checks of gp_new and gp_from_parts on sizes: 0, or -1 with err. */
static int sizes_ok(size_t n, size_t d, struct pal_error *err)
{
	if (n == 0 || d == 0)
		return pal_seterr(err, PAL_ERR_USAGE, 0,
				  "gaussian process needs at least one row and "
				  "one input (gp; %zu rows, %zu inputs)", n, d);
	if (n > GP_MAX_N)
		return pal_seterr(err, PAL_ERR_LIMIT, 0,
				  "%zu training rows beyond the gaussian "
				  "process's limit of %d (gp; subsample the rows "
				  "or use the mlp committee)", n, GP_MAX_N);
	if (d > 1000000)
		return pal_seterr(err, PAL_ERR_LIMIT, 0,
				  "%zu inputs beyond the gaussian process's "
				  "limit of 1000000 (gp)", d);
	return 0;
}

struct gp *gp_new(enum gp_kernel kernel, size_t n, size_t d,
		  const double *x, const double *y, const double *theta,
		  struct pal_error *err)
{
	if (sizes_ok(n, d, err) != 0)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int ok = isfinite(y[i]);
		for (size_t k = 0; k < d; k++)
			ok = ok && isfinite(x[i * d + k]);
		if (!ok) {
			pal_seterr(err, PAL_ERR_NUMERIC, 0,
				   "training row %zu holds a value that is not "
				   "finite (gp)", i);
			return NULL;
		}
	}
	struct gp *gp = xcalloc(1, sizeof *gp);
	gp->kernel = kernel;
	gp->n = n;
	gp->d = d;
	gp->theta = xcalloc(d + 2, sizeof *gp->theta);
	gp->x = xmalloc(n * d * sizeof *gp->x);
	gp->y = xmalloc(n * sizeof *gp->y);
	gp->alpha = xmalloc(n * sizeof *gp->alpha);
	gp->u = xmalloc(n * d * sizeof *gp->u);
	gp->l = xmalloc(n * n * sizeof *gp->l);
	memcpy(gp->x, x, n * d * sizeof *gp->x);
	memcpy(gp->y, y, n * sizeof *gp->y);

	double *t0 = xcalloc(d + 2, sizeof *t0);
	t0[d + 1] = log(1e-2);	/* l_k = 1, sf2 = 1, sn2 = 1e-2 */
	int rc = gp_set_theta(gp, theta ? theta : t0, err);
	free(t0);
	if (rc != 0) {
		gp_free(gp);
		return NULL;
	}
	return gp;
}

static int all_finite(const double *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isfinite(v[i]))
			return 0;
	return 1;
}

struct gp *gp_from_parts(enum gp_kernel kernel, size_t n, size_t d,
			 const double *x, const double *y,
			 const double *theta, const double *l,
			 const double *alpha, double jitter,
			 struct pal_error *err)
{
	const char *bad = NULL;

	if (sizes_ok(n, d, err) != 0 || theta_ok(d, theta, err) != 0)
		return NULL;
	if (!all_finite(x, n * d))
		bad = "an input";
	else if (!all_finite(y, n))
		bad = "an output";
	else if (!all_finite(alpha, n))
		bad = "alpha";
	else if (!isfinite(jitter) || jitter < 0)
		bad = "the jitter";
	for (size_t i = 0; i < n && !bad; i++) {
		if (!all_finite(l + i * n, i + 1))
			bad = "the cholesky factor";
		else if (!(l[i * n + i] > 0))
			bad = "the cholesky factor's diagonal";
	}
	if (bad) {
		pal_seterr(err, PAL_ERR_NUMERIC, 0, "%s of the gaussian process "
			   "is not %s (gp)", bad,
			   strstr(bad, "diagonal") ? "positive" :
			   strstr(bad, "jitter") ? "finite and >= 0" : "finite");
		return NULL;
	}
	struct gp *gp = xcalloc(1, sizeof *gp);
	gp->kernel = kernel;
	gp->n = n;
	gp->d = d;
	gp->theta = xmalloc((d + 2) * sizeof *gp->theta);
	gp->x = xmalloc(n * d * sizeof *gp->x);
	gp->y = xmalloc(n * sizeof *gp->y);
	gp->alpha = xmalloc(n * sizeof *gp->alpha);
	gp->u = xmalloc(n * d * sizeof *gp->u);
	gp->l = xcalloc(n * n, sizeof *gp->l);
	memcpy(gp->theta, theta, (d + 2) * sizeof *theta);
	memcpy(gp->x, x, n * d * sizeof *gp->x);
	memcpy(gp->y, y, n * sizeof *gp->y);
	memcpy(gp->alpha, alpha, n * sizeof *gp->alpha);
	for (size_t i = 0; i < n; i++)
		memcpy(gp->l + i * n, l + i * n, (i + 1) * sizeof *gp->l);
	scale_inputs(n, d, theta, x, gp->u);
	gp->jitter = jitter;
	double ya = 0;
	for (size_t i = 0; i < n; i++)
		ya += y[i] * alpha[i];
	gp->lml = -0.5 * ya - 0.5 * la_cholesky_logdet(n, gp->l, n) -
		  0.5 * (double)n * LOG_2PI;
	return gp;
}

void gp_free(struct gp *gp)
{
	if (!gp)
		return;
	free(gp->theta), free(gp->x), free(gp->y), free(gp->u);
	free(gp->l), free(gp->alpha), free(gp->ws), free(gp->ws_l);
	free(gp);
}

/* ---- optimisation ------------------------------------------------------- */

void gp_opt_defaults(struct gp_opt *o)
{
	o->restarts = 0;
	o->seed = 0;
	o->lo_len = 1e-3, o->hi_len = 1e3;
	o->lo_sf2 = 1e-3, o->hi_sf2 = 1e3;
	o->lo_sn2 = 1e-10, o->hi_sn2 = 10;
	o->max_iter = 200;
}

struct optctx {
	struct gp *gp;
	const double *lo, *hi;	/* d + 2 each, logs */
	double *theta, *g;	/* d + 2 each: scratch */
	int evals;
};

static double objective(const double *z, double *grad, void *vctx)
{
	struct optctx *c = vctx;
	size_t np = c->gp->d + 2;
	double pen = 0, lml;

	c->evals++;
	for (size_t j = 0; j < np; j++) {
		double t = z[j] < c->lo[j] ? c->lo[j] :
			   z[j] > c->hi[j] ? c->hi[j] : z[j];
		c->theta[j] = t;
		pen += (z[j] - t) * (z[j] - t);
	}
	if (gp_lml(c->gp, c->theta, &lml, c->g, NULL) != 0) {
		for (size_t j = 0; j < np; j++)
			grad[j] = 0;
		return NAN;
	}
	for (size_t j = 0; j < np; j++)
		grad[j] = z[j] != c->theta[j] ? 2 * (z[j] - c->theta[j])
					      : -c->g[j];
	return -lml + pen;
}

int gp_optimize(struct gp *gp, const struct gp_opt *o,
		struct gp_opt_result *res, struct pal_error *err)
{
	struct gp_opt def;
	size_t d = gp->d, np = d + 2;

	if (!o) {
		gp_opt_defaults(&def);
		o = &def;
	}
	if (o->restarts < 0 || o->max_iter < 1 ||
	    !(o->lo_len > 0 && o->lo_len <= o->hi_len && isfinite(o->hi_len)) ||
	    !(o->lo_sf2 > 0 && o->lo_sf2 <= o->hi_sf2 && isfinite(o->hi_sf2)) ||
	    !(o->lo_sn2 > 0 && o->lo_sn2 <= o->hi_sn2 && isfinite(o->hi_sn2)))
		return pal_seterr(err, PAL_ERR_USAGE, 0,
				  "bad gaussian process optimiser options "
				  "(gp; bounds must be 0 < lo <= hi < inf, "
				  "restarts >= 0)");
	double *lo = xmalloc(6 * np * sizeof *lo);
	double *hi = lo + np, *z = hi + np, *best = z + np;
	double *th = best + np, *g = th + np;
	for (size_t k = 0; k < d; k++)
		lo[k] = log(o->lo_len), hi[k] = log(o->hi_len);
	lo[d] = log(o->lo_sf2), hi[d] = log(o->hi_sf2);
	lo[d + 1] = log(o->lo_sn2), hi[d + 1] = log(o->hi_sn2);

	struct optctx c = { gp, lo, hi, th, g, 0 };
	struct lbfgs_params lp;
	struct rng rng;
	double bestf = INFINITY;
	int starts = 0, bestk = -1;

	lbfgs_defaults(&lp);
	lp.max_iter = o->max_iter;
	rng_seed(&rng, o->seed, 0);
	for (int r = 0; r <= o->restarts; r++) {
		if (r == 0) {
			for (size_t k = 0; k < d; k++)
				z[k] = 0;
			z[d] = 0;
			z[d + 1] = log(1e-2);
		} else {
			for (size_t k = 0; k <= d; k++)
				z[k] = log(0.1) + log(100) * rng_uniform(&rng);
			z[d + 1] = log(1e-6) + log(1e5) * rng_uniform(&rng);
		}
		for (size_t j = 0; j < np; j++)
			z[j] = z[j] < lo[j] ? lo[j] : z[j] > hi[j] ? hi[j] : z[j];
		struct lbfgs_result lr;
		if (lbfgs(np, z, objective, &c, &lp, &lr, NULL) != 0)
			continue;
		starts++;
		if (isfinite(lr.f) && lr.f < bestf) {
			bestf = lr.f;
			bestk = r;
			for (size_t j = 0; j < np; j++)
				best[j] = z[j] < lo[j] ? lo[j] :
					  z[j] > hi[j] ? hi[j] : z[j];
		}
	}
	int rc;
	if (bestk < 0)
		rc = pal_seterr(err, PAL_ERR_NUMERIC, 0,
				"every start of the hyper-parameter search "
				"failed (gp; %d starts)", o->restarts + 1);
	else
		rc = gp_set_theta(gp, best, err);
	if (rc == 0 && res) {
		res->starts = starts;
		res->best = bestk;
		res->evals = c.evals;
		res->lml = gp->lml;
	}
	free(lo);
	return rc;
}

/* ---- prediction --------------------------------------------------------- */

void gp_predict(const struct gp *gp, size_t m, const double *xq,
		double *mean, double *std, double *grad)
{
	size_t n = gp->n, d = gp->d, bs = GP_PREDICT_BLOCK;
	double sf2 = exp(gp->theta[d]);
	double *uq = xmalloc(bs * d * sizeof *uq);
	double *ks = xmalloc(n * bs * sizeof *ks);
	double *gs = grad ? xmalloc(n * bs * sizeof *gs) : NULL;
	double *au = grad ? xmalloc(n * d * sizeof *au) : NULL;
	double *ga = grad ? xmalloc(bs * sizeof *ga) : NULL;
	double *var = xmalloc(bs * sizeof *var);

	if (grad)
		for (size_t i = 0; i < n; i++)
			for (size_t k = 0; k < d; k++)
				au[i * d + k] = gp->alpha[i] * gp->u[i * d + k];
	for (size_t j0 = 0; j0 < m; j0 += bs) {
		size_t b = m - j0 < bs ? m - j0 : bs;

		scale_inputs(b, d, gp->theta, xq + j0 * d, uq);
		sqdist(d, n, gp->u, b, uq, ks);	/* n×b */
		for (size_t i = 0; i < n * b; i++) {
			if (grad)
				gs[i] = kder(gp->kernel, sf2, ks[i]);
			ks[i] = kval(gp->kernel, sf2, ks[i]);
		}
		la_dgemm(LA_T, LA_N, b, 1, n, 1.0, ks, b, gp->alpha, 1, 0.0,
			 mean + j0, 1);
		if (grad) {
			double *gr = grad + j0 * d;
			la_dgemm(LA_T, LA_N, b, 1, n, 1.0, gs, b, gp->alpha, 1,
				 0.0, ga, 1);
			la_dgemm(LA_T, LA_N, b, d, n, 1.0, gs, b, au, d, 0.0,
				 gr, d);
			for (size_t j = 0; j < b; j++)
				for (size_t k = 0; k < d; k++)
					gr[j * d + k] = -(uq[j * d + k] * ga[j] -
							  gr[j * d + k]) /
							exp(gp->theta[k]);
		}
		if (std) {
			la_trsm_lower(LA_N, n, b, gp->l, n, ks, b);
			for (size_t j = 0; j < b; j++)
				var[j] = 0;
			for (size_t i = 0; i < n; i++)
				for (size_t j = 0; j < b; j++)
					var[j] += ks[i * b + j] * ks[i * b + j];
			for (size_t j = 0; j < b; j++) {
				double v = sf2 - var[j];
				std[j0 + j] = v > 0 ? sqrt(v) : 0;
			}
		}
	}
	free(uq), free(ks), free(gs), free(au), free(ga), free(var);
}

void gp_predict_naive(const struct gp *gp, size_t m, const double *xq,
		      double *mean, double *std, double *grad)
{
	size_t n = gp->n, d = gp->d;
	const double *theta = gp->theta;
	double sf2 = exp(theta[d]);
	double *v = xmalloc(n * sizeof *v);

	for (size_t j = 0; j < m; j++) {
		const double *q = xq + j * d;
		double mu = 0;
		if (grad)
			for (size_t k = 0; k < d; k++)
				grad[j * d + k] = 0;
		for (size_t i = 0; i < n; i++) {
			const double *xi = gp->x + i * d;
			double r2 = r2_naive(d, theta, q, xi);
			v[i] = kval(gp->kernel, sf2, r2);
			mu += v[i] * gp->alpha[i];
			if (grad) {
				double gg = kder(gp->kernel, sf2, r2);
				for (size_t k = 0; k < d; k++) {
					double l2 = exp(2 * theta[k]);
					grad[j * d + k] -= gp->alpha[i] * gg *
							   (q[k] - xi[k]) / l2;
				}
			}
		}
		mean[j] = mu;
		if (std) {
			/* forward substitution L·w = k* */
			double s = 0;
			for (size_t i = 0; i < n; i++) {
				double t = v[i];
				for (size_t k = 0; k < i; k++)
					t -= gp->l[i * n + k] * v[k];
				v[i] = t / gp->l[i * n + i];
				s += v[i] * v[i];
			}
			double var = sf2 - s;
			std[j] = var > 0 ? sqrt(var) : 0;
		}
	}
	free(v);
}

void gp_standardize(size_t n, size_t ncol, double *a, double *mean,
		    double *std)
{
	for (size_t c = 0; c < ncol; c++) {
		double s = 0, ss = 0;
		for (size_t i = 0; i < n; i++)
			s += a[i * ncol + c];
		double mu = n ? s / (double)n : 0;
		for (size_t i = 0; i < n; i++) {
			double t = a[i * ncol + c] - mu;
			ss += t * t;
		}
		double sd = n ? sqrt(ss / (double)n) : 0;
		if (!(sd > 0))
			sd = 1;
		mean[c] = mu;
		std[c] = sd;
		for (size_t i = 0; i < n; i++)
			a[i * ncol + c] = (a[i * ncol + c] - mu) / sd;
	}
}
