/*
 * select.c: the bounded heap and the id set of pal-select; see select.h.
 */
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

static int cmp_best_first(const void *pa, const void *pb)
{
	const struct topk_entry *a = pa, *b = pb;

	if (topk_before(a, b))
		return -1;
	return topk_before(b, a);
}

void topk_sort(struct topk *h)
{
	if (h->n > 1)
		qsort(h->e, h->n, sizeof(*h->e), cmp_best_first);
}

void topk_free(struct topk *h)
{
	free(h->e);
	memset(h, 0, sizeof(*h));
}

