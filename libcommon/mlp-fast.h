/*
 * mlp-fast.h: the fast path of mlp.c, written once for f32 and f64.
 *
 * Not a header of its own: mlp.c includes it twice, with
 *
 *	REAL		float or double
 *	SFX(name)	name_f32 or name_f64, for the static functions and the
 *			workspace fields of struct mlp
 *	PUB(name)	the public name: name (f32) or name_f64
 *	BATCH		mlp_batch or mlp_batch64
 *	GEMM, EXP	cblas_sgemm and mlp.c's exp_f32, or cblas_dgemm and
 *			exp
 *
 * defined, and it undefines them at its end.
 */

void PUB(mlp_init_params)(const struct mlp *net, REAL *theta,
			     uint64_t seed)
{
	int m, l;

	for (m = 0; m < net->m; m++) {
		REAL *th = theta + (size_t)m * net->np1;
		struct rng r;

		rng_seed(&r, seed, (uint64_t)m);
		for (l = 1; l <= net->nl; l++) {
			double in = net->w[l - 1], out = net->w[l];
			double lim = net->act == MLP_TANH || l == net->nl ?
				sqrt(6 / (in + out)) : sqrt(6 / in);
			size_t e, nw = (size_t)net->w[l] * (size_t)net->w[l - 1];

			for (e = 0; e < nw; e++)
				th[net->woff[l] + e] =
					(REAL)(lim * (2 * rng_uniform(&r) - 1));
			for (e = 0; e < (size_t)net->w[l]; e++)
				th[net->boff[l] + e] = 0;
		}
	}
}

/* a = act(z) over len entries (vectorised in f32: kept out of line, where
 * the compiler vectorises it, rather than inlined into callers, where it
 * did not; and compiled twice, for AVX2's 8 lanes and for SSE2's 4, the
 * one the CPU has chosen at load time.  No FMA is enabled, so both give
 * the same bits: each lane does the scalar code's operations.) */
static __attribute__((noinline, target_clones("avx2", "default")))
void SFX(act)(int act,
					       const REAL *restrict z,
					       REAL *restrict a, size_t len)
{
	size_t e;

	switch (act) {
	case MLP_TANH:
		/* 1 - 2/(1 + e^2z): in f32, vectorised with exp_f32, 20
		 * times faster than glibc's tanhf; within 3e-7 of tanh;
		 * saturates to +-1 */
		for (e = 0; e < len; e++)
			a[e] = 1 - 2 / (1 + EXP(2 * z[e]));
		break;
	case MLP_RELU:
		for (e = 0; e < len; e++)
			a[e] = z[e] > 0 ? z[e] : 0;
		break;
	default:
		for (e = 0; e < len; e++)
			a[e] = z[e] / (1 + EXP(-z[e]));
		break;
	}
}

/* act'(z) of one entry, where a = act(z) is known */
static inline REAL SFX(act1)(int act, REAL z, REAL a)
{
	REAL s;

	switch (act) {
	case MLP_TANH:
		return 1 - a * a;
	case MLP_RELU:
		return z > 0 ? 1 : 0;
	default:
		s = 1 / (1 + EXP(-z));
		return s * (1 + z * (1 - s));
	}
}

/* t *= act'(z) over len entries, a = act(z): the backward pass's hot loop,
 * out of line and in AVX2 and SSE2 like SFX(act), with the switch outside
 * the loop so that each case vectorises; each entry gets the operations of
 * t[e] *= SFX(act1)(act, z[e], a[e]), so the same bits. */
static __attribute__((noinline, target_clones("avx2", "default")))
void SFX(act_mul)(int act, const REAL *restrict z, const REAL *restrict a,
		  REAL *restrict t, size_t len)
{
	size_t e;

	switch (act) {
	case MLP_TANH:
		for (e = 0; e < len; e++)
			t[e] *= 1 - a[e] * a[e];
		break;
	case MLP_RELU:
		for (e = 0; e < len; e++)
			t[e] *= z[e] > 0 ? 1 : 0;
		break;
	default:
		for (e = 0; e < len; e++) {
			REAL sg = 1 / (1 + EXP(-z[e]));

			t[e] *= sg * (1 + z[e] * (1 - sg));
		}
		break;
	}
}

static inline REAL SFX(act2)(int act, REAL z, REAL a)
{
	REAL s;

	switch (act) {
	case MLP_TANH:
		return -2 * a * (1 - a * a);
	case MLP_RELU:
		return 0;
	default:
		s = 1 / (1 + EXP(-z));
		return s * (1 - s) * (2 + z * (1 - 2 * s));
	}
}

/* ---- the fast path's workspace ----------------------------------------- */

/*
 * One member's arrays for a batch of n rows, carved out of net->buf_f32
 * (or buf_f64):
 * Z[l], A[l], U[l], V[l], Zb[l] (n x w[l]) for the hidden layers, Z[L]
 * (n x k), two scratch arrays P and Q (n x max width), G and Gb (n x d),
 * ones (n).
 */
struct SFX(work) {
	REAL *z[MLP_MAX_HIDDEN + 2], *a[MLP_MAX_HIDDEN + 2];
	REAL *u[MLP_MAX_HIDDEN + 2], *v[MLP_MAX_HIDDEN + 2];
	REAL *zb[MLP_MAX_HIDDEN + 2];
	REAL *p, *q, *g, *gb, *ones;
};

static int SFX(work_get)(struct mlp *net, int n, struct SFX(work) *wk,
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
	if (nn > (SIZE_MAX / sizeof(REAL)) / per_row)
		return pal_seterr(err, PAL_ERR_LIMIT, 0,
				  "batch of %d rows too large (mlp)", n);
	if (n > net->SFX(cap)) {
		free(net->SFX(buf));
		net->SFX(buf) = xmalloc(nn * per_row * sizeof(REAL));
		net->SFX(cap) = n;
	}
	memset(wk, 0, sizeof(*wk));
	for (l = 1; l < L; l++) {
		size_t len = nn * (size_t)net->w[l];

		wk->z[l] = net->SFX(buf) + off; off += len;
		wk->a[l] = net->SFX(buf) + off; off += len;
		wk->u[l] = net->SFX(buf) + off; off += len;
		wk->v[l] = net->SFX(buf) + off; off += len;
		wk->zb[l] = net->SFX(buf) + off; off += len;
	}
	wk->z[L] = net->SFX(buf) + off; off += nn * (size_t)net->k;
	wk->p = net->SFX(buf) + off; off += nn * maxw;
	wk->q = net->SFX(buf) + off; off += nn * maxw;
	wk->g = net->SFX(buf) + off; off += nn * (size_t)net->d;
	wk->gb = net->SFX(buf) + off; off += nn * (size_t)net->d;
	wk->ones = net->SFX(buf) + off;
	for (l = 0; l < n; l++)
		wk->ones[l] = 1;
	wk->u[L] = wk->ones;		/* U[L] = 1 when k = 1 */
	return 0;
}

/* ---- the fast path ------------------------------------------------------ */

/* One member's forward pass: Z[l], A[l] for l = 1..L from x (n x d). */
static void SFX(forward1)(const struct mlp *net, const REAL *th, const REAL *x,
		     int n, struct SFX(work) *wk)
{
	const REAL *in = x;
	int l, i;

	for (l = 1; l <= net->nl; l++) {
		int o = net->w[l], p = net->w[l - 1];
		const REAL *W = th + net->woff[l], *b = th + net->boff[l];
		REAL *Z = wk->z[l];

		// Z (n, o) = in (n, p) W^T (p, o) + b (o)
		for (i = 0; i < n; i++)
			memcpy(Z + (size_t)i * o, b, (size_t)o * sizeof(REAL));
		GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, n, o, p,
			    1, in, p, W, p, 1, Z, o);
		if (l < net->nl) {
			SFX(act)(net->act, Z, wk->a[l], (size_t)n * o);
			in = wk->a[l];
		}
	}
}

/* One member's input gradient (k = 1) into wk->g (n x d), after SFX(forward1);
 * keeps U[l] and V[l] for the force term. */
static void SFX(input_grad1)(const struct mlp *net, const REAL *th, int n,
			struct SFX(work) *wk)
{
	int l, L = net->nl;
	size_t e;

	for (l = L; l >= 2; l--) {
		int o = net->w[l], p = net->w[l - 1];
		const REAL *W = th + net->woff[l];
		REAL *V = wk->v[l - 1], *U = wk->u[l - 1];
		const REAL *Z = wk->z[l - 1], *A = wk->a[l - 1];

		// V[l-1] (n, p) = U[l] (n, o) W[l] (o, p)
		GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, p, o,
			    1, wk->u[l], o, W, p, 0, V, p);
		// U[l-1] = V[l-1] .* act'(Z[l-1])
		for (e = 0; e < (size_t)n * p; e++)
			U[e] = V[e] * SFX(act1)(net->act, Z[e], A[e]);
	}
	// G (n, d) = U[1] (n, w1) W[1] (w1, d)
	GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, net->d,
		    net->w[1], 1, wk->u[1], net->w[1], th + net->woff[1],
		    net->d, 0, wk->g, net->d);
}

int PUB(mlp_forward)(struct mlp *net, const REAL *theta, const REAL *x, int n,
		int per_member, REAL *out, struct pal_error *err)
{
	struct SFX(work) wk;
	size_t nk = (size_t)n * (size_t)net->k;
	int m;

	if (SFX(work_get)(net, n, &wk, err) < 0)
		return -1;
	for (m = 0; m < net->m; m++) {
		const REAL *xm = x + (per_member ? (size_t)m * n * net->d : 0);

		SFX(forward1)(net, theta + (size_t)m * net->np1, xm, n, &wk);
		memcpy(out + (size_t)m * nk, wk.z[net->nl], nk * sizeof(REAL));
	}
	return 0;
}

int PUB(mlp_input_grad)(struct mlp *net, const REAL *theta, const REAL *x,
		   int n, int per_member, REAL *out, REAL *gx,
		   struct pal_error *err)
{
	struct SFX(work) wk;
	size_t nd = (size_t)n * (size_t)net->d;
	int m;

	if (net->k != 1)
		return pal_seterr(err, PAL_ERR_USAGE, 0,
				  "the input gradient needs 1 output, not %d "
				  "(mlp)", net->k);
	if (SFX(work_get)(net, n, &wk, err) < 0)
		return -1;
	for (m = 0; m < net->m; m++) {
		const REAL *th = theta + (size_t)m * net->np1;

		SFX(forward1)(net, th, x + (per_member ? (size_t)m * nd : 0), n, &wk);
		SFX(input_grad1)(net, th, n, &wk);
		if (out)
			memcpy(out + (size_t)m * n, wk.z[net->nl],
			       (size_t)n * sizeof(REAL));
		memcpy(gx + (size_t)m * nd, wk.g, nd * sizeof(REAL));
	}
	return 0;
}

/*
 * The force term's adjoint for one member, after SFX(input_grad1): adds its
 * explicit part to dW, leaves the seeds Zb[l] for the backward pass, and
 * returns gw/n sum |G - g|^2.
 */
static double SFX(force_adjoint1)(const struct mlp *net, const REAL *th,
			     const REAL *g, REAL gw, int n, REAL *grad,
			     struct SFX(work) *wk)
{
	int l, L = net->nl, d = net->d;
	size_t e, nd = (size_t)n * d;
	double loss = 0;
	REAL *ub = wk->p, *t;

	// Gb (n, d) = 2 gw/n (G - g)
	for (e = 0; e < nd; e++) {
		REAL r = wk->g[e] - g[e];

		loss += (double)r * r;
		wk->gb[e] = 2 * gw / (REAL)n * r;
	}
	// dW[1] (w1, d) += U[1]^T (w1, n) Gb (n, d)
	GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, net->w[1], d, n,
		    1, wk->u[1], net->w[1], wk->gb, d, 1,
		    grad + net->woff[1], d);
	// Ub[1] (n, w1) = Gb (n, d) W[1] (w1, d)^T
	GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, n, net->w[1], d,
		    1, wk->gb, d, th + net->woff[1], d, 0, ub, net->w[1]);
	for (l = 1; l < L; l++) {
		int p = net->w[l], o = net->w[l + 1];
		const REAL *Z = wk->z[l], *A = wk->a[l], *V = wk->v[l];

		// Zb[l] = Ub .* V[l] .* act''(Z[l]); Vb[l] = Ub .* act'(Z[l]) (in place)
		for (e = 0; e < (size_t)n * p; e++) {
			wk->zb[l][e] = ub[e] * V[e] *
				SFX(act2)(net->act, Z[e], A[e]);
			ub[e] *= SFX(act1)(net->act, Z[e], A[e]);
		}
		// dW[l+1] (o, p) += U[l+1]^T (o, n) Vb[l] (n, p)
		GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, o, p, n,
			    1, wk->u[l + 1], o, ub, p, 1,
			    grad + net->woff[l + 1], p);
		if (l + 1 < L) {
			t = ub == wk->p ? wk->q : wk->p;
			// Ub[l+1] (n, o) = Vb[l] (n, p) W[l+1]^T (p, o)
			GEMM(CblasRowMajor, CblasNoTrans, CblasTrans,
				    n, o, p, 1, ub, p,
				    th + net->woff[l + 1], p, 0, t, o);
			ub = t;
		}
	}
	return gw / n * loss;
}

int PUB(mlp_loss_grad)(struct mlp *net, const REAL *theta,
		  const struct BATCH *b, REAL *loss, REAL *grad,
		  struct pal_error *err)
{
	struct SFX(work) wk;
	int n = b->n, k = net->k, d = net->d, L = net->nl, m, l, i, j;
	size_t nk = (size_t)n * k, nd = (size_t)n * d, e;

	if (b->g && k != 1)
		return pal_seterr(err, PAL_ERR_USAGE, 0,
				  "the force term needs 1 output, not %d (mlp)",
				  k);
	if (SFX(work_get)(net, n, &wk, err) < 0)
		return -1;
	for (m = 0; m < net->m; m++) {
		const REAL *th = theta + (size_t)m * net->np1;
		const REAL *x = b->x + (b->per_member ? m * nd : 0);
		const REAL *y = b->y + (b->per_member ? m * nk : 0);
		REAL *gr = grad + (size_t)m * net->np1;
		REAL *delta = wk.p, *t;
		double lm = 0;

		memset(gr, 0, net->np1 * sizeof(REAL));
		SFX(forward1)(net, th, x, n, &wk);
		if (b->g) {
			SFX(input_grad1)(net, th, n, &wk);
			lm += SFX(force_adjoint1)(net, th,
					     b->g + (b->per_member ? m * nd : 0),
					     b->gw, n, gr, &wk);
		}
		// delta[L] (n, k) = 2/(n k) (Z[L] - y)
		for (e = 0; e < nk; e++) {
			REAL r = wk.z[L][e] - y[e];

			lm += (double)r * r / (double)nk;
			delta[e] = 2 * r / (REAL)nk;
		}
		for (l = L; l >= 1; l--) {
			int o = net->w[l], p = net->w[l - 1];
			const REAL *W = th + net->woff[l];
			const REAL *in = l > 1 ? wk.a[l - 1] : x;
			REAL *gb = gr + net->boff[l];

			// dW[l] (o, p) += delta^T (o, n) A[l-1] (n, p)
			GEMM(CblasRowMajor, CblasTrans, CblasNoTrans,
				    o, p, n, 1, delta, o, in, p, 1,
				    gr + net->woff[l], p);
			// db[l] (o) += column sums of delta
			for (i = 0; i < n; i++)
				for (j = 0; j < o; j++)
					gb[j] += delta[(size_t)i * o + j];
			if (l == 1)
				break;
			t = delta == wk.p ? wk.q : wk.p;
			// delta[l-1] (n, p) = delta (n, o) W[l] (o, p) .* act'(Z[l-1]) (+ Zb[l-1])
			GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans,
				    n, p, o, 1, delta, o, W, p, 0, t, p);
			SFX(act_mul)(net->act, wk.z[l - 1], wk.a[l - 1], t,
				     (size_t)n * p);
			if (b->g)
				for (e = 0; e < (size_t)n * p; e++)
					t[e] += wk.zb[l - 1][e];
			delta = t;
		}
		if (loss)
			loss[m] = (REAL)lm;
	}
	return 0;
}

#undef REAL
#undef SFX
#undef PUB
#undef BATCH
#undef GEMM
#undef EXP
