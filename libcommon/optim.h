/*
 * optim.h: the optimisers of pal's models.
 *
 *   - First-order steps on a flat parameter vector (an MLP's weights, all
 *     layers in one array): SGD, momentum, RMSProp, Adam and AdaDelta, as
 *     mpi_learn defines them, with its defaults.  The optimiser keeps its
 *     state (running averages, step count); the caller computes the
 *     gradient and calls optim_step() once per batch.
 *   - L-BFGS for a smooth function of a few dozen f64 variables (a GP's
 *     log hyper-parameters): two-loop recursion and a weak-Wolfe line
 *     search by bisection, no bounds.
 *   - A finite-difference check of an analytic gradient.
 *
 * No BLAS: these are plain loops over n elements, cheap beside the GEMMs
 * that made the gradient, and the same on every machine.
 */
#ifndef PAL_OPTIM_H
#define PAL_OPTIM_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* ---- first-order optimisers ---------------------------------------------
 *
 * The update of one element w with gradient g, state zero at the start,
 * t the step number counted from 1.  The formulas and defaults are those
 * of mpi_learn (github.com/vlimant/mpi_learn, mpi_learn/train/optimizer.py:
 * VanillaSGD, RMSProp, Adam, AdaDelta):
 *
 *   sgd       w -= lr·g                                   lr 0.01
 *   momentum  v = mu·v - lr·g;  w += v                    lr 0.01, mu 0.9
 *   rmsprop   r = rho·r + (1-rho)·g²                      lr 0.001, rho 0.9,
 *             w -= lr·g / sqrt(r + eps)                   eps 1e-8
 *   adam      m = b1·m + (1-b1)·g                         lr 0.001, b1 0.9,
 *             v = b2·v + (1-b2)·g²                        b2 0.999, eps 1e-8
 *             a = lr·sqrt(1 - b2^t) / (1 - b1^t)
 *             w -= a·m / (sqrt(v) + eps)
 *   adadelta  r = rho·r + (1-rho)·g²                      rho 0.95, eps 1e-8,
 *             u = lr·sqrt(d + eps) / sqrt(r + eps) · g    lr 1
 *             w -= u;  d = rho·d + (1-rho)·u²
 *
 * Note where eps sits: inside the square root for RMSProp and AdaDelta,
 * outside it for Adam, as in mpi_learn.  mpi_learn's optimizer.py has no
 * momentum optimiser of its own (its Keras and Torch wrappers aside); ours
 * is the classical heavy ball with the defaults of mpi_learn's GEM
 * optimiser (lr 0.01, momentum 0.9), which is the same update as
 * torch.optim.SGD(momentum=mu, dampening=0) written in velocity form.
 * AdaDelta in mpi_learn has no learning rate, which is lr = 1 here.
 *
 * With weight_decay wd > 0, g + wd·w stands for g in every formula (L2
 * regularisation of ½·wd·|w|², as torch's weight_decay); default 0.
 */
enum optim_kind {
	OPTIM_SGD,
	OPTIM_MOMENTUM,
	OPTIM_RMSPROP,
	OPTIM_ADAM,
	OPTIM_ADADELTA,
};

struct optim_params {
	double lr;		/* learning rate (all; adadelta's is a factor) */
	double momentum;	/* momentum: mu */
	double rho;		/* rmsprop, adadelta: decay of running averages */
	double beta1, beta2;	/* adam */
	double eps;		/* rmsprop, adam, adadelta */
	double weight_decay;	/* all: g + weight_decay·w */
};

/* The defaults above for kind, into *p (every field set). */
void optim_defaults(enum optim_kind kind, struct optim_params *p);

/* "sgd", "momentum", "rmsprop", "adam", "adadelta" to a kind: 0, or -1
 * with err (PAL_ERR_USAGE, "unknown optimizer 'x'") filled. */
int optim_parse(const char *name, enum optim_kind *kind,
		struct pal_error *err);
/* The name of kind, as optim_parse takes it. */
const char *optim_name(enum optim_kind kind);

/*
 * An optimiser of n parameters.  The state is kept in f64 whatever the
 * precision of the parameters, so that optim_step and optim_step_f64 give
 * the same sequence up to the rounding of w; s1 and s2 are n each:
 *
 *   momentum  s1 = v
 *   rmsprop   s1 = r
 *   adam      s1 = m, s2 = v
 *   adadelta  s1 = r, s2 = d
 *
 * (NULL where unused).  A caller that saves and restores an optimiser
 * (a warm start) copies t, s1 and s2.
 */
struct optim {
	enum optim_kind kind;
	struct optim_params p;
	size_t n;
	uint64_t t;		/* steps taken */
	double *s1, *s2;
};

/*
 * A new optimiser of kind for n parameters with the hyper-parameters *p
 * (NULL: the defaults), state zero.  Errors (NULL, err filled,
 * PAL_ERR_USAGE): a hyper-parameter out of its range (lr ≤ 0, mu, rho,
 * b1, b2 outside [0, 1), eps or weight_decay < 0, or not finite).  Dies
 * through xmalloc when out of memory.
 */
struct optim *optim_new(enum optim_kind kind, const struct optim_params *p,
			size_t n, struct pal_error *err);
/* Zero the state and t, as at the start. */
void optim_reset(struct optim *o);
void optim_free(struct optim *o);

/*
 * One step: w (n floats) is updated in place from the gradient g (n
 * floats) of the loss at w.  The arithmetic is done in f64 and w rounded
 * to f32 at the end.  w and g must not overlap.
 */
void optim_step(struct optim *o, float *w, const float *g);
/* The same on f64 parameters. */
void optim_step_f64(struct optim *o, double *w, const double *g);

/* ---- L-BFGS ------------------------------------------------------------ */

/*
 * The function to minimise: f at x (n doubles), its gradient into grad (n
 * doubles).  A non-finite f means "outside the domain": the line search
 * steps back from it.
 */
typedef double (*optim_fn)(const double *x, double *grad, void *ctx);

struct lbfgs_params {
	int m;			/* pairs (s, y) kept; default 10 */
	int max_iter;		/* iterations (directions); default 200 */
	int max_ls;		/* evaluations per line search; default 40 */
	double gtol;		/* stop when max |grad_i| ≤ gtol; default 1e-5 */
	double ftol;		/* stop when (f_k - f_k+1) / max(|f_k|, |f_k+1|, 1)
				 * ≤ ftol; default 1e7·DBL_EPSILON ≈ 2.2e-9 */
	double c1, c2;		/* Wolfe constants; default 1e-4, 0.9 */
};

/* Why lbfgs() stopped. */
enum lbfgs_stop {
	LBFGS_GTOL = 0,		/* gradient below gtol: converged */
	LBFGS_FTOL,		/* relative decrease below ftol: converged */
	LBFGS_MAXITER,		/* max_iter reached; x is the best point */
	LBFGS_LINESEARCH,	/* no step along the direction decreased f
				 * (at the limit of f's precision, or a wrong
				 * gradient); x is the best point */
};

struct lbfgs_result {
	int iters;		/* iterations done */
	int evals;		/* calls of fn, the first included */
	double f;		/* f at the returned x */
	double gmax;		/* max |grad_i| there */
	enum lbfgs_stop stop;
};

/* The defaults above into *p. */
void lbfgs_defaults(struct lbfgs_params *p);

/*
 * Minimise fn from x (n doubles, n ≥ 1), in place: on return x holds the
 * best point found and *res (when not NULL) says how and why it stopped;
 * every stop in enum lbfgs_stop returns 0, the caller judges MAXITER and
 * LINESEARCH.  p NULL: the defaults.  Errors (-1, err filled): f or its
 * gradient not finite at the start (PAL_ERR_NUMERIC), bad parameters
 * (PAL_ERR_USAGE).  Allocates 2·m·n + 5·n doubles through xmalloc.
 * Deterministic: the same fn, x and p give the same steps.
 */
int lbfgs(size_t n, double *x, optim_fn fn, void *ctx,
	  const struct lbfgs_params *p, struct lbfgs_result *res,
	  struct pal_error *err);

/* ---- gradient check ---------------------------------------------------- */

/*
 * Check fn's gradient at x (n doubles, not changed) by central differences
 * with step h_i = h·max(1, |x_i|): fd_i = (f(x + h_i e_i) - f(x - h_i e_i))
 * / 2h_i.  Returns the largest relative error
 *     |grad_i - fd_i| / max(|grad_i|, |fd_i|, tiny)
 * over i, and its index into *worst (when not NULL); the estimates go into
 * fd (n doubles) when not NULL.  tiny keeps components near zero from
 * counting relative noise (1e-8 is typical); h ≈ 1e-6 suits a smooth f in
 * f64 (error O(h²) plus rounding O(ε·|f|/h)).
 */
double optim_gradcheck(size_t n, const double *x, optim_fn fn, void *ctx,
		       double h, double tiny, double *fd, size_t *worst);

#endif
