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
		*slot = h->n++;
		return TOPK_ADDED;
	}
	if (!h->heaped) {	/* Floyd's: every parent, last first */
		for (size_t i = h->n / 2; i-- > 0; )
			sift_down(h, i);
		h->heaped = 1;
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

static inline void swap_entries(struct topk_entry *a, struct topk_entry *b)
{
	struct topk_entry t = *a;

	*a = *b;
	*b = t;
}

/*
 * Sort a[0..n) best first, in place: quicksort with the median of three
 * (sorted into a[0], a[n/2], a[n-1], the ends then stop both scans),
 * insertion sort below 16 entries.  The ranking is a strict total order
 * (sequence numbers differ), so the result is the one sorted order; qsort
 * would do the same with a merge sort and a second array as large.
 */
static void sort_entries(struct topk_entry *a, size_t n)
{
	while (n > 16) {
		size_t i = 0, j = n - 1, mid = n / 2;
		struct topk_entry p;

		if (topk_before(&a[mid], &a[0]))
			swap_entries(&a[mid], &a[0]);
		if (topk_before(&a[n - 1], &a[mid])) {
			swap_entries(&a[n - 1], &a[mid]);
			if (topk_before(&a[mid], &a[0]))
				swap_entries(&a[mid], &a[0]);
		}
		p = a[mid];
		for (;;) {
			do
				i++;
			while (topk_before(&a[i], &p));
			do
				j--;
			while (topk_before(&p, &a[j]));
			if (i >= j)
				break;
			swap_entries(&a[i], &a[j]);
		}
		/* a[0..j] rank no later than p, a[j+1..n) no earlier; both
		 * parts are not empty.  The smaller one first, by recursion. */
		if (j + 1 < n - j - 1) {
			sort_entries(a, j + 1);
			a += j + 1;
			n -= j + 1;
		} else {
			sort_entries(a + j + 1, n - j - 1);
			n = j + 1;
		}
	}
	for (size_t i = 1; i < n; i++) {
		struct topk_entry t = a[i];
		size_t j = i;

		for (; j > 0 && topk_before(&t, &a[j - 1]); j--)
			a[j] = a[j - 1];
		a[j] = t;
	}
}

void topk_sort(struct topk *h)
{
	sort_entries(h->e, h->n);
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
 * The fast rule computes the same far values as the naive loop, lazily.
 * far[j] is an upper bound on point j's distance (squared) to the nearest
 * chosen point: exact over the first seen[j] points chosen, and the points
 * chosen since can only lower it.  A round looks for the largest exact far
 * (the better ranked on ties); a point whose bound is already below the
 * best exact value found in the round (or equal and ranked after it)
 * cannot be it and is skipped, x not even read; any other is first
 * brought up to date with the points chosen since it was last seen.  A
 * round starts from the runner-up of the round before, brought up to
 * date: its value is exact, so a safe start, and usually close to the
 * largest.  Chosen points have far = -inf.  The largest far is the naive
 * loop's, computed from the same doubles (min does not depend on order),
 * so both choose the same points.
 */
struct lazy {
	const double *x;
	size_t d;
	double *far;
	uint32_t *seen;
	const size_t *picks;
	int (*before)(size_t, size_t, const void *);
	const void *ctx;
};

/* Whether point a ranks before point b (index order without before()). */
static inline int ranks_before(const struct lazy *z, size_t a, size_t b)
{
	return z->before ? z->before(a, b, z->ctx) : a < b;
}

/* Bring far[j] up to date with the first m points chosen; d may be a
 * constant where inlined. */
static inline double lazy_update(const struct lazy *z, size_t d, size_t j,
				 uint32_t m)
{
	const double *xj = z->x + j * d;
	double f = z->far[j];

	for (uint32_t u = z->seen[j]; u < m; u++) {
		double s = dist2(xj, z->x + z->picks[u] * d, d);

		if (s < f)
			f = s;
	}
	z->far[j] = f;
	z->seen[j] = m;
	return f;
}

/*
 * One round with m points chosen: the index of the largest far (SIZE_MAX
 * if none is left) and, in *best, its value; *runner gets the second.
 */
static inline size_t lazy_round(const struct lazy *z, size_t d, size_t n,
				uint32_t m, size_t *runner, double *best)
{
	size_t next = SIZE_MAX, run = SIZE_MAX;
	double b = -1.0, second = -1.0;

	if (*runner != SIZE_MAX && z->far[*runner] != -INFINITY) {
		next = *runner;
		b = lazy_update(z, d, next, m);
	}
	for (size_t j = 0; j < n; j++) {
		double f = z->far[j];

		if (f < b || (f == b && (j == next || !ranks_before(z, j, next))))
			continue;
		if (z->seen[j] < m)
			f = lazy_update(z, d, j, m);
		if (f > b || (f == b && ranks_before(z, j, next))) {
			if (next != SIZE_MAX) {
				run = next;
				second = b;
			}
			b = f;
			next = j;
		} else if (f > second) {
			run = j;
			second = f;
		}
	}
	*runner = run;
	*best = b;
	return next;
}

size_t select_diverse_ranked(const double *x, size_t n, size_t d, size_t k,
			     double min_dist,
			     int (*before)(size_t a, size_t b, const void *ctx),
			     const void *ctx, char *chosen)
{
	double d2min = min_dist * min_dist, *far;
	size_t pick = 0, runner = SIZE_MAX, *picks;
	uint32_t m = 0, *seen;
	struct lazy z;

	if (n == 0 || k == 0)
		return 0;
	if (k > n)
		k = n;
	if (k > UINT32_MAX - 1)
		k = UINT32_MAX - 1;
	if (before)		/* the first pick: the best point */
		for (size_t j = 1; j < n; j++)
			if (before(j, pick, ctx))
				pick = j;
	far = xmalloc(n * sizeof(*far));
	seen = xcalloc(n, sizeof(*seen));
	picks = xmalloc(k * sizeof(*picks));
	for (size_t j = 0; j < n; j++)
		far[j] = INFINITY;
	z = (struct lazy){ x, d, far, seen, picks, before, ctx };
	for (;;) {
		size_t next;
		double best;

		chosen[pick] = 1;
		far[pick] = -INFINITY;
		picks[m++] = pick;
		if (m == k)
			break;
#define ROUND(dd) lazy_round(&z, dd, n, m, &runner, &best)
		switch (d) {
		case 1: next = ROUND(1); break;
		case 2: next = ROUND(2); break;
		case 3: next = ROUND(3); break;
		case 4: next = ROUND(4); break;
		default: next = ROUND(d); break;
		}
#undef ROUND
		if (next == SIZE_MAX || best < d2min)
			break;
		pick = next;
	}
	free(far);
	free(seen);
	free(picks);
	return m;
}

size_t select_diverse(const double *x, size_t n, size_t d, size_t k,
		      double min_dist, char *chosen)
{
	return select_diverse_ranked(x, n, d, k, min_dist, NULL, NULL, chosen);
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
	uint64_t key = (uint64_t)c[0];

	for (int q = 1; q < p; q++)
		key = mix64(key) ^ (uint64_t)c[q];
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
