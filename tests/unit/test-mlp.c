/*
 * test-mlp.c: unit tests of libcommon/mlp.c, the MLP committee.
 *
 * The naive reference (double, plain loops) is checked against central
 * finite differences, tightly: the parameter gradient of the MSE, with and
 * without the force term, and the input gradient.  Then the fast path (f32,
 * sgemm) is checked against the naive reference on the same parameters and
 * data.  Every comparison prints its max error, relative to the largest
 * magnitude of the reference.  Tolerances:
 *
 *	FD vs naive (double, h = 1e-5)		1e-8  (truncation ~h^2,
 *						       rounding ~1e-16/h)
 *	fast (f32) vs naive (double)		1e-5  (f32 eps 6e-8 times sums
 *						       of up to 64 terms and
 *						       the gradient's chains)
 *	fast (f64) vs naive (double)		1e-12 (the same in double)
 *
 * relu's kink: FD points are drawn again until no pre-activation of the
 * base point lies within 1e-3 of 0, so that a step of 1e-5 never crosses
 * it.  A small training loop (SGD with momentum, written here) fits a
 * 1-D sine.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"
#include "rng.h"
#include "unit.h"
#include "banned.h"

static const int acts[] = { MLP_TANH, MLP_RELU, MLP_SILU };

static void uniform(struct rng *r, double *v, size_t len, double lo,
		    double hi)
{
	size_t e;

	for (e = 0; e < len; e++)
		v[e] = lo + (hi - lo) * rng_uniform(r);
}

static float *to_float(const double *v, size_t len)
{
	float *f = xmalloc(len * sizeof(float) + 1);
	size_t e;

	for (e = 0; e < len; e++)
		f[e] = (float)v[e];
	return f;
}

/* f rounded to double: the exact values the fast path sees */
static void round_f32(double *v, size_t len)
{
	size_t e;

	for (e = 0; e < len; e++)
		v[e] = (float)v[e];
}

/* max |a - b| / max |b| */
static double relerr_d(const double *a, const double *b, size_t len)
{
	double num = 0, den = 1e-300;
	size_t e;

	for (e = 0; e < len; e++) {
		if (fabs(a[e] - b[e]) > num)
			num = fabs(a[e] - b[e]);
		if (fabs(b[e]) > den)
			den = fabs(b[e]);
	}
	return num / den;
}

static double relerr_f(const float *a, const double *b, size_t len)
{
	double *ad = xmalloc(len * sizeof(double) + 1), r;
	size_t e;

	for (e = 0; e < len; e++)
		ad[e] = a[e];
	r = relerr_d(ad, b, len);
	free(ad);
	return r;
}

/* Random parameters: mlp_init_params, then biases uniform in [-0.5, 0.5]
 * so that their gradients are not those of a network at its start. */
static double *rand_theta(const struct mlp *net, uint64_t seed)
{
	float *f = xmalloc(net->np * sizeof(float));
	double *t = xmalloc(net->np * sizeof(double));
	struct rng r;
	size_t e;
	int m, l;

	mlp_init_params(net, f, seed);
	for (e = 0; e < net->np; e++)
		t[e] = f[e];
	rng_seed(&r, seed, 1000);
	for (m = 0; m < net->m; m++)
		for (l = 1; l <= net->nl; l++)
			uniform(&r, t + m * net->np1 + net->boff[l],
				(size_t)net->w[l], -0.5, 0.5);
	free(f);
	return t;
}

/*
 * The smallest |pre-activation| of the hidden layers over the members and
 * rows: the first l layers of a member are a prefix of its parameters, so
 * z[l] is the output of a one-member net of l layers on that prefix.
 */
static double min_abs_preact(const struct mlp *net, const double *theta,
			     const double *x, int n)
{
	double best = INFINITY;
	int m, l, hid[MLP_MAX_HIDDEN];

	for (l = 1; l < net->nl; l++)
		hid[l - 1] = net->w[l];
	for (m = 0; m < net->m; m++)
		for (l = 1; l < net->nl; l++) {
			struct mlp sub;
			double *z = xmalloc((size_t)n * net->w[l] * sizeof(double));
			size_t e;

			if (mlp_init(&sub, 1, net->d, l - 1, hid, net->w[l],
				     net->act, NULL) < 0)
				abort();
			mlp_forward_naive(&sub, theta + m * net->np1, x, n, z);
			for (e = 0; e < (size_t)n * net->w[l]; e++)
				if (fabs(z[e]) < best)
					best = fabs(z[e]);
			free(z);
		}
	return best;
}

/* ---- the naive reference against finite differences ------------------- */

static void fd_params(int act, int k, int force)
{
	static const int hid[] = { 5, 4 };
	const int m = 2, d = 3, n = 4;
	const double h = 1e-5, gw = 0.7;
	struct mlp net;
	struct rng r;
	double *theta, *x, *y, *g = NULL, *an, *fd, loss[2];
	double lp2[2], lm2[2];
	size_t e;
	int tries = 0;

	if (mlp_init(&net, m, d, 2, hid, k, act, NULL) < 0)
		abort();
	theta = rand_theta(&net, 11);
	x = xmalloc((size_t)n * d * sizeof(double));
	y = xmalloc((size_t)n * k * sizeof(double));
	if (force)
		g = xmalloc((size_t)n * d * sizeof(double));
	rng_seed(&r, 12, 0);
	do {
		uniform(&r, x, (size_t)n * d, -1, 1);
	} while (act == MLP_RELU &&
		 min_abs_preact(&net, theta, x, n) < 1e-3 && ++tries < 100);
	uniform(&r, y, (size_t)n * k, -1, 1);
	if (force)
		uniform(&r, g, (size_t)n * d, -1, 1);
	an = xmalloc(net.np * sizeof(double));
	fd = xmalloc(net.np * sizeof(double));
	mlp_loss_grad_naive(&net, theta, x, y, g, gw, n, loss, an);
	for (e = 0; e < net.np; e++) {
		double t0 = theta[e], *scratch = xmalloc(net.np * sizeof(double));
		size_t mem = e / net.np1;

		theta[e] = t0 + h;
		mlp_loss_grad_naive(&net, theta, x, y, g, gw, n, lp2, scratch);
		theta[e] = t0 - h;
		mlp_loss_grad_naive(&net, theta, x, y, g, gw, n, lm2, scratch);
		theta[e] = t0;
		fd[e] = (lp2[mem] - lm2[mem]) / (2 * h);
		free(scratch);
	}
	{
		double err = relerr_d(an, fd, net.np);

		CHECK(err < 1e-8, "%s, k=%d%s: naive parameter gradient vs "
		      "central FD over %zu parameters, max rel err %.2e "
		      "(tol 1e-8; loss %.4f)", mlp_act_name(act), k,
		      force ? ", force term" : "", net.np, err, loss[0]);
	}
	free(theta);
	free(x);
	free(y);
	free(g);
	free(an);
	free(fd);
	mlp_free(&net);
}

static void fd_input(int act)
{
	static const int hid[] = { 6, 5 };
	const int m = 3, d = 4, n = 5;
	const double h = 1e-5;
	struct mlp net;
	struct rng r;
	double *theta, *x, *an, *fd, *op, *om, err;
	size_t e;
	int tries = 0, mem, i;

	if (mlp_init(&net, m, d, 2, hid, 1, act, NULL) < 0)
		abort();
	theta = rand_theta(&net, 21);
	x = xmalloc((size_t)n * d * sizeof(double));
	rng_seed(&r, 22, 0);
	do {
		uniform(&r, x, (size_t)n * d, -1, 1);
	} while (act == MLP_RELU &&
		 min_abs_preact(&net, theta, x, n) < 1e-3 && ++tries < 100);
	an = xmalloc((size_t)m * n * d * sizeof(double));
	fd = xmalloc((size_t)m * n * d * sizeof(double));
	op = xmalloc((size_t)m * n * sizeof(double));
	om = xmalloc((size_t)m * n * sizeof(double));
	mlp_input_grad_naive(&net, theta, x, n, an);
	for (e = 0; e < (size_t)n * d; e++) {
		double x0 = x[e];

		i = (int)(e / d);
		x[e] = x0 + h;
		mlp_forward_naive(&net, theta, x, n, op);
		x[e] = x0 - h;
		mlp_forward_naive(&net, theta, x, n, om);
		x[e] = x0;
		for (mem = 0; mem < m; mem++)
			fd[((size_t)mem * n + i) * d + e % d] =
				(op[mem * n + i] - om[mem * n + i]) / (2 * h);
	}
	err = relerr_d(an, fd, (size_t)m * n * d);
	CHECK(err < 1e-8, "%s: naive input gradient vs central FD over %d "
	      "members x %d rows x %d inputs, max rel err %.2e (tol 1e-8)",
	      mlp_act_name(act), m, n, d, err);
	free(theta);
	free(x);
	free(an);
	free(fd);
	free(op);
	free(om);
	mlp_free(&net);
}

/* ---- the fast path against the naive reference ------------------------- */

static void fast_vs_naive(int act, int k)
{
	static const int hid[] = { 16, 64, 8 };
	const int m = 3, d = 5, n = 37;
	const float gw = 0.3f;
	struct mlp net;
	struct pal_error err;
	struct rng r;
	double *theta, *x, *y, *g, *out, *gx, *grad, loss[3], e1;
	float *thf, *xf, *yf, *gf, *outf, *gxf, *gradf, lossf[3];
	size_t nx = (size_t)n * d;
	int rc, mem;

	if (mlp_init(&net, m, d, 3, hid, k, act, NULL) < 0)
		abort();
	theta = rand_theta(&net, 31 + (uint64_t)k);
	x = xmalloc((size_t)m * nx * sizeof(double));
	y = xmalloc((size_t)m * n * k * sizeof(double));
	g = xmalloc((size_t)m * nx * sizeof(double));
	rng_seed(&r, 32, 0);
	uniform(&r, x, (size_t)m * nx, -2, 2);
	uniform(&r, y, (size_t)m * n * k, -1, 1);
	uniform(&r, g, (size_t)m * nx, -1, 1);
	round_f32(x, (size_t)m * nx);
	round_f32(y, (size_t)m * n * k);
	round_f32(g, (size_t)m * nx);
	thf = to_float(theta, net.np);
	xf = to_float(x, (size_t)m * nx);
	yf = to_float(y, (size_t)m * n * k);
	gf = to_float(g, (size_t)m * nx);
	out = xmalloc((size_t)m * n * k * sizeof(double));
	outf = xmalloc((size_t)m * n * k * sizeof(float));
	gx = xmalloc((size_t)m * nx * sizeof(double));
	gxf = xmalloc((size_t)m * nx * sizeof(float));
	grad = xmalloc(net.np * sizeof(double));
	gradf = xmalloc(net.np * sizeof(float));

	/* forward, shared rows */
	mlp_forward_naive(&net, theta, x, n, out);
	rc = mlp_forward(&net, thf, xf, n, 0, outf, &err);
	e1 = relerr_f(outf, out, (size_t)m * n * k);
	CHECK(rc == 0 && e1 < 1e-5, "%s, k=%d: forward, fast (f32) vs naive "
	      "(double), max rel err %.2e (tol 1e-5)", mlp_act_name(act), k, e1);

	/* forward, per-member rows: member m against the naive on its rows */
	rc = mlp_forward(&net, thf, xf, n, 1, outf, &err);
	e1 = 0;
	for (mem = 0; mem < m; mem++) {
		double em;

		mlp_forward_naive(&net, theta, x + mem * nx, n, out);
		em = relerr_f(outf + (size_t)mem * n * k,
			      out + (size_t)mem * n * k, (size_t)n * k);
		if (em > e1)
			e1 = em;
	}
	CHECK(rc == 0 && e1 < 1e-5, "%s, k=%d: forward with per-member rows, "
	      "fast vs naive, max rel err %.2e (tol 1e-5)", mlp_act_name(act),
	      k, e1);

	/* the MSE's gradient, shared rows */
	{
		struct mlp_batch b = { xf, yf, NULL, 0, n, 0 };

		mlp_loss_grad_naive(&net, theta, x, y, NULL, 0, n, loss, grad);
		rc = mlp_loss_grad(&net, thf, &b, lossf, gradf, &err);
		e1 = relerr_f(gradf, grad, net.np);
		CHECK(rc == 0 && e1 < 1e-5, "%s, k=%d: MSE gradient, fast vs "
		      "naive, max rel err %.2e (tol 1e-5)", mlp_act_name(act),
		      k, e1);
		e1 = 0;
		for (mem = 0; mem < m; mem++)
			if (fabs(lossf[mem] - loss[mem]) / loss[mem] > e1)
				e1 = fabs(lossf[mem] - loss[mem]) / loss[mem];
		CHECK(rc == 0 && e1 < 1e-5, "%s, k=%d: MSE loss, fast vs naive, "
		      "max rel err %.2e (tol 1e-5)", mlp_act_name(act), k, e1);
	}

	/* the MSE's gradient with per-member rows */
	{
		struct mlp_batch b = { xf, yf, NULL, 0, n, 1 };
		double *gm = xmalloc(net.np * sizeof(double));

		rc = mlp_loss_grad(&net, thf, &b, lossf, gradf, &err);
		for (mem = 0; mem < m; mem++) {
			mlp_loss_grad_naive(&net, theta, x + mem * nx,
					    y + (size_t)mem * n * k, NULL, 0, n,
					    loss, gm);
			memcpy(grad + mem * net.np1, gm + mem * net.np1,
			       net.np1 * sizeof(double));
		}
		e1 = relerr_f(gradf, grad, net.np);
		CHECK(rc == 0 && e1 < 1e-5, "%s, k=%d: MSE gradient with "
		      "per-member rows, fast vs naive, max rel err %.2e "
		      "(tol 1e-5)", mlp_act_name(act), k, e1);
		free(gm);
	}

	if (k == 1) {
		struct mlp_batch b = { xf, yf, gf, gw, n, 0 };

		mlp_input_grad_naive(&net, theta, x, n, gx);
		rc = mlp_input_grad(&net, thf, xf, n, 0, outf, gxf, &err);
		e1 = relerr_f(gxf, gx, (size_t)m * nx);
		CHECK(rc == 0 && e1 < 1e-5, "%s: input gradient, fast vs naive, "
		      "max rel err %.2e (tol 1e-5)", mlp_act_name(act), e1);

		mlp_loss_grad_naive(&net, theta, x, y, g, gw, n, loss, grad);
		rc = mlp_loss_grad(&net, thf, &b, lossf, gradf, &err);
		e1 = relerr_f(gradf, grad, net.np);
		CHECK(rc == 0 && e1 < 1e-5, "%s: MSE + force term gradient, "
		      "fast vs naive, max rel err %.2e (tol 1e-5)",
		      mlp_act_name(act), e1);
		e1 = 0;
		for (mem = 0; mem < m; mem++)
			if (fabs(lossf[mem] - loss[mem]) / loss[mem] > e1)
				e1 = fabs(lossf[mem] - loss[mem]) / loss[mem];
		CHECK(rc == 0 && e1 < 1e-5, "%s: MSE + force term loss, fast vs "
		      "naive, max rel err %.2e (tol 1e-5)", mlp_act_name(act),
		      e1);

		/* the same with per-member rows, labels and forces */
		{
			struct mlp_batch bm = { xf, yf, gf, gw, n, 1 };
			double *gm = xmalloc(net.np * sizeof(double));

			rc = mlp_loss_grad(&net, thf, &bm, lossf, gradf, &err);
			for (mem = 0; mem < m; mem++) {
				mlp_loss_grad_naive(&net, theta, x + mem * nx,
						    y + (size_t)mem * n,
						    g + mem * nx, gw, n, loss,
						    gm);
				memcpy(grad + mem * net.np1,
				       gm + mem * net.np1,
				       net.np1 * sizeof(double));
			}
			e1 = relerr_f(gradf, grad, net.np);
			CHECK(rc == 0 && e1 < 1e-5, "%s: MSE + force term "
			      "gradient with per-member rows, fast vs naive, "
			      "max rel err %.2e (tol 1e-5)", mlp_act_name(act),
			      e1);
			free(gm);
		}
	} else {
		struct mlp_batch b = { xf, yf, gf, gw, n, 0 };

		memset(err.msg, 0, sizeof(err.msg));
		rc = mlp_input_grad(&net, thf, xf, n, 0, NULL, gxf, &err);
		CHECK(rc == -1 && err.kind == PAL_ERR_USAGE &&
		      !strcmp(err.msg, "the input gradient needs 1 output, "
			      "not 2 (mlp)"),
		      "input gradient with k=2 refused: \"%s\"", esc(err.msg));
		rc = mlp_loss_grad(&net, thf, &b, NULL, gradf, &err);
		CHECK(rc == -1 && err.kind == PAL_ERR_USAGE &&
		      !strcmp(err.msg, "the force term needs 1 output, not 2 "
			      "(mlp)"),
		      "force term with k=2 refused: \"%s\"", esc(err.msg));
	}
	free(theta);
	free(x);
	free(y);
	free(g);
	free(thf);
	free(xf);
	free(yf);
	free(gf);
	free(out);
	free(outf);
	free(gx);
	free(gxf);
	free(grad);
	free(gradf);
	mlp_free(&net);
}

/*
 * The f64 twins against the naive reference: the same sums in another
 * order, so within 1e-12 (double's eps 1.1e-16 times the same factors).
 */
static void fast64_vs_naive(int act, int k)
{
	static const int hid[] = { 16, 64, 8 };
	const int m = 3, d = 5, n = 37;
	const double gw = 0.3;
	struct mlp net;
	struct pal_error err;
	struct rng r;
	double *theta, *x, *y, *g, *out, *out2, *grad, *grad2, loss[3], e1;
	size_t nx = (size_t)n * d;
	int rc, same;

	if (mlp_init(&net, m, d, 3, hid, k, act, NULL) < 0)
		abort();
	theta = xmalloc(net.np * sizeof(double));
	mlp_init_params_f64(&net, theta, 41);
	x = xmalloc(nx * sizeof(double));
	y = xmalloc((size_t)n * k * sizeof(double));
	g = xmalloc(nx * sizeof(double));
	rng_seed(&r, 42, 0);
	uniform(&r, x, nx, -2, 2);
	uniform(&r, y, (size_t)n * k, -1, 1);
	uniform(&r, g, nx, -1, 1);
	out = xmalloc((size_t)m * nx * sizeof(double));
	out2 = xmalloc((size_t)m * nx * sizeof(double));
	grad = xmalloc(net.np * sizeof(double));
	grad2 = xmalloc(net.np * sizeof(double));

	mlp_forward_naive(&net, theta, x, n, out);
	rc = mlp_forward_f64(&net, theta, x, n, 0, out2, &err);
	e1 = relerr_d(out2, out, (size_t)m * n * k);
	CHECK(rc == 0 && e1 < 1e-12, "%s, k=%d: forward, fast f64 vs naive, "
	      "max rel err %.2e (tol 1e-12)", mlp_act_name(act), k, e1);
	{
		struct mlp_batch64 b = { x, y, k == 1 ? g : NULL, gw, n, 0 };

		mlp_loss_grad_naive(&net, theta, x, y, b.g, gw, n, loss, grad);
		rc = mlp_loss_grad_f64(&net, theta, &b, NULL, grad2, &err);
		e1 = relerr_d(grad2, grad, net.np);
		CHECK(rc == 0 && e1 < 1e-12, "%s, k=%d: %s gradient, fast f64 "
		      "vs naive, max rel err %.2e (tol 1e-12)",
		      mlp_act_name(act), k, k == 1 ? "MSE + force term" :
		      "MSE", e1);
	}
	if (k == 1) {
		mlp_input_grad_naive(&net, theta, x, n, out);
		rc = mlp_input_grad_f64(&net, theta, x, n, 0, NULL, out2, &err);
		e1 = relerr_d(out2, out, (size_t)m * nx);
		/* the f32 init and the f64 init draw the same numbers */
		{
			float *tf = xmalloc(net.np * sizeof(float));
			size_t e;

			mlp_init_params(&net, tf, 41);
			same = 1;
			for (e = 0; e < net.np; e++)
				if (tf[e] != (float)theta[e])
					same = 0;
			free(tf);
		}
		CHECK(rc == 0 && e1 < 1e-12, "%s: input gradient, fast f64 vs "
		      "naive, max rel err %.2e (tol 1e-12)", mlp_act_name(act),
		      e1);
		CHECK(same, "%s: the f64 initialisation rounds to the f32 one",
		      mlp_act_name(act));
	}
	free(theta);
	free(x);
	free(y);
	free(g);
	free(out);
	free(out2);
	free(grad);
	free(grad2);
	mlp_free(&net);
}

/*
 * A member computed alone is the same bits as in its committee (what
 * spreading members over ranks relies on): member 1 of 3 against a
 * one-member net on its slice of theta, outputs, input gradient and the
 * gradient with the force term.
 */
static void member_alone(void)
{
	static const int hid[] = { 24, 12 };
	const int d = 4, n = 19;
	struct mlp all, one;
	struct pal_error err;
	struct rng r;
	float *th, x[19 * 4], y[19], g[19 * 4], out3[3 * 19], out1[19];
	float gx3[3 * 19 * 4], gx1[19 * 4], *gr3, *gr1;
	struct mlp_batch b = { x, y, g, 0.5f, n, 0 };
	int i, rc;

	if (mlp_init(&all, 3, d, 2, hid, 1, MLP_SILU, NULL) < 0 ||
	    mlp_init(&one, 1, d, 2, hid, 1, MLP_SILU, NULL) < 0)
		abort();
	th = xmalloc(all.np * sizeof(float));
	gr3 = xmalloc(all.np * sizeof(float));
	gr1 = xmalloc(one.np * sizeof(float));
	mlp_init_params(&all, th, 3);
	rng_seed(&r, 51, 0);
	for (i = 0; i < n * d; i++) {
		x[i] = (float)(2 * rng_uniform(&r) - 1);
		g[i] = (float)(2 * rng_uniform(&r) - 1);
	}
	for (i = 0; i < n; i++)
		y[i] = (float)(2 * rng_uniform(&r) - 1);
	rc = mlp_input_grad(&all, th, x, n, 0, out3, gx3, &err);
	rc |= mlp_input_grad(&one, th + one.np1, x, n, 0, out1, gx1, &err);
	rc |= mlp_loss_grad(&all, th, &b, NULL, gr3, &err);
	rc |= mlp_loss_grad(&one, th + one.np1, &b, NULL, gr1, &err);
	CHECK(rc == 0 && !memcmp(out3 + n, out1, sizeof(out1)) &&
	      !memcmp(gx3 + n * d, gx1, sizeof(gx1)) &&
	      !memcmp(gr3 + one.np1, gr1, one.np * sizeof(float)),
	      "member 1 of 3 alone: outputs, input gradient and force-term "
	      "gradient bitwise those in the committee");
	free(th);
	free(gr3);
	free(gr1);
	mlp_free(&all);
	mlp_free(&one);
}

/* ---- set-up and initialisation ----------------------------------------- */

static void init_errors(void)
{
	static const int hid[] = { 4, 0 }, wide[] = { MLP_MAX_WIDTH + 1 };
	struct mlp net;
	struct pal_error err;
	int rc;

	rc = mlp_init(&net, 0, 2, 1, hid, 1, MLP_TANH, &err);
	CHECK(rc == -1 && err.kind == PAL_ERR_USAGE &&
	      !strcmp(err.msg, "members must be 1 to 65536, not 0 (mlp)"),
	      "0 members refused: \"%s\"", esc(err.msg));
	rc = mlp_init(&net, 2, 2, 2, hid, 1, MLP_TANH, &err);
	CHECK(rc == -1 && err.kind == PAL_ERR_USAGE &&
	      !strcmp(err.msg, "layer width must be 1 to 65536, not 0 "
		      "(mlp: layer 2)"),
	      "a hidden layer of width 0 refused: \"%s\"", esc(err.msg));
	rc = mlp_init(&net, 2, 2, 1, wide, 1, MLP_TANH, &err);
	CHECK(rc == -1 && err.kind == PAL_ERR_USAGE,
	      "a layer too wide refused: \"%s\"", esc(err.msg));
	rc = mlp_init(&net, 2, 0, 1, hid, 1, MLP_TANH, &err);
	CHECK(rc == -1 && !strcmp(err.msg, "layer width must be 1 to 65536, "
				  "not 0 (mlp: layer 0)"),
	      "0 inputs refused: \"%s\"", esc(err.msg));
	rc = mlp_init(&net, 2, 2, MLP_MAX_HIDDEN + 1, hid, 1, MLP_TANH, &err);
	CHECK(rc == -1 && !strcmp(err.msg, "hidden layers must be 0 to 16, "
				  "not 17 (mlp)"),
	      "17 hidden layers refused: \"%s\"", esc(err.msg));
	rc = mlp_init(&net, 2, 2, 1, hid, 1, 7, &err);
	CHECK(rc == -1 && !strcmp(err.msg, "unknown activation 7 (mlp)"),
	      "activation 7 refused: \"%s\"", esc(err.msg));
	rc = mlp_init(&net, 2, 3, 1, hid, 2, MLP_TANH, &err);
	CHECK(rc == 0 && net.np1 == 4 * 3 + 4 + 2 * 4 + 2 && net.np == 2 * 26 &&
	      net.woff[2] == 16 && net.boff[2] == 24,
	      "3-4-2: %zu parameters a member (want 26), W[2] at %zu, b[2] at "
	      "%zu (want 16, 24)", net.np1, net.woff[2], net.boff[2]);
	{
		float x[3] = { 0 }, out[4];

		rc = mlp_forward(&net, x, x, 0, 0, out, &err);
		CHECK(rc == -1 && err.kind == PAL_ERR_USAGE &&
		      !strcmp(err.msg, "a batch needs at least 1 row, not 0 "
			      "(mlp)"), "a batch of 0 rows refused: \"%s\"",
		      esc(err.msg));
	}
	mlp_free(&net);
	CHECK(mlp_act_parse("tanh") == MLP_TANH &&
	      mlp_act_parse("relu") == MLP_RELU &&
	      mlp_act_parse("silu") == MLP_SILU && mlp_act_parse("TANH") == -1 &&
	      mlp_act_parse("") == -1 &&
	      !strcmp(mlp_act_name(MLP_SILU), "silu"),
	      "activation names parse and print");
}

/*
 * Glorot for tanh and the output layer, He for relu's and silu's hidden
 * layers: every weight inside its limit, the largest near it (2000 draws),
 * biases 0; the same seed gives the same parameters, and member m's do not
 * depend on how many members there are.
 */
static void init_params(int act)
{
	static const int hid[] = { 40, 30 };
	struct mlp n2, n3;
	float *t2, *t3, *t2b;
	int l, mem, ok = 1, near = 1;

	if (mlp_init(&n2, 2, 8, 2, hid, 1, act, NULL) < 0 ||
	    mlp_init(&n3, 3, 8, 2, hid, 1, act, NULL) < 0)
		abort();
	t2 = xmalloc(n2.np * sizeof(float));
	t2b = xmalloc(n2.np * sizeof(float));
	t3 = xmalloc(n3.np * sizeof(float));
	mlp_init_params(&n2, t2, 5);
	mlp_init_params(&n2, t2b, 5);
	mlp_init_params(&n3, t3, 5);
	for (mem = 0; mem < 3; mem++)
		for (l = 1; l <= n3.nl; l++) {
			const float *th = t3 + mem * n3.np1;
			double in = n3.w[l - 1], out = n3.w[l], lim, big = 0;
			size_t e, nw = (size_t)n3.w[l] * n3.w[l - 1];

			lim = act == MLP_TANH || l == n3.nl ?
				sqrt(6 / (in + out)) : sqrt(6 / in);
			for (e = 0; e < nw; e++) {
				if (fabs(th[n3.woff[l] + e]) > lim)
					ok = 0;
				if (fabs(th[n3.woff[l] + e]) > big)
					big = fabs(th[n3.woff[l] + e]);
			}
			for (e = 0; e < (size_t)n3.w[l]; e++)
				if (th[n3.boff[l] + e] != 0)
					ok = 0;
			/* the largest of nw uniform draws is near the limit */
			if (nw >= 240 && big < 0.95 * lim)
				near = 0;
		}
	CHECK(ok && near, "%s: weights within their Glorot/He limits, the "
	      "largest near them, biases 0", mlp_act_name(act));
	CHECK(!memcmp(t2, t2b, n2.np * sizeof(float)) &&
	      !memcmp(t2, t3, n2.np * sizeof(float)),
	      "%s: the same seed gives the same parameters; members 0-1 of 3 "
	      "= those of 2", mlp_act_name(act));
	mlp_init_params(&n2, t2b, 6);
	CHECK(memcmp(t2, t2b, n2.np * sizeof(float)) != 0 &&
	      memcmp(t2, t2 + n2.np1, n2.np1 * sizeof(float)) != 0,
	      "%s: another seed, another member: other parameters",
	      mlp_act_name(act));
	free(t2);
	free(t2b);
	free(t3);
	mlp_free(&n2);
	mlp_free(&n3);
}

/* ---- a smoke test: fit a sine with plain SGD ---------------------------- */

/*
 * 3 members 1-32-32-1 tanh fit y = sin(x) on 64 points of [-pi, pi] by
 * full-batch SGD with momentum (v = 0.9 v - 0.02 grad, theta += v; 2000
 * steps; plain SGD needs over 10000 steps for the same fit).  On 50 points
 * between them each member's RMSE must be below 0.05 (sin's own RMS is
 * 0.71; about 0.013 is reached).
 */
static void fit_sine(void)
{
	static const int hid[] = { 32, 32 };
	enum { N = 64, T = 50, STEPS = 2000 };
	const double pi = 3.14159265358979323846;
	const float LR = 0.02f, MOM = 0.9f;
	struct mlp net;
	struct pal_error err;
	float x[N], y[N], xt[T], out[3 * T], loss[3], *th, *gr, *vel;
	double worst = 0;
	size_t e;
	int i, s, mem, rc = 0;

	if (mlp_init(&net, 3, 1, 2, hid, 1, MLP_TANH, NULL) < 0)
		abort();
	th = xmalloc(net.np * sizeof(float));
	gr = xmalloc(net.np * sizeof(float));
	vel = xcalloc(net.np, sizeof(float));
	mlp_init_params(&net, th, 1);
	for (i = 0; i < N; i++) {
		x[i] = (float)(-pi + 2 * pi * i / (N - 1));
		y[i] = (float)sin(x[i]);
	}
	for (i = 0; i < T; i++)
		xt[i] = (float)(-pi + 2 * pi * (i + 0.5) / T);
	for (s = 0; s < STEPS && rc == 0; s++) {
		struct mlp_batch b = { x, y, NULL, 0, N, 0 };

		rc = mlp_loss_grad(&net, th, &b, loss, gr, &err);
		for (e = 0; e < net.np; e++) {
			vel[e] = MOM * vel[e] - LR * gr[e];
			th[e] += vel[e];
		}
	}
	if (rc == 0)
		rc = mlp_forward(&net, th, xt, T, 0, out, &err);
	for (mem = 0; mem < 3; mem++) {
		double ss = 0;

		for (i = 0; i < T; i++) {
			double r = out[mem * T + i] - sin(xt[i]);

			ss += r * r;
		}
		if (!(sqrt(ss / T) <= worst))	/* NaN too */
			worst = sqrt(ss / T);
	}
	CHECK(rc == 0 && worst < 0.05, "sine by SGD with momentum: worst member's held-out "
	      "RMSE %.4f (want < 0.05), last training loss %.2e", worst,
	      (double)loss[0]);
	free(th);
	free(gr);
	free(vel);
	mlp_free(&net);
}

/* The fast path's f32 exponential against exp in double: at most 2.5e-7
 * relative (2 ulp) on a grid of [-87.3, 88.3], and clamped outside. */
static void exp_f32_accuracy(void)
{
	double worst = 0, at = 0;

	for (int i = 0; i <= 2000000; i++) {
		float x = (float)(-87.3 + (88.3 + 87.3) * i / 2000000.0);
		double want = exp((double)x), got = mlp_exp_f32(x);
		double rel = fabs(got - want) / want;

		if (rel > worst) {
			worst = rel;
			at = x;
		}
	}
	CHECK(worst <= 2.5e-7, "exp_f32: max relative error %.3g (at x = "
	      "%.9g) <= 2.5e-7", worst, at);
	CHECK(mlp_exp_f32(-1000) == mlp_exp_f32(-87.3f) &&
	      mlp_exp_f32(1000) == mlp_exp_f32(88.3f) &&
	      isfinite(mlp_exp_f32(1000)) && mlp_exp_f32(-1000) > 0,
	      "exp_f32 clamps: e^-1000 -> %g, e^1000 -> %g",
	      (double)mlp_exp_f32(-1000), (double)mlp_exp_f32(1000));
	CHECK(mlp_exp_f32(0) == 1, "exp_f32(0) = %.9g", (double)mlp_exp_f32(0));
}

int main(void)
{
	size_t i;

	init_errors();
	exp_f32_accuracy();
	for (i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
		fd_params(acts[i], 2, 0);
		fd_params(acts[i], 1, 1);
		fd_input(acts[i]);
		fast_vs_naive(acts[i], 1);
		fast_vs_naive(acts[i], 2);
		fast64_vs_naive(acts[i], 1);
		fast64_vs_naive(acts[i], 2);
		init_params(acts[i]);
	}
	member_alone();
	fit_sine();
	return done();
}
