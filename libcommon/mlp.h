/*
 * mlp.h: the numerics of an MLP committee: M members of one architecture,
 * their parameters in one flat f32 vector, forward and backward passes as
 * GEMMs over a batch (OpenBLAS's cblas_sgemm), the gradient in the inputs
 * and its training term (forces), and a naive reference of each in double.
 *
 * Architecture.  d inputs, nh hidden layers of widths h[0..nh-1], k
 * outputs; the L = nh + 1 linear layers have widths
 *
 *	w[0] = d, w[1] = h[0], ..., w[nh] = h[nh-1], w[L] = k
 *
 * and layer l (1 <= l <= L) maps a row a[l-1] (w[l-1]) to
 *
 *	z[l] = W[l] a[l-1] + b[l]	W[l] is (w[l] x w[l-1]), b[l] is (w[l])
 *	a[l] = act(z[l])		for l < L; the output layer is linear,
 *					f = z[L] (k)
 *
 * act is tanh, relu or silu (z * sigmoid(z)).
 *
 * Parameter layout (theta, mlp.np floats): member-major, then layer by
 * layer, W[l] row-major (out x in) followed by b[l]:
 *
 *	theta = [ member 0 | member 1 | ... | member M-1 ]	each mlp.np1
 *	member = [ W[1] | b[1] | W[2] | b[2] | ... | W[L] | b[L] ]
 *
 * so member m's W[l] starts at theta + m * np1 + woff[l] and its b[l] at
 * theta + m * np1 + boff[l].  An optimiser steps theta as one vector; a
 * gradient has the same layout.
 *
 * Arrays are row-major and dense.  A batch is n rows: x is (n x d), shared
 * by every member, or (M x n x d) when per_member is set (bootstrap: each
 * member its own rows); y is (n x k) or (M x n x k) likewise; outputs are
 * always (M x n x k).
 *
 * The loss of member m over a batch (what mlp_loss_grad differentiates):
 *
 *	L_m = 1/(n k) sum_i |f_m(x_i) - y_i|^2			(MSE)
 *	    + gw/n   sum_i |grad_x f_m(x_i) - g_i|^2		(force term,
 *								 k = 1 only)
 *
 * Every function of the fast path has an f64 twin, name_f64, the same code
 * instantiated with double and cblas_dgemm (struct mlp_batch64 for
 * mlp_loss_grad_f64); the parameters' layout is the same.
 *
 * The fast path's results are the same bits run after run for one OpenBLAS
 * build, CPU kind and thread count (OPENBLAS_NUM_THREADS); another of any
 * of these may sum in another order and differ by rounding.  The members
 * are computed one after another, each on its own part of theta, so a
 * member's outputs and gradient do not depend on the other members.
 *
 * Errors follow err.h's "library's errors": -1 and a struct pal_error;
 * workspace comes from xmalloc (which dies when memory runs out).
 */
#ifndef PAL_MLP_H
#define PAL_MLP_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define MLP_MAX_HIDDEN 16	/* hidden layers at most */
#define MLP_MAX_WIDTH 65536	/* inputs, outputs and widths at most */
#define MLP_MAX_MEMBERS 65536

enum mlp_act { MLP_TANH = 0, MLP_RELU, MLP_SILU };

struct mlp {
	int m;			/* members */
	int d;			/* inputs */
	int k;			/* outputs */
	int nl;			/* linear layers L = hidden layers + 1 */
	int act;		/* enum mlp_act */
	int w[MLP_MAX_HIDDEN + 2];	/* widths w[0] = d .. w[L] = k */
	size_t woff[MLP_MAX_HIDDEN + 2];	/* W[l] in a member, l = 1..L */
	size_t boff[MLP_MAX_HIDDEN + 2];	/* b[l] in a member */
	size_t np1;		/* parameters of one member */
	size_t np;		/* parameters of the committee, m * np1 */

	/* Workspace of the fast paths, for batches of up to cap rows (grown
	 * on demand); one member's worth, reused member by member. */
	int cap_f32, cap_f64;
	float *buf_f32;
	double *buf_f64;
};

/*
 * Set up net for m members, d inputs, nh hidden layers of widths
 * hidden[0..nh-1], k outputs, activation act.  -1 (PAL_ERR_USAGE) when a
 * size is out of range.  net->np is then the length of theta.
 */
int mlp_init(struct mlp *net, int m, int d, int nh, const int *hidden, int k,
	     int act, struct pal_error *err);
/* Free net's workspace (not theta, which is the caller's). */
void mlp_free(struct mlp *net);

/* "tanh", "relu", "silu" to enum mlp_act, -1 for anything else. */
int mlp_act_parse(const char *s);
const char *mlp_act_name(int act);

/*
 * Fill theta (np) with the initial parameters for seed: every W[l] uniform
 * in [-r, r] with r = sqrt(6 / (in + out)) (Glorot) for tanh and for the
 * linear output layer, r = sqrt(6 / in) (He) for the hidden layers of relu
 * and silu; biases 0.  Member m draws from rng stream m of seed, so a
 * member's parameters do not depend on M or on the other members.  (The
 * f64 twin draws the same numbers without rounding them to float.)
 */
void mlp_init_params(const struct mlp *net, float *theta, uint64_t seed);

/*
 * The committee's outputs out (M x n x k) for the n rows of x ((n x d), or
 * (M x n x d) with per_member).  One GEMM per layer per member.
 */
int mlp_forward(struct mlp *net, const float *theta, const float *x, int n,
		int per_member, float *out, struct pal_error *err);

/*
 * The gradient of each member's output in its inputs, for k = 1:
 * gx (M x n x d), gx[m][i][j] = d f_m(x_i) / d x_ij; out (M x n x 1) gets
 * the outputs when not NULL.  -1 (PAL_ERR_USAGE) when k != 1.
 */
int mlp_input_grad(struct mlp *net, const float *theta, const float *x,
		   int n, int per_member, float *out, float *gx,
		   struct pal_error *err);

/* A batch to train on: see the loss above. */
struct mlp_batch {
	const float *x;		/* (n x d), or (M x n x d) with per_member */
	const float *y;		/* (n x k), or (M x n x k) with per_member */
	const float *g;		/* (n x d), or (M x n x d); NULL: no force term */
	float gw;		/* the force term's weight, when g is set */
	int n;			/* rows, >= 1 */
	int per_member;
};

/*
 * Each member's loss loss[m] (M; may be NULL) and its gradient grad (np,
 * theta's layout) on batch b: a forward pass, then the backward pass as
 * GEMMs; with b->g, the input gradient's pass and its adjoint (which
 * needs act'') before the backward pass.  -1 (PAL_ERR_USAGE) when b->g is
 * set and k != 1, or n < 1.
 */
int mlp_loss_grad(struct mlp *net, const float *theta,
		  const struct mlp_batch *b, float *loss, float *grad,
		  struct pal_error *err);

/* The f32 exponential of the fast path's activations (for the tests):
 * within 2 ulp of e^x for x in [-87.3, 88.3], clamped outside. */
float mlp_exp_f32(float x);

/* ---- the f64 twins: the same contracts in double ------------------------ */

struct mlp_batch64 {
	const double *x, *y, *g;
	double gw;
	int n;
	int per_member;
};

void mlp_init_params_f64(const struct mlp *net, double *theta, uint64_t seed);
int mlp_forward_f64(struct mlp *net, const double *theta, const double *x,
		    int n, int per_member, double *out, struct pal_error *err);
int mlp_input_grad_f64(struct mlp *net, const double *theta, const double *x,
		       int n, int per_member, double *out, double *gx,
		       struct pal_error *err);
int mlp_loss_grad_f64(struct mlp *net, const double *theta,
		      const struct mlp_batch64 *b, double *loss, double *grad,
		      struct pal_error *err);

/* ---- the naive reference -----------------------------------------------
 *
 * The same functions in double with plain loops, one member and one row at
 * a time, for the tests: theta, x, y, g, out, gx and grad have the shapes
 * above (x, y and g shared by the members, no per_member).  net is only
 * read (its sizes and offsets).
 */
void mlp_forward_naive(const struct mlp *net, const double *theta,
		       const double *x, int n, double *out);
/* k = 1 only (the caller's to check). */
void mlp_input_grad_naive(const struct mlp *net, const double *theta,
			  const double *x, int n, double *gx);
/* g may be NULL (no force term; then k may be any). */
void mlp_loss_grad_naive(const struct mlp *net, const double *theta,
			 const double *x, const double *y, const double *g,
			 double gw, int n, double *loss, double *grad);

#endif
