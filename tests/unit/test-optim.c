/*
 * test-optim.c: unit tests of libcommon/optim.c.
 *
 *   - each first-order optimiser's steps against its formula (optim.h,
 *     after mpi_learn's optimizer.py), written again here element by
 *     element, over a few steps on a small vector: to 1e-6 relative in
 *     f32 and 1e-12 in f64;
 *   - each minimises a convex quadratic from its defaults;
 *   - L-BFGS on functions with known minima (a quadratic, Rosenbrock from
 *     (-1.2, 1), a 10-D separable function), printing iterations and the
 *     error at the minimum;
 *   - the finite-difference gradient check, on a right and a wrong
 *     gradient.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "optim.h"
#include "rng.h"
#include "unit.h"
#include "banned.h"

static struct rng R;

static double unif(void)
{
	return 2 * rng_uniform(&R) - 1;
}

#define N 6
#define STEPS 5

/*
 * The reference: one element's state and update, straight from the
 * formulas, in double.  st[0], st[1] are the two state variables.
 */
static double ref_update(enum optim_kind kind, const struct optim_params *p,
			 int t, double w, double g, double st[2])
{
	double gg = g + p->weight_decay * w;

	switch (kind) {
	case OPTIM_SGD:
		return w - p->lr * gg;
	case OPTIM_MOMENTUM: {
		double v = p->momentum * st[0] - p->lr * gg;

		st[0] = v;
		return w + v;
	}
	case OPTIM_RMSPROP: {
		double r = p->rho * st[0] + (1 - p->rho) * gg * gg;

		st[0] = r;
		return w - p->lr * gg / sqrt(r + p->eps);
	}
	case OPTIM_ADAM: {
		double m = p->beta1 * st[0] + (1 - p->beta1) * gg;
		double v = p->beta2 * st[1] + (1 - p->beta2) * gg * gg;
		double a = p->lr * sqrt(1 - pow(p->beta2, t)) /
			   (1 - pow(p->beta1, t));

		st[0] = m;
		st[1] = v;
		return w - a * m / (sqrt(v) + p->eps);
	}
	case OPTIM_ADADELTA: {
		double r = p->rho * st[0] + (1 - p->rho) * gg * gg;
		double u = p->lr * sqrt(st[1] + p->eps) / sqrt(r + p->eps) * gg;

		st[0] = r;
		st[1] = p->rho * st[1] + (1 - p->rho) * u * u;
		return w - u;
	}
	}
	return NAN;
}

static const enum optim_kind kinds[] = {
	OPTIM_SGD, OPTIM_MOMENTUM, OPTIM_RMSPROP, OPTIM_ADAM, OPTIM_ADADELTA,
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

/* STEPS steps of kind (with p, or the defaults) in f32 and f64, against
 * the reference; gradients of mixed sizes and signs, one exactly 0. */
static void step_case(enum optim_kind kind, const struct optim_params *pp,
		      const char *what)
{
	struct optim_params p;
	struct optim *o32, *o64;
	struct pal_error e = { 0 };
	float w32[N];
	double w64[N], wr32[N], wr64[N], st32[N][2] = { { 0 } },
	       st64[N][2] = { { 0 } }, err32 = 0, err64 = 0;

	if (pp)
		p = *pp;
	else
		optim_defaults(kind, &p);
	o32 = optim_new(kind, pp, N, &e);
	o64 = optim_new(kind, pp, N, &e);
	for (int i = 0; i < N; i++) {
		w64[i] = wr64[i] = unif();
		w32[i] = (float)w64[i];
		wr32[i] = w32[i];
	}
	for (int t = 1; t <= STEPS; t++) {
		float g32[N];
		double g64[N];

		for (int i = 0; i < N; i++) {
			g64[i] = i == 2 ? 0 : unif() * pow(10, i - 3);
			g32[i] = (float)g64[i];
		}
		optim_step(o32, w32, g32);
		optim_step_f64(o64, w64, g64);
		for (int i = 0; i < N; i++) {
			/* the f32 reference rounds w as optim_step does */
			wr32[i] = (float)ref_update(kind, &p, t, wr32[i],
						    g32[i], st32[i]);
			wr64[i] = ref_update(kind, &p, t, wr64[i], g64[i],
					     st64[i]);
			err32 = fmax(err32, fabs(w32[i] - wr32[i]) /
				     fmax(fabs(wr32[i]), 1e-30));
			err64 = fmax(err64, fabs(w64[i] - wr64[i]) /
				     fmax(fabs(wr64[i]), 1e-30));
		}
	}
	CHECK(o32->t == STEPS && err32 <= 1e-6 && err64 <= 1e-12,
	      "%s %s: %d steps of %d elements against the formula: max rel "
	      "error f32 %.3g <= 1e-6, f64 %.3g <= 1e-12", optim_name(kind),
	      what, STEPS, N, err32, err64);
	optim_free(o32);
	optim_free(o64);
}

static void test_steps(void)
{
	for (size_t k = 0; k < NKINDS; k++) {
		struct optim_params p;

		step_case(kinds[k], NULL, "(defaults)");
		optim_defaults(kinds[k], &p);
		p.lr *= 3;
		p.weight_decay = 0.1;
		p.rho = 0.8;
		p.momentum = 0.5;
		p.beta1 = 0.8;
		p.beta2 = 0.99;
		p.eps = 1e-6;
		step_case(kinds[k], &p, "(lr x3, wd 0.1, rho 0.8, mu 0.5, "
			  "b1 0.8, b2 0.99, eps 1e-6)");
	}
}

static void test_defaults(void)
{
	struct optim_params p[5];
	struct pal_error e = { 0 };
	enum optim_kind k = OPTIM_SGD;

	for (int i = 0; i < 5; i++)
		optim_defaults(kinds[i], &p[i]);
	CHECK(p[0].lr == 0.01 && p[0].weight_decay == 0,
	      "sgd default lr 0.01 (mpi_learn VanillaSGD)");
	CHECK(p[1].lr == 0.01 && p[1].momentum == 0.9,
	      "momentum defaults lr 0.01, mu 0.9");
	CHECK(p[2].lr == 0.001 && p[2].rho == 0.9 && p[2].eps == 1e-8,
	      "rmsprop defaults lr 0.001, rho 0.9, eps 1e-8 (mpi_learn)");
	CHECK(p[3].lr == 0.001 && p[3].beta1 == 0.9 && p[3].beta2 == 0.999 &&
	      p[3].eps == 1e-8, "adam defaults lr 0.001, b1 0.9, b2 0.999, "
	      "eps 1e-8 (mpi_learn)");
	CHECK(p[4].lr == 1 && p[4].rho == 0.95 && p[4].eps == 1e-8,
	      "adadelta defaults rho 0.95, eps 1e-8, no learning rate "
	      "(mpi_learn)");
	for (size_t i = 0; i < NKINDS; i++) {
		int rc = optim_parse(optim_name(kinds[i]), &k, &e);

		CHECK(rc == 0 && k == kinds[i], "optim_parse(\"%s\")",
		      optim_name(kinds[i]));
	}
	CHECK(optim_parse("adagrad", &k, &e) == -1 &&
	      e.kind == PAL_ERR_USAGE &&
	      !strcmp(e.msg, "unknown optimizer 'adagrad'"),
	      "optim_parse refuses adagrad: \"%s\"", e.msg);
	p[0].lr = 0;
	CHECK(optim_new(OPTIM_SGD, &p[0], 3, &e) == NULL &&
	      !strcmp(e.msg, "learning rate out of range (sgd)"),
	      "lr 0 refused: \"%s\"", e.msg);
	p[3].beta2 = 1;
	CHECK(optim_new(OPTIM_ADAM, &p[3], 3, &e) == NULL &&
	      !strcmp(e.msg, "beta2 out of range (adam)"),
	      "beta2 1 refused: \"%s\"", e.msg);
	p[2].eps = NAN;
	CHECK(optim_new(OPTIM_RMSPROP, &p[2], 3, &e) == NULL &&
	      !strcmp(e.msg, "epsilon out of range (rmsprop)"),
	      "eps NaN refused: \"%s\"", e.msg);
}

/*
 * f(w) = ½ Σ a_i (w_i − c_i)², a_i from 0.5 to 2, from w = 0, with each
 * optimiser's defaults.  The constant-step methods (SGD, momentum)
 * converge linearly; RMSProp, Adam and AdaDelta take steps of about lr
 * (AdaDelta: growing from sqrt(eps)) and end within about lr of the
 * minimum, so their tolerances are stated per optimiser.
 */
static void test_quadratic(void)
{
	static const struct {
		enum optim_kind kind;
		int steps;
		double tol;
	} cases[] = {
		{ OPTIM_SGD, 3000, 1e-5 },
		{ OPTIM_MOMENTUM, 1000, 1e-5 },
		{ OPTIM_RMSPROP, 3000, 2e-3 },
		{ OPTIM_ADAM, 3000, 1e-4 },
		{ OPTIM_ADADELTA, 3000, 1e-2 },
	};
	enum { n = 10 };
	double a[n], c[n];

	for (int i = 0; i < n; i++) {
		a[i] = 0.5 + 1.5 * i / (n - 1);
		c[i] = unif();
	}
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		struct optim *o = optim_new(cases[k].kind, NULL, n, NULL);
		float w[n], g[n];
		double d0 = 0, d = 0;

		for (int i = 0; i < n; i++) {
			w[i] = 0;
			d0 = fmax(d0, fabs(c[i]));
		}
		for (int s = 0; s < cases[k].steps; s++) {
			for (int i = 0; i < n; i++)
				g[i] = (float)(a[i] * (w[i] - c[i]));
			optim_step(o, w, g);
		}
		for (int i = 0; i < n; i++)
			d = fmax(d, fabs(w[i] - c[i]));
		CHECK(d <= cases[k].tol, "%s minimises a 10-D quadratic "
		      "(curvatures 0.5..2): max |w - w*| %.3g -> %.3g after %d "
		      "steps, <= %g", optim_name(cases[k].kind), d0, d,
		      cases[k].steps, cases[k].tol);
		optim_free(o);
	}
}

/* ---- L-BFGS ------------------------------------------------------------ */

/* ½ Σ (i+1)·(x_i − 1)² + Σ 0.1·(x_i − 1)(x_{i+1} − 1), n = 10: SPD
 * (diagonally dominant), minimum 0 at all ones. */
static double quad(const double *x, double *g, void *ctx)
{
	size_t n = *(size_t *)ctx;
	double f = 0;

	for (size_t i = 0; i < n; i++) {
		double u = x[i] - 1;

		f += 0.5 * (double)(i + 1) * u * u;
		g[i] = (double)(i + 1) * u;
	}
	for (size_t i = 0; i + 1 < n; i++) {
		f += 0.1 * (x[i] - 1) * (x[i + 1] - 1);
		g[i] += 0.1 * (x[i + 1] - 1);
		g[i + 1] += 0.1 * (x[i] - 1);
	}
	return f;
}

/* Rosenbrock: 100 (y − x²)² + (1 − x)², minimum 0 at (1, 1). */
static double rosen(const double *x, double *g, void *ctx)
{
	double a = x[1] - x[0] * x[0], b = 1 - x[0];

	(void)ctx;
	g[0] = -400 * x[0] * a - 2 * b;
	g[1] = 200 * a;
	return 100 * a * a + b * b;
}

/* Σ exp(u_i) − u_i − 1 with u_i = x_i − i/2, n = 10: separable, not
 * quadratic, minimum 0 at x_i = i/2. */
static double sepexp(const double *x, double *g, void *ctx)
{
	double f = 0;

	(void)ctx;
	for (int i = 0; i < 10; i++) {
		double u = x[i] - i / 2.0;

		f += exp(u) - u - 1;
		g[i] = exp(u) - 1;
	}
	return f;
}

/* A gradient off by 1% in one component, for the gradient check. */
static double rosen_wrong(const double *x, double *g, void *ctx)
{
	double f = rosen(x, g, ctx);

	g[1] *= 1.01;
	return f;
}

/* (x − 2)², infinite past x = 3: the line search must step back. */
static double walled(const double *x, double *g, void *ctx)
{
	(void)ctx;
	if (x[0] > 3)
		return INFINITY;
	g[0] = 2 * (x[0] - 2);
	return (x[0] - 2) * (x[0] - 2);
}

static void lbfgs_case(const char *what, size_t n, double *x, optim_fn fn,
		       void *ctx, const double *xmin, double tol)
{
	struct lbfgs_params p;
	struct lbfgs_result r;
	struct pal_error e = { 0 };
	double d = 0;
	int rc;

	lbfgs_defaults(&p);
	p.gtol = 1e-9;
	p.ftol = 0;
	rc = lbfgs(n, x, fn, ctx, &p, &r, &e);
	for (size_t i = 0; i < n; i++)
		d = fmax(d, fabs(x[i] - xmin[i]));
	/* gtol 1e-9 can be below what f's rounding resolves: a line search
	 * that finds no decrease there is an accepted end */
	CHECK(rc == 0 && (r.stop == LBFGS_GTOL || r.stop == LBFGS_LINESEARCH) &&
	      d <= tol, "lbfgs %s: %d iterations, %d evaluations, f %.3g, "
	      "max |grad| %.3g, max |x - x*| %.3g <= %g (stop %d)", what,
	      r.iters, r.evals, r.f, r.gmax, d, tol, (int)r.stop);
}

static void test_lbfgs(void)
{
	double x[10], xm[10];
	size_t n = 10;
	struct lbfgs_result r;
	struct pal_error e = { 0 };
	int rc;

	for (int i = 0; i < 10; i++) {
		x[i] = 3 * unif();
		xm[i] = 1;
	}
	lbfgs_case("10-D quadratic (curvatures 1..10, coupled)", n, x, quad,
		   &n, xm, 1e-8);

	x[0] = -1.2;
	x[1] = 1;
	lbfgs_case("Rosenbrock from (-1.2, 1)", 2, x, rosen, NULL, xm, 1e-7);

	for (int i = 0; i < 10; i++) {
		x[i] = 0;
		xm[i] = i / 2.0;
	}
	lbfgs_case("10-D separable sum exp(u) - u - 1 from 0", 10, x, sepexp,
		   NULL, xm, 1e-8);

	x[0] = -10;
	xm[0] = 2;
	lbfgs_case("1-D (x-2)^2, infinite past x = 3, from -10", 1, x, walled,
		   NULL, xm, 1e-8);

	/* default tolerances: scipy's, stop by gtol or ftol */
	x[0] = -1.2;
	x[1] = 1;
	rc = lbfgs(2, x, rosen, NULL, NULL, &r, &e);
	CHECK(rc == 0 &&
	      (r.stop == LBFGS_GTOL || r.stop == LBFGS_FTOL) &&
	      fabs(x[0] - 1) < 1e-3 && fabs(x[1] - 1) < 1e-3,
	      "lbfgs Rosenbrock with the defaults (gtol 1e-5, ftol 2.2e-9): "
	      "%d iterations, x (%.6f, %.6f), stop %d", r.iters, x[0], x[1],
	      (int)r.stop);

	/* max_iter */
	{
		struct lbfgs_params p;

		lbfgs_defaults(&p);
		p.max_iter = 3;
		x[0] = -1.2;
		x[1] = 1;
		rc = lbfgs(2, x, rosen, NULL, &p, &r, &e);
		CHECK(rc == 0 &&
		      r.stop == LBFGS_MAXITER && r.iters == 3 &&
		      r.f < 24.2, "lbfgs max_iter 3: stops at 3, f %.4g "
		      "below f(x0) = 24.2", r.f);
	}

	/* a non-finite start is an error */
	x[0] = 5;
	rc = lbfgs(1, x, walled, NULL, NULL, &r, &e);
	CHECK(rc == -1 &&
	      e.kind == PAL_ERR_NUMERIC &&
	      !strcmp(e.msg, "objective or its gradient not finite at the "
		      "start (lbfgs)"), "lbfgs from outside the domain: \"%s\"",
	      e.msg);
}

static void test_gradcheck(void)
{
	double x[10], fd[2];
	size_t worst = 99, n = 10;
	double err;

	x[0] = -1.2;
	x[1] = 1;
	err = optim_gradcheck(2, x, rosen, NULL, 1e-6, 1e-8, fd, &worst);
	CHECK(err <= 1e-7, "gradcheck of Rosenbrock at (-1.2, 1): max rel "
	      "error %.3g <= 1e-7 (fd %.6f, %.6f; want -215.6, -88)", err,
	      fd[0], fd[1]);
	err = optim_gradcheck(2, x, rosen_wrong, NULL, 1e-6, 1e-8, NULL,
			      &worst);
	CHECK(err > 5e-3 && worst == 1, "gradcheck finds a gradient 1%% off "
	      "in component 1: rel error %.3g at %zu", err, worst);
	for (size_t i = 0; i < n; i++)
		x[i] = unif();
	err = optim_gradcheck(n, x, quad, &n, 1e-6, 1e-8, NULL, NULL);
	CHECK(err <= 1e-7, "gradcheck of the 10-D quadratic: %.3g <= 1e-7",
	      err);
}

int main(void)
{
	rng_seed(&R, 20261127, 1);
	test_defaults();
	test_steps();
	test_quadratic();
	test_lbfgs();
	test_gradcheck();
	return done();
}
