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
	free(net->buf_f32);
	free(net->buf_f64);
	net->buf_f32 = NULL;
	net->buf_f64 = NULL;
	net->cap_f32 = net->cap_f64 = 0;
}

/* ---- the fast path, in f32 and in f64 ----------------------------------- */

/*
 * e^x in f32 for the activations, written so that the compiler vectorises
 * the loops that call it (glibc's expf is a call per element, a seventh
 * of pal-train's time): Cephes' expf, branch-free.  x is clamped to
 * [-87.3, 88.3], so e^x is a normal float (2^-126 at least, 2.1e38 at
 * most; tanh and silu saturate there anyway) and n below stays in
 * [-126, 127].  n = round(x / ln 2) by the 1.5·2^23 trick (exact for |x / ln 2| < 2^22, in round-to-nearest), r =
 * x - n·ln 2 in two parts (Cody and Waite), e^r by Cephes' degree-6
 * polynomial on [-ln 2 / 2, ln 2 / 2], and 2^n from its exponent bits.
 * Within 2 ulp of e^x; tests/unit/test-mlp.c checks the passes against
 * the naive reference in double, and exp_f32 against exp.
 */
static inline float exp_f32(float x)
{
	const float magic = 12582912.0f;	/* 1.5 * 2^23 */
	float n, r, p;
	union { float f; int32_t i; } u;

	x = x < -87.3f ? -87.3f : x;
	x = x > 88.3f ? 88.3f : x;
	n = (x * 1.44269504088896341f + magic) - magic;
	r = x - n * 0.693359375f;
	r = r - n * -2.12194440e-4f;
	p = 1.9875691500e-4f;
	p = p * r + 1.3981999507e-3f;
	p = p * r + 8.3334519073e-3f;
	p = p * r + 4.1665795894e-2f;
	p = p * r + 1.6666665459e-1f;
	p = p * r + 5.0000001201e-1f;
	p = p * r * r + r + 1.0f;
	u.i = ((int32_t)n + 127) << 23;
	return p * u.f;
}

float mlp_exp_f32(float x)
{
	return exp_f32(x);
}

#define REAL float
#define SFX(name) name##_f32
#define PUB(name) name
#define BATCH mlp_batch
#define GEMM cblas_sgemm
#define EXP exp_f32
#include "mlp-fast.h"

#define REAL double
#define SFX(name) name##_f64
#define PUB(name) name##_f64
#define BATCH mlp_batch64
#define GEMM cblas_dgemm
#define EXP exp
#include "mlp-fast.h"

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
