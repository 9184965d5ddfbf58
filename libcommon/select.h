/*
 * select.h: the data structures of pal-select, kept apart so they can be
 * tested alone: a bounded min-heap that keeps the k best of a stream of
 * scored rows, and the two rules that choose a diverse batch from them.
 *
 * Neither knows about frames: the heap holds small entries (score, tie key,
 * sequence number, slot) and the caller keeps the rows themselves in a store
 * indexed by slot, so a row is copied once when it enters and once when it
 * leaves.
 */
#ifndef PAL_SELECT_H
#define PAL_SELECT_H

#include <stddef.h>
#include <stdint.h>

#include "hash.h"

/* ---- top-k: a bounded min-heap --------------------------------------- */

/*
 * One scored row.  The ranking is: higher score first; on equal scores the
 * higher tie key first; on equal tie keys the lower sequence number (the
 * earlier row) first.  Scores are never NaN (the caller keeps NaN rows out).
 */
struct topk_entry {
	double score;
	uint64_t tie;
	uint64_t seq;
	uint64_t slot;			/* where the caller keeps the row */
};

/*
 * The k best entries seen so far, as a min-heap on the ranking (the worst
 * kept entry at the root) from the time it is full: until then entries are
 * only appended, and made a heap at once when the first one past cap
 * arrives.  Its array grows on demand up to cap entries, so
 * a large k costs memory only when that many rows arrive.  Slots are
 * 0..cap-1: the n-th entry ever kept gets slot n while the heap fills, and
 * an entry that replaces another takes the slot of the one it evicts.
 */
struct topk {
	struct topk_entry *e;
	size_t n;			/* entries held */
	size_t alloc;			/* entries allocated */
	size_t cap;			/* the k of top-k */
	int heaped;			/* e is a heap (else in arrival order) */
};

enum topk_result {
	TOPK_REJECTED = 0,		/* not better than the worst kept entry */
	TOPK_ADDED,			/* kept; the heap was not full */
	TOPK_REPLACED,			/* kept; *evicted was thrown out */
};

/* Whether a ranks strictly before b. */
int topk_before(const struct topk_entry *a, const struct topk_entry *b);

/* An empty heap that keeps at most cap entries (cap may be 0). */
void topk_init(struct topk *h, size_t cap);

/*
 * Offer an entry (its slot field is ignored).  Returns TOPK_REJECTED, or
 * TOPK_ADDED or TOPK_REPLACED with *slot set to the slot the caller must
 * store the row in; for TOPK_REPLACED, *evicted is the entry thrown out,
 * whose slot is the same *slot (the caller moves the old row out first).
 * Dies (out of memory) only when the array cannot grow.
 */
enum topk_result topk_offer(struct topk *h, const struct topk_entry *cand,
			    uint64_t *slot, struct topk_entry *evicted);

/* Sort the entries best first, in place; the heap is no longer a heap and
 * must only be read (h->e[0..n)) or freed afterwards. */
void topk_sort(struct topk *h);

void topk_free(struct topk *h);

/* ---- a diverse batch: choosing among the pool ----------------------- */

/*
 * Both rules take the pool as n points x[0..n*d), row-major, one point of d
 * doubles after another, in rank order (best first), every coordinate
 * finite; they set chosen[j] = 1 (chosen is n zeroed bytes) for the points
 * they choose, and return how many.  Distances are Euclidean, compared
 * squared: dist2(a, b) sums (a[q] - b[q])^2 for q = 0, 1, ... in that
 * order, so that a fast rule and its naive reference compute the very
 * same doubles and choose the very same points.
 *
 * select_diverse: greedy farthest-point selection of up to k points: the
 * first (best) point, then again and again the point whose distance to the
 * nearest chosen point is largest, the better-ranked on equal distances;
 * it stops early when that distance is below min_dist (0: never).  It
 * reads x where it lies, and a round reads the point of a row only when its
 * bound on that distance says it may be the farthest (select.c).
 *
 * select_min_dist: a greedy pass in rank order that takes up to k points,
 * skipping a point closer than min_dist (> 0) to one already taken.  The
 * points taken are kept in a grid of cells of side just over min_dist on
 * the first min(d, 3) coordinates, so that a point is checked only against
 * those in the 3^min(d,3) cells around its own.
 *
 * The *_naive functions are the references: the plain loops over every
 * pair, kept for the tests.  All four die only when out of memory.
 */
size_t select_diverse(const double *x, size_t n, size_t d, size_t k,
		      double min_dist, char *chosen);

/*
 * select_diverse for points in any order: before(a, b, ctx) says whether
 * point a ranks before point b (a strict total order); chosen is indexed
 * like x.  The rule and its result are select_diverse's on the points
 * sorted by rank: the caller need not sort them (before is called only
 * to find the best point and on equal distances).
 */
size_t select_diverse_ranked(const double *x, size_t n, size_t d, size_t k,
			     double min_dist,
			     int (*before)(size_t a, size_t b, const void *ctx),
			     const void *ctx, char *chosen);
size_t select_diverse_naive(const double *x, size_t n, size_t d, size_t k,
			    double min_dist, char *chosen);
size_t select_min_dist(const double *x, size_t n, size_t d, size_t k,
		       double min_dist, char *chosen);
size_t select_min_dist_naive(const double *x, size_t n, size_t d, size_t k,
			     double min_dist, char *chosen);

/* The id set (struct idset) and mix64 are in hash.h. */

#endif
