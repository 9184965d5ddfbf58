/*
 * test-select.c: the top-k heap and the id set of libcommon/select.c,
 * each against a naive reference (a full sort, a linear search).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "select.h"
#include "unit.h"
#include "banned.h"

static int cmp_naive(const void *pa, const void *pb)
{
	const struct topk_entry *a = pa, *b = pb;

	/* Written out again, not by topk_before: the reference ranking. */
	if (a->score > b->score)
		return -1;
	if (a->score < b->score)
		return 1;
	if (a->tie > b->tie)
		return -1;
	if (a->tie < b->tie)
		return 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/*
 * Feed n entries with scores drawn from few distinct values (so that ties
 * are common) to a heap of k; check the sorted heap against the first k of
 * a full sort, and that every slot in use is distinct and below k.
 */
static int check_topk(size_t n, size_t k, uint64_t seed, int levels)
{
	struct topk_entry *all = calloc(n ? n : 1, sizeof(*all));
	uint64_t *slotrow = calloc(k ? k : 1, sizeof(*slotrow));
	struct topk h;
	struct rng r;
	size_t want = k < n ? k : n, evictions = 0;
	int good = 1;

	rng_seed(&r, seed, 0);
	topk_init(&h, k);
	for (size_t i = 0; i < n; i++) {
		struct topk_entry ev;
		uint64_t slot = UINT64_MAX;
		enum topk_result res;

		all[i].score = (double)rng_below(&r, (uint64_t)levels) - 3.0;
		all[i].tie = rng_below(&r, 4);
		all[i].seq = i;
		res = topk_offer(&h, &all[i], &slot, &ev);
		if (res == TOPK_REPLACED) {
			evictions++;
			if (ev.slot != slot || slotrow[slot] != ev.seq)
				good = 0;
		}
		if (res != TOPK_REJECTED) {
			if (slot >= k)
				good = 0;
			else
				slotrow[slot] = i;
		}
	}
	if (h.n != want)
		good = 0;
	topk_sort(&h);
	qsort(all, n, sizeof(*all), cmp_naive);
	for (size_t i = 0; i < want && good; i++)
		if (h.e[i].seq != all[i].seq || slotrow[h.e[i].slot] != h.e[i].seq)
			good = 0;
	topk_free(&h);
	free(all);
	free(slotrow);
	return good;
}

static int check_idset(size_t n, uint64_t seed)
{
	struct idset s;
	struct rng r;
	uint64_t *ids = malloc(n * sizeof(*ids));
	size_t distinct = 0;
	int good = 1;

	rng_seed(&r, seed, 0);
	idset_init(&s);
	for (size_t i = 0; i < n; i++) {
		/* Small values collide often; 0 and UINT64_MAX are included. */
		uint64_t v = i % 7 == 0 ? rng_below(&r, 50) :
			     i % 7 == 1 ? UINT64_MAX - rng_below(&r, 3) :
			     rng_u64(&r);
		int seen = 0;

		for (size_t j = 0; j < distinct && !seen; j++)
			seen = ids[j] == v;
		if (idset_add(&s, v) != !seen)
			good = 0;
		if (!seen)
			ids[distinct++] = v;
	}
	if (idset_count(&s) != distinct)
		good = 0;
	for (size_t j = 0; j < distinct; j++)
		if (!idset_has(&s, ids[j]))
			good = 0;
	for (size_t i = 0; i < 1000; i++) {
		uint64_t v = rng_u64(&r);
		int member = 0;

		for (size_t j = 0; j < distinct && !member; j++)
			member = ids[j] == v;
		if (idset_has(&s, v) != member)
			good = 0;
	}
	idset_free(&s);
	free(ids);
	return good;
}

int main(void)
{
	struct topk h;
	struct topk_entry e = { 1.0, 0, 0, 0 }, ev;
	uint64_t slot;
	struct idset s;

	CHECK(check_topk(1000, 10, 1, 1000), "top 10 of 1000 distinct-ish scores");
	CHECK(check_topk(1000, 10, 2, 3), "top 10 of 1000 with many ties");
	CHECK(check_topk(5, 10, 3, 5), "top 10 of 5 keeps all five");
	CHECK(check_topk(3000, 500, 4, 20), "top 500 of 3000, array grows");
	CHECK(check_topk(200, 1, 5, 2), "top 1 of 200");

	topk_init(&h, 0);
	CHECK(topk_offer(&h, &e, &slot, &ev) == TOPK_REJECTED && h.n == 0,
	   "a heap of 0 keeps nothing");
	topk_free(&h);

	CHECK(check_idset(5000, 6), "id set against a linear search");
	idset_init(&s);
	CHECK(!idset_has(&s, 0) && !idset_has(&s, 42) && idset_count(&s) == 0,
	   "an empty id set has no members");
	CHECK(idset_add(&s, 0) == 1 && idset_add(&s, 0) == 0 && idset_has(&s, 0) &&
	   idset_count(&s) == 1, "0 is a member like any other");
	idset_free(&s);
	CHECK(mix64(1) != mix64(2) && mix64(0) == 0, "mix64 mixes");
	return done();
}
