/*
 * mlp.c: an MLP committee's forward and backward passes, its gradient in
 * the inputs and the force term's gradient: GEMMs over the batch, member by
 * member, with a naive reference of each in double (mlp.h says the shapes).
 *
 * Notation of the comments: one member, a batch of n rows; Z[l], A[l] are
 * (n x w[l]), W[l] is (w[l] x w[l-1]), A[0] = X.  Row-major throughout, so
 * Z[l] = A[l-1] W[l]^T + b[l] is one sgemm (NoTrans, Trans).
 *
 * The force term.  With f = Z[L] (k = 1) the input gradient is a backward
 * pass seeded by ones:
 *
 *	U[L] = 1 (n x 1)
 *	V[l-1] = U[l] W[l]		(n x w[l-1])	for l = L .. 2
 *	U[l-1] = V[l-1] .* act'(Z[l-1])
 *	G = U[1] W[1]			(n x d)
 *
 * and the loss gw/n |G - g|^2 is differentiated through that pass (the
 * adjoint of the adjoint, "double backprop"), with Gb = 2 gw/n (G - g):
 *
 *	dW[1] += U[1]^T Gb,  Ub[1] = Gb W[1]^T
 *	for l = 1 .. L-1:
 *		Zb[l] = Ub[l] .* V[l] .* act''(Z[l])	(seeds the backward pass)
 *		Vb[l] = Ub[l] .* act'(Z[l])
 *		dW[l+1] += U[l+1]^T Vb[l],  Ub[l+1] = Vb[l] W[l+1]^T
 *
 * then the ordinary backward pass runs with delta[L] = dloss/dZ[L] and
 * delta[l-1] = (delta[l] W[l]) .* act'(Z[l-1]) + Zb[l-1].
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "err.h"
#include "mlp.h"
#include "rng.h"
#include "banned.h"

/* ---- activations: act, act' and act'' -------------------------------- */

int mlp_act_parse(const char *s)
{
	if (!strcmp(s, "tanh"))
		return MLP_TANH;
	if (!strcmp(s, "relu"))
		return MLP_RELU;
	if (!strcmp(s, "silu"))
		return MLP_SILU;
	return -1;
}

const char *mlp_act_name(int act)
{
	switch (act) {
	case MLP_TANH: return "tanh";
	case MLP_RELU: return "relu";
	case MLP_SILU: return "silu";
	}
	return "?";
}

static double act_d(int act, double z)
{
	switch (act) {
	case MLP_TANH: return tanh(z);
	case MLP_RELU: return z > 0 ? z : 0;
	default: return z / (1 + exp(-z));
	}
}

/* act'(z) */
static double act1_d(int act, double z)
{
	double t, s;

	switch (act) {
	case MLP_TANH:
		t = tanh(z);
		return 1 - t * t;
	case MLP_RELU:
		return z > 0 ? 1 : 0;
	default:
		s = 1 / (1 + exp(-z));
		return s * (1 + z * (1 - s));
	}
}

/* act''(z): tanh -2t(1-t^2), relu 0, silu s(1-s)(2 + z(1-2s)) */
static double act2_d(int act, double z)
{
	double t, s;

	switch (act) {
	case MLP_TANH:
		t = tanh(z);
		return -2 * t * (1 - t * t);
	case MLP_RELU:
		return 0;
	default:
		s = 1 / (1 + exp(-z));
		return s * (1 - s) * (2 + z * (1 - 2 * s));
	}
}

/* a = act(z) over len entries */
static void act_f(int act, const float *z, float *a, size_t len)
{
	size_t e;

	switch (act) {
	case MLP_TANH:
		/* 1 - 2/(1 + e^2z): 5 times faster than glibc's tanhf (3.6
		 * against 18 ns), within 2e-7 of tanh; saturates to +-1 */
		for (e = 0; e < len; e++)
			a[e] = 1 - 2 / (1 + expf(2 * z[e]));
		break;
	case MLP_RELU:
		for (e = 0; e < len; e++)
			a[e] = z[e] > 0 ? z[e] : 0;
		break;
	default:
		for (e = 0; e < len; e++)
			a[e] = z[e] / (1 + expf(-z[e]));
		break;
	}
}

/* act'(z) of one entry, where a = act(z) is known */
static inline float act1_f(int act, float z, float a)
{
	float s;

	switch (act) {
	case MLP_TANH:
		return 1 - a * a;
	case MLP_RELU:
		return z > 0 ? 1.0f : 0.0f;
	default:
		s = 1 / (1 + expf(-z));
		return s * (1 + z * (1 - s));
	}
}

static inline float act2_f(int act, float z, float a)
{
	float s;

	switch (act) {
	case MLP_TANH:
		return -2 * a * (1 - a * a);
	case MLP_RELU:
		return 0;
	default:
		s = 1 / (1 + expf(-z));
		return s * (1 - s) * (2 + z * (1 - 2 * s));
	}
}

/* ---- set-up ------------------------------------------------------------ */

int mlp_init(struct mlp *net, int m, int d, int nh, const int *hidden, int k,
	     int act, struct pal_error *err)
{
	size_t off = 0;
	int l;

	memset(net, 0, sizeof(*net));
	if (m < 1 || m > MLP_MAX_MEMBERS)
		return pal_seterr(err, PAL_ERR_USAGE, 0,
				  "members must be 1 to %d, not %d (mlp)",
				  MLP_MAX_MEMBERS, m);
	if (nh < 0 || nh > MLP_MAX_HIDDEN)
		return pal_seterr(err, PAL_ERR_USAGE, 0,
				  "hidden layers must be 0 to %d, not %d (mlp)",
				  MLP_MAX_HIDDEN, nh);
	if (act != MLP_TANH && act != MLP_RELU && act != MLP_SILU)
		return pal_seterr(err, PAL_ERR_USAGE, 0,
				  "unknown activation %d (mlp)", act);
	net->m = m;
	net->d = d;
	net->k = k;
	net->nl = nh + 1;
	net->act = act;
	net->w[0] = d;
	for (l = 1; l <= nh; l++)
		net->w[l] = hidden[l - 1];
	net->w[nh + 1] = k;
	for (l = 0; l <= net->nl; l++)
		if (net->w[l] < 1 || net->w[l] > MLP_MAX_WIDTH)
			return pal_seterr(err, PAL_ERR_USAGE, 0,
					  "layer width must be 1 to %d, not %d "
					  "(mlp: layer %d)", MLP_MAX_WIDTH,
					  net->w[l], l);
	for (l = 1; l <= net->nl; l++) {
		net->woff[l] = off;
		off += (size_t)net->w[l] * (size_t)net->w[l - 1];
		net->boff[l] = off;
		off += (size_t)net->w[l];
	}
	net->np1 = off;
	net->np = off * (size_t)m;
	return 0;
}

void mlp_free(struct mlp *net)
{
	free(net->buf);
	net->buf = NULL;
	net->cap = 0;
}

void mlp_init_params(const struct mlp *net, float *theta, uint64_t seed)
{
	int m, l;

	for (m = 0; m < net->m; m++) {
		float *th = theta + (size_t)m * net->np1;
		struct rng r;

		rng_seed(&r, seed, (uint64_t)m);
		for (l = 1; l <= net->nl; l++) {
			double in = net->w[l - 1], out = net->w[l];
			double lim = net->act == MLP_TANH || l == net->nl ?
				sqrt(6 / (in + out)) : sqrt(6 / in);
			size_t e, nw = (size_t)net->w[l] * (size_t)net->w[l - 1];

			for (e = 0; e < nw; e++)
				th[net->woff[l] + e] =
					(float)(lim * (2 * rng_uniform(&r) - 1));
			for (e = 0; e < (size_t)net->w[l]; e++)
				th[net->boff[l] + e] = 0;
		}
	}
}

/* ---- the fast path's workspace ----------------------------------------- */

/*
 * One member's arrays for a batch of n rows, carved out of net->buf:
 * Z[l], A[l], U[l], V[l], Zb[l] (n x w[l]) for the hidden layers, Z[L]
 * (n x k), two scratch arrays P and Q (n x max width), G and Gb (n x d),
 * ones (n).
 */
struct work {
	float *z[MLP_MAX_HIDDEN + 2], *a[MLP_MAX_HIDDEN + 2];
	float *u[MLP_MAX_HIDDEN + 2], *v[MLP_MAX_HIDDEN + 2];
	float *zb[MLP_MAX_HIDDEN + 2];
	float *p, *q, *g, *gb, *ones;
};

static int work_get(struct mlp *net, int n, struct work *wk,
		    struct pal_error *err)
{
	size_t hid = 0, maxw = 0, per_row, off = 0, nn = (size_t)n;
	int l, L = net->nl;

	if (n < 1)
		return pal_seterr(err, PAL_ERR_USAGE, 0,
				  "a batch needs at least 1 row, not %d (mlp)",
				  n);
	for (l = 0; l <= L; l++) {
		if ((size_t)net->w[l] > maxw)
			maxw = (size_t)net->w[l];
		if (l >= 1 && l < L)
			hid += (size_t)net->w[l];
	}
	per_row = 5 * hid + (size_t)net->k + 2 * maxw + 2 * (size_t)net->d + 1;
	if (nn > (SIZE_MAX / sizeof(float)) / per_row)
		return pal_seterr(err, PAL_ERR_LIMIT, 0,
				  "batch of %d rows too large (mlp)", n);
	if (n > net->cap) {
		free(net->buf);
		net->buf = xmalloc(nn * per_row * sizeof(float));
		net->cap = n;
	}
	memset(wk, 0, sizeof(*wk));
	for (l = 1; l < L; l++) {
		size_t len = nn * (size_t)net->w[l];

		wk->z[l] = net->buf + off; off += len;
		wk->a[l] = net->buf + off; off += len;
		wk->u[l] = net->buf + off; off += len;
		wk->v[l] = net->buf + off; off += len;
		wk->zb[l] = net->buf + off; off += len;
	}
	wk->z[L] = net->buf + off; off += nn * (size_t)net->k;
	wk->p = net->buf + off; off += nn * maxw;
	wk->q = net->buf + off; off += nn * maxw;
	wk->g = net->buf + off; off += nn * (size_t)net->d;
	wk->gb = net->buf + off; off += nn * (size_t)net->d;
	wk->ones = net->buf + off;
	for (l = 0; l < n; l++)
		wk->ones[l] = 1;
	wk->u[L] = wk->ones;		/* U[L] = 1 when k = 1 */
	return 0;
}

/* ---- the fast path ------------------------------------------------------ */

/* One member's forward pass: Z[l], A[l] for l = 1..L from x (n x d). */
static void forward1(const struct mlp *net, const float *th, const float *x,
		     int n, struct work *wk)
{
	const float *in = x;
	int l, i;

	for (l = 1; l <= net->nl; l++) {
		int o = net->w[l], p = net->w[l - 1];
		const float *W = th + net->woff[l], *b = th + net->boff[l];
		float *Z = wk->z[l];

		// Z (n, o) = in (n, p) W^T (p, o) + b (o)
		for (i = 0; i < n; i++)
			memcpy(Z + (size_t)i * o, b, (size_t)o * sizeof(float));
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, o, p,
			    1.0f, in, p, W, p, 1.0f, Z, o);
		if (l < net->nl) {
			act_f(net->act, Z, wk->a[l], (size_t)n * o);
			in = wk->a[l];
		}
	}
}

/* One member's input gradient (k = 1) into wk->g (n x d), after forward1;
 * keeps U[l] and V[l] for the force term. */
static void input_grad1(const struct mlp *net, const float *th, int n,
			struct work *wk)
{
	int l, L = net->nl;
	size_t e;

	for (l = L; l >= 2; l--) {
		int o = net->w[l], p = net->w[l - 1];
		const float *W = th + net->woff[l];
		float *V = wk->v[l - 1], *U = wk->u[l - 1];
		const float *Z = wk->z[l - 1], *A = wk->a[l - 1];

		// V[l-1] (n, p) = U[l] (n, o) W[l] (o, p)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, p, o,
			    1.0f, wk->u[l], o, W, p, 0.0f, V, p);
		// U[l-1] = V[l-1] .* act'(Z[l-1])
		for (e = 0; e < (size_t)n * p; e++)
			U[e] = V[e] * act1_f(net->act, Z[e], A[e]);
	}
	// G (n, d) = U[1] (n, w1) W[1] (w1, d)
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, net->d,
		    net->w[1], 1.0f, wk->u[1], net->w[1], th + net->woff[1],
		    net->d, 0.0f, wk->g, net->d);
}

int mlp_forward(struct mlp *net, const float *theta, const float *x, int n,
		int per_member, float *out, struct pal_error *err)
{
	struct work wk;
	size_t nk = (size_t)n * (size_t)net->k;
	int m;

	if (work_get(net, n, &wk, err) < 0)
		return -1;
	for (m = 0; m < net->m; m++) {
		const float *xm = x + (per_member ? (size_t)m * n * net->d : 0);

		forward1(net, theta + (size_t)m * net->np1, xm, n, &wk);
		memcpy(out + (size_t)m * nk, wk.z[net->nl], nk * sizeof(float));
	}
	return 0;
}

int mlp_input_grad(struct mlp *net, const float *theta, const float *x,
		   int n, int per_member, float *out, float *gx,
		   struct pal_error *err)
{
	struct work wk;
	size_t nd = (size_t)n * (size_t)net->d;
	int m;

	if (net->k != 1)
		return pal_seterr(err, PAL_ERR_USAGE, 0,
				  "the input gradient needs 1 output, not %d "
				  "(mlp)", net->k);
	if (work_get(net, n, &wk, err) < 0)
		return -1;
	for (m = 0; m < net->m; m++) {
		const float *th = theta + (size_t)m * net->np1;

		forward1(net, th, x + (per_member ? (size_t)m * nd : 0), n, &wk);
		input_grad1(net, th, n, &wk);
		if (out)
			memcpy(out + (size_t)m * n, wk.z[net->nl],
			       (size_t)n * sizeof(float));
		memcpy(gx + (size_t)m * nd, wk.g, nd * sizeof(float));
	}
	return 0;
}

/*
 * The force term's adjoint for one member, after input_grad1: adds its
 * explicit part to dW, leaves the seeds Zb[l] for the backward pass, and
 * returns gw/n sum |G - g|^2.
 */
static double force_adjoint1(const struct mlp *net, const float *th,
			     const float *g, float gw, int n, float *grad,
			     struct work *wk)
{
	int l, L = net->nl, d = net->d;
	size_t e, nd = (size_t)n * d;
	double loss = 0;
	float *ub = wk->p, *t;

	// Gb (n, d) = 2 gw/n (G - g)
	for (e = 0; e < nd; e++) {
		float r = wk->g[e] - g[e];

		loss += (double)r * r;
		wk->gb[e] = 2 * gw / (float)n * r;
	}
	// dW[1] (w1, d) += U[1]^T (w1, n) Gb (n, d)
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, net->w[1], d, n,
		    1.0f, wk->u[1], net->w[1], wk->gb, d, 1.0f,
		    grad + net->woff[1], d);
	// Ub[1] (n, w1) = Gb (n, d) W[1] (w1, d)^T
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, net->w[1], d,
		    1.0f, wk->gb, d, th + net->woff[1], d, 0.0f, ub, net->w[1]);
	for (l = 1; l < L; l++) {
		int p = net->w[l], o = net->w[l + 1];
		const float *Z = wk->z[l], *A = wk->a[l], *V = wk->v[l];

		// Zb[l] = Ub .* V[l] .* act''(Z[l]); Vb[l] = Ub .* act'(Z[l]) (in place)
		for (e = 0; e < (size_t)n * p; e++) {
			wk->zb[l][e] = ub[e] * V[e] *
				act2_f(net->act, Z[e], A[e]);
			ub[e] *= act1_f(net->act, Z[e], A[e]);
		}
		// dW[l+1] (o, p) += U[l+1]^T (o, n) Vb[l] (n, p)
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, o, p, n,
			    1.0f, wk->u[l + 1], o, ub, p, 1.0f,
			    grad + net->woff[l + 1], p);
		if (l + 1 < L) {
			t = ub == wk->p ? wk->q : wk->p;
			// Ub[l+1] (n, o) = Vb[l] (n, p) W[l+1]^T (p, o)
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans,
				    n, o, p, 1.0f, ub, p,
				    th + net->woff[l + 1], p, 0.0f, t, o);
			ub = t;
		}
	}
	return gw / n * loss;
}

int mlp_loss_grad(struct mlp *net, const float *theta,
		  const struct mlp_batch *b, float *loss, float *grad,
		  struct pal_error *err)
{
	struct work wk;
	int n = b->n, k = net->k, d = net->d, L = net->nl, m, l, i, j;
	size_t nk = (size_t)n * k, nd = (size_t)n * d, e;

	if (b->g && k != 1)
		return pal_seterr(err, PAL_ERR_USAGE, 0,
				  "the force term needs 1 output, not %d (mlp)",
				  k);
	if (work_get(net, n, &wk, err) < 0)
		return -1;
	for (m = 0; m < net->m; m++) {
		const float *th = theta + (size_t)m * net->np1;
		const float *x = b->x + (b->per_member ? m * nd : 0);
		const float *y = b->y + (b->per_member ? m * nk : 0);
		float *gr = grad + (size_t)m * net->np1;
		float *delta = wk.p, *t;
		double lm = 0;

		memset(gr, 0, net->np1 * sizeof(float));
		forward1(net, th, x, n, &wk);
		if (b->g) {
			input_grad1(net, th, n, &wk);
			lm += force_adjoint1(net, th,
					     b->g + (b->per_member ? m * nd : 0),
					     b->gw, n, gr, &wk);
		}
		// delta[L] (n, k) = 2/(n k) (Z[L] - y)
		for (e = 0; e < nk; e++) {
			float r = wk.z[L][e] - y[e];

			lm += (double)r * r / (double)nk;
			delta[e] = 2 * r / (float)nk;
		}
		for (l = L; l >= 1; l--) {
			int o = net->w[l], p = net->w[l - 1];
			const float *W = th + net->woff[l];
			const float *in = l > 1 ? wk.a[l - 1] : x;
			float *gb = gr + net->boff[l];

			// dW[l] (o, p) += delta^T (o, n) A[l-1] (n, p)
			cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans,
				    o, p, n, 1.0f, delta, o, in, p, 1.0f,
				    gr + net->woff[l], p);
			// db[l] (o) += column sums of delta
			for (i = 0; i < n; i++)
				for (j = 0; j < o; j++)
					gb[j] += delta[(size_t)i * o + j];
			if (l == 1)
				break;
			t = delta == wk.p ? wk.q : wk.p;
			// delta[l-1] (n, p) = delta (n, o) W[l] (o, p) .* act'(Z[l-1]) (+ Zb[l-1])
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
				    n, p, o, 1.0f, delta, o, W, p, 0.0f, t, p);
			for (e = 0; e < (size_t)n * p; e++)
				t[e] *= act1_f(net->act, wk.z[l - 1][e],
					       wk.a[l - 1][e]);
			if (b->g)
				for (e = 0; e < (size_t)n * p; e++)
					t[e] += wk.zb[l - 1][e];
			delta = t;
		}
		if (loss)
			loss[m] = (float)lm;
	}
	return 0;
}

/* ---- the naive reference ------------------------------------------------ */

/* Per-row arrays of the naive reference: (L+1) layers of max width. */
struct nwork {
	size_t stride;
	double *z, *a, *u, *v, *zb, *ub, *vb, *dl, *dn;
};

static void nwork_get(const struct mlp *net, struct nwork *nw)
{
	size_t maxw = 0, len;
	int l;

	for (l = 0; l <= net->nl; l++)
		if ((size_t)net->w[l] > maxw)
			maxw = (size_t)net->w[l];
	nw->stride = maxw;
	len = (size_t)(net->nl + 1) * maxw;
	nw->z = xcalloc(5 * len + 4 * maxw, sizeof(double));
	nw->a = nw->z + len;
	nw->u = nw->a + len;
	nw->v = nw->u + len;
	nw->zb = nw->v + len;
	nw->ub = nw->zb + len;
	nw->vb = nw->ub + maxw;
	nw->dl = nw->vb + maxw;
	nw->dn = nw->dl + maxw;
}

#define NZ(l) (nw->z + (size_t)(l) * nw->stride)
#define NA(l) (nw->a + (size_t)(l) * nw->stride)
#define NU(l) (nw->u + (size_t)(l) * nw->stride)
#define NV(l) (nw->v + (size_t)(l) * nw->stride)
#define NZB(l) (nw->zb + (size_t)(l) * nw->stride)

/* One member, one row: z[l], a[l] for l = 1..L; a[0] = x. */
static void forward_row(const struct mlp *net, const double *th,
			const double *x, struct nwork *nw)
{
	int l, i, j;

	for (i = 0; i < net->d; i++)
		NA(0)[i] = x[i];
	for (l = 1; l <= net->nl; l++) {
		int o = net->w[l], p = net->w[l - 1];
		const double *W = th + net->woff[l], *b = th + net->boff[l];

		for (j = 0; j < o; j++) {
			double s = b[j];

			for (i = 0; i < p; i++)
				s += W[(size_t)j * p + i] * NA(l - 1)[i];
			NZ(l)[j] = s;
			NA(l)[j] = l < net->nl ? act_d(net->act, s) : s;
		}
	}
}

/* One member, one row, k = 1, after forward_row: u[l], v[l] and gx (d). */
static void input_grad_row(const struct mlp *net, const double *th,
			   struct nwork *nw, double *gx)
{
	int l, i, j, L = net->nl;

	NU(L)[0] = 1;
	for (l = L; l >= 1; l--) {
		int o = net->w[l], p = net->w[l - 1];
		const double *W = th + net->woff[l];
		double *dst = l > 1 ? NV(l - 1) : gx;

		for (i = 0; i < p; i++) {
			double s = 0;

			for (j = 0; j < o; j++)
				s += W[(size_t)j * p + i] * NU(l)[j];
			dst[i] = s;
			if (l > 1)
				NU(l - 1)[i] = s * act1_d(net->act, NZ(l - 1)[i]);
		}
	}
}

void mlp_forward_naive(const struct mlp *net, const double *theta,
		       const double *x, int n, double *out)
{
	struct nwork nwk, *nw = &nwk;
	int m, i, j;

	nwork_get(net, nw);
	for (m = 0; m < net->m; m++)
		for (i = 0; i < n; i++) {
			forward_row(net, theta + (size_t)m * net->np1,
				    x + (size_t)i * net->d, nw);
			for (j = 0; j < net->k; j++)
				out[((size_t)m * n + i) * net->k + j] =
					NZ(net->nl)[j];
		}
	free(nw->z);
}

void mlp_input_grad_naive(const struct mlp *net, const double *theta,
			  const double *x, int n, double *gx)
{
	struct nwork nwk, *nw = &nwk;
	int m, i;

	nwork_get(net, nw);
	for (m = 0; m < net->m; m++)
		for (i = 0; i < n; i++) {
			const double *th = theta + (size_t)m * net->np1;

			forward_row(net, th, x + (size_t)i * net->d, nw);
			input_grad_row(net, th, nw,
				       gx + ((size_t)m * n + i) * net->d);
		}
	free(nw->z);
}

void mlp_loss_grad_naive(const struct mlp *net, const double *theta,
			 const double *x, const double *y, const double *g,
			 double gw, int n, double *loss, double *grad)
{
	struct nwork nwk, *nw = &nwk;
	int m, r, l, i, j, L = net->nl, d = net->d, k = net->k;
	double *gx = xcalloc((size_t)d, sizeof(double));

	nwork_get(net, nw);
	for (m = 0; m < net->m; m++) {
		const double *th = theta + (size_t)m * net->np1;
		double *gr = grad + (size_t)m * net->np1;
		double lm = 0;

		memset(gr, 0, net->np1 * sizeof(double));
		for (r = 0; r < n; r++) {
			const double *xr = x + (size_t)r * d;

			forward_row(net, th, xr, nw);
			for (l = 1; l <= L; l++)
				for (j = 0; j < net->w[l]; j++)
					NZB(l)[j] = 0;
			if (g) {
				const double *gr0 = g + (size_t)r * d;

				input_grad_row(net, th, nw, gx);
				// gb = 2 gw/n (gx - g); dW1[j][i] += u1[j] gb[i]; ub1 = W1 gb
				for (i = 0; i < d; i++) {
					double e = gx[i] - gr0[i];

					lm += gw / n * e * e;
					nw->vb[i] = 2 * gw / n * e;
				}
				for (j = 0; j < net->w[1]; j++) {
					double s = 0;

					for (i = 0; i < d; i++) {
						gr[net->woff[1] + (size_t)j * d + i] +=
							NU(1)[j] * nw->vb[i];
						s += th[net->woff[1] + (size_t)j * d + i] *
							nw->vb[i];
					}
					nw->ub[j] = s;
				}
				for (l = 1; l < L; l++) {
					int p = net->w[l], o = net->w[l + 1];
					const double *W = th + net->woff[l + 1];

					for (j = 0; j < p; j++) {
						double z = NZ(l)[j];

						NZB(l)[j] = nw->ub[j] * NV(l)[j] *
							act2_d(net->act, z);
						nw->vb[j] = nw->ub[j] *
							act1_d(net->act, z);
					}
					for (i = 0; i < o; i++) {
						double s = 0;

						for (j = 0; j < p; j++) {
							gr[net->woff[l + 1] + (size_t)i * p + j] +=
								NU(l + 1)[i] * nw->vb[j];
							s += W[(size_t)i * p + j] * nw->vb[j];
						}
						nw->ub[i] = s;
					}
				}
			}
			// delta[L] = 2/(n k) (f - y)
			for (j = 0; j < k; j++) {
				double e = NZ(L)[j] - y[(size_t)r * k + j];

				lm += e * e / ((double)n * k);
				nw->dl[j] = 2 * e / ((double)n * k);
			}
			for (l = L; l >= 1; l--) {
				int o = net->w[l], p = net->w[l - 1];
				const double *W = th + net->woff[l];
				double *t;

				for (j = 0; j < o; j++) {
					for (i = 0; i < p; i++)
						gr[net->woff[l] + (size_t)j * p + i] +=
							nw->dl[j] * NA(l - 1)[i];
					gr[net->boff[l] + j] += nw->dl[j];
				}
				if (l == 1)
					break;
				for (i = 0; i < p; i++) {
					double s = 0;

					for (j = 0; j < o; j++)
						s += W[(size_t)j * p + i] * nw->dl[j];
					nw->dn[i] = s * act1_d(net->act,
							       NZ(l - 1)[i]) +
						NZB(l - 1)[i];
				}
				t = nw->dl;
				nw->dl = nw->dn;
				nw->dn = t;
			}
		}
		if (loss)
			loss[m] = lm;
	}
	free(gx);
	free(nw->z);
}
