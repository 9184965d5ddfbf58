/*
 * select.c: the bounded heap of pal-select and its diversity rules; see
 * select.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "select.h"
#include "banned.h"

/* ---- top-k ----------------------------------------------------------- */

int topk_before(const struct topk_entry *a, const struct topk_entry *b)
{
	if (a->score != b->score)
		return a->score > b->score;
	if (a->tie != b->tie)
		return a->tie > b->tie;
	return a->seq < b->seq;
}

void topk_init(struct topk *h, size_t cap)
{
	memset(h, 0, sizeof(*h));
	h->cap = cap;
}

/* Restore the heap below i: the worst entry at the root. */
static void sift_down(struct topk *h, size_t i)
{
	struct topk_entry x = h->e[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		/* The worse of the two children. */
		if (c + 1 < h->n && topk_before(&h->e[c], &h->e[c + 1]))
			c++;
		if (!topk_before(&x, &h->e[c]))
			break;
		h->e[i] = h->e[c];
		i = c;
	}
	h->e[i] = x;
}

static void sift_up(struct topk *h, size_t i)
{
	struct topk_entry x = h->e[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (!topk_before(&h->e[p], &x))
			break;
		h->e[i] = h->e[p];
		i = p;
	}
	h->e[i] = x;
}

enum topk_result topk_offer(struct topk *h, const struct topk_entry *cand,
			    uint64_t *slot, struct topk_entry *evicted)
{
	if (h->cap == 0)
		return TOPK_REJECTED;
	if (h->n < h->cap) {
		if (h->n == h->alloc) {
			size_t a = h->alloc ? 2 * h->alloc : 64;

			if (a > h->cap)
				a = h->cap;
			if (a > SIZE_MAX / sizeof(*h->e))
				die("out of memory for the top %zu rows", h->cap);
			h->e = xrealloc(h->e, a * sizeof(*h->e));
			h->alloc = a;
		}
		h->e[h->n] = *cand;
		h->e[h->n].slot = h->n;
		*slot = h->n;
		sift_up(h, h->n++);
		return TOPK_ADDED;
	}
	if (!topk_before(cand, &h->e[0]))
		return TOPK_REJECTED;
	*evicted = h->e[0];
	h->e[0] = *cand;
	h->e[0].slot = evicted->slot;
	*slot = evicted->slot;
	sift_down(h, 0);
	return TOPK_REPLACED;
}

/*
 * Heapsort in place: the worst entry is at the root, so moving the root to
 * the end again and again leaves the array sorted best first, with no
 * second array (qsort's merge sort would allocate one as large).
 */
void topk_sort(struct topk *h)
{
	size_t n = h->n;

	while (h->n > 1) {
		struct topk_entry worst = h->e[0];

		h->e[0] = h->e[--h->n];
		sift_down(h, 0);
		h->e[h->n] = worst;
	}
	h->n = n;
}

void topk_free(struct topk *h)
{
	free(h->e);
	memset(h, 0, sizeof(*h));
}

/* ---- a diverse batch ------------------------------------------------- */

/* The squared distance, summed in coordinate order (see select.h). */
static inline double dist2(const double *a, const double *b, size_t d)
{
	double s = 0;

	for (size_t q = 0; q < d; q++) {
		double t = a[q] - b[q];

		s += t * t;
	}
	return s;
}

size_t select_diverse_naive(const double *x, size_t n, size_t d, size_t k,
			    double min_dist, char *chosen)
{
	double d2min = min_dist * min_dist, *far;
	size_t m = 0;

	if (n == 0 || k == 0)
		return 0;
	far = xmalloc(n * sizeof(*far));
	for (size_t j = 0; j < n; j++)
		far[j] = INFINITY;
	for (size_t pick = 0; m < k; ) {
		size_t next = n;

		chosen[pick] = 1;
		m++;
		for (size_t j = 0; j < n; j++) {
			double s;

			if (chosen[j])
				continue;
			s = dist2(x + j * d, x + pick * d, d);
			if (s < far[j])
				far[j] = s;
			/* The farthest; on equal distance the better rank. */
			if (next == n || far[j] > far[next])
				next = j;
		}
		if (next == n || far[next] < d2min)
			break;
		pick = next;
	}
	free(far);
	return m;
}

/*
 * The fast rule is the naive loop without what costs in it: no copy of the
 * points (x is read where it lies, in order), no test for the chosen
 * points (their far is -inf, which no distance lowers and no round takes),
 * and one pass a round that lowers far and finds the largest at once.
 */
size_t select_diverse(const double *x, size_t n, size_t d, size_t k,
		      double min_dist, char *chosen)
{
	double d2min = min_dist * min_dist, *far;
	size_t m = 0, pick = 0;

	if (n == 0 || k == 0)
		return 0;
	far = xmalloc(n * sizeof(*far));
	for (size_t j = 0; j < n; j++)
		far[j] = INFINITY;
	for (;;) {
		const double *xp = x + pick * d;
		size_t next = SIZE_MAX;
		double best = -1.0;

		chosen[pick] = 1;
		if (++m == k)
			break;
		far[pick] = -INFINITY;
		for (size_t j = 0; j < n; j++) {
			double s = dist2(x + j * d, xp, d), f = far[j];

			if (s < f)
				far[j] = f = s;
			/* The farthest; on equal distance the first. */
			if (f > best) {
				best = f;
				next = j;
			}
		}
		if (next == SIZE_MAX || best < d2min)
			break;
		pick = next;
	}
	free(far);
	return m;
}

size_t select_min_dist_naive(const double *x, size_t n, size_t d, size_t k,
			     double min_dist, char *chosen)
{
	double d2min = min_dist * min_dist;
	size_t *taken = xmalloc((k < n ? k : n ? n : 1) * sizeof(*taken));
	size_t m = 0;

	for (size_t j = 0; j < n && m < k; j++) {
		size_t t = 0;

		while (t < m && dist2(x + j * d, x + taken[t] * d, d) >= d2min)
			t++;
		if (t == m) {
			chosen[j] = 1;
			taken[m++] = j;
		}
	}
	free(taken);
	return m;
}

/*
 * The grid: cells of side h, a little over min_dist, on the first p <= 3
 * coordinates; a cell's key mixes its integer coordinates (two cells may
 * share a key: that only adds points to check, never hides one).  Two
 * points closer than min_dist are less than h apart in each coordinate, so
 * in the same or neighbouring cells, provided that x / h is computed
 * closely enough: within 2^-22 when |x / h| <= 2^31, while the margin of h
 * over min_dist (2^-20 of it) leaves 2^-21 for the two roundings.  Inputs
 * outside that range (or a min_dist too small for the margin to hold) go
 * to the naive loop.
 */
#define GRID_MAXC 0x1p31
#define NONE SIZE_MAX

static uint64_t cell_key(const int64_t *c, int p)
{
	static const uint64_t mult[3] = {
		0x9e3779b97f4a7c15ull, 0xc2b2ae3d27d4eb4full, 0x165667b19e3779f9ull,
	};
	uint64_t key = 0;

	for (int q = 0; q < p; q++)
		key += (uint64_t)c[q] * mult[q];
	return key;
}

/* Step o to the next of the 3^p cells around c, as an odometer; 0 after
 * the last. */
static int next_cell(int64_t *o, const int64_t *c, int p)
{
	for (int q = 0; q < p; q++) {
		if (o[q] < c[q] + 1) {
			o[q]++;
			return 1;
		}
		o[q] = c[q] - 1;
	}
	return 0;
}

size_t select_min_dist(const double *x, size_t n, size_t d, size_t k,
		       double min_dist, char *chosen)
{
	int p = d < 3 ? (int)d : 3;
	double h = min_dist * (1 + 0x1p-20), d2min = min_dist * min_dist;
	size_t *taken, *head, *link, m = 0, ncells = 0, cap;
	struct idmap cells;

	/* d2min normal and h a true margin over min_dist; x / h in range. */
	if (p == 0 || !(min_dist >= 0x1p-500) || !(min_dist <= 0x1p500))
		return select_min_dist_naive(x, n, d, k, min_dist, chosen);
	for (size_t j = 0; j < n; j++)
		for (int q = 0; q < p; q++)
			if (!(fabs(x[j * d + q] / h) <= GRID_MAXC))
				return select_min_dist_naive(x, n, d, k,
							     min_dist, chosen);
	cap = k < n ? k : n;
	taken = xmalloc((cap ? cap : 1) * sizeof(*taken));
	link = xmalloc((cap ? cap : 1) * sizeof(*link));
	head = xmalloc((cap ? cap : 1) * sizeof(*head));
	idmap_init(&cells);
	for (size_t j = 0; j < n && m < k; j++) {
		const double *xj = x + j * d;
		int64_t c[3], o[3];
		int far = 1;
		uint64_t cn;

		for (int q = 0; q < p; q++)
			c[q] = (int64_t)floor(xj[q] / h);
		/* The 3^p cells around: o runs over c - 1 .. c + 1. */
		for (int q = 0; q < p; q++)
			o[q] = c[q] - 1;
		for (;;) {
			if (idmap_get(&cells, cell_key(o, p), &cn))
				for (size_t t = head[cn]; t != NONE && far;
				     t = link[t])
					far = dist2(xj, x + taken[t] * d, d) >=
					      d2min;
			if (!far || !next_cell(o, c, p))
				break;
		}
		if (!far)
			continue;
		chosen[j] = 1;
		taken[m] = j;
		if (idmap_put(&cells, cell_key(c, p), ncells, &cn)) {
			cn = ncells++;
			head[cn] = NONE;
		}
		link[m] = head[cn];
		head[cn] = m++;
	}
	idmap_free(&cells);
	free(taken);
	free(link);
	free(head);
	return m;
}
