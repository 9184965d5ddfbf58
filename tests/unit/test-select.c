/*
 * test-select.c: the top-k heap and the id set of libcommon/select.c, and
 * the diversity rules, each against a naive reference (a full sort, a
 * linear search, the plain loops over every pair).
 */
#include <inttypes.h>
#include <math.h>
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

/*
 * Points for the diversity rules: kind 0 uniform in [0, 1); 1 on a coarse
 * lattice (many equal distances, duplicates); 2 spread over 300 orders of
 * magnitude, some so far apart that distances overflow to inf; 3 tiny,
 * where squares underflow; 4 a few exact duplicates of one point.
 */
static double *points(size_t n, size_t d, int kind, struct rng *r)
{
	double *x = malloc((n && d ? n * d : 1) * sizeof(*x));

	for (size_t i = 0; i < n * d; i++) {
		double u = (double)(rng_u64(r) >> 11) * 0x1p-53;

		switch (kind) {
		case 0: x[i] = u; break;
		case 1: x[i] = (double)rng_below(r, 4) * 0.25; break;
		case 2: x[i] = (u - 0.5) * pow(10, (double)rng_below(r, 300)); break;
		case 3: x[i] = u * 1e-170; break;
		default: x[i] = i / d % 3 ? 0.5 : u; break;
		}
	}
	return x;
}

static int before_rank(size_t a, size_t b, const void *ctx)
{
	const size_t *rank = ctx;

	return rank[a] < rank[b];
}

/*
 * select_diverse_ranked on the points shuffled (rank[i]: the rank of
 * shuffled point i), its choice mapped back to rank order in c.
 */
static size_t diverse_shuffled(const double *x, size_t n, size_t d, size_t k,
			       double r, char *c, uint64_t seed)
{
	size_t *rank = malloc((n ? n : 1) * sizeof(*rank));
	double *y = malloc((n && d ? n * d : 1) * sizeof(*y));
	char *cy = calloc(n ? n : 1, 1);
	struct rng g;
	size_t m;

	rng_seed(&g, seed, 1);
	for (size_t i = 0; i < n; i++)
		rank[i] = i;
	for (size_t i = n; i > 1; i--) {	/* Fisher-Yates */
		size_t j = rng_below(&g, i), t = rank[i - 1];

		rank[i - 1] = rank[j];
		rank[j] = t;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t q = 0; q < d; q++)
			y[i * d + q] = x[rank[i] * d + q];
	m = select_diverse_ranked(y, n, d, k, r, before_rank, rank, cy);
	for (size_t i = 0; i < n; i++)
		c[rank[i]] = cy[i];
	free(rank);
	free(y);
	free(cy);
	return m;
}

/* Run fast and naive on the same points; count the points they disagree on. */
static size_t compare_rules(int rule, const double *x, size_t n, size_t d,
			    size_t k, double r, size_t *nchosen)
{
	char *a = calloc(n ? n : 1, 1), *b = calloc(n ? n : 1, 1);
	char *c = calloc(n ? n : 1, 1);
	size_t ma, mb, diff = 0;

	if (rule == 0) {
		ma = select_diverse(x, n, d, k, r, a);
		mb = select_diverse_naive(x, n, d, k, r, b);
		diff += diverse_shuffled(x, n, d, k, r, c, n * 31 + k) != mb;
		for (size_t j = 0; j < n; j++)
			diff += c[j] != b[j];
	} else {
		ma = select_min_dist(x, n, d, k, r, a);
		mb = select_min_dist_naive(x, n, d, k, r, b);
	}
	for (size_t j = 0; j < n; j++)
		diff += a[j] != b[j];
	diff += ma != mb;
	*nchosen = ma;
	free(a);
	free(b);
	free(c);
	return diff;
}

static void check_rules(void)
{
	static const size_t dims[] = { 0, 1, 2, 3, 5, 8 };
	static const double dists[] = { 0, 1e-3, 0.05, 0.3, 1e-160, 1e200 };
	struct rng r;
	size_t cases = 0, worst = 0, chosen_total = 0;

	rng_seed(&r, 11, 0);
	for (int kind = 0; kind < 5; kind++)
		for (size_t di = 0; di < sizeof(dims) / sizeof(*dims); di++)
			for (int rep = 0; rep < 3; rep++) {
				size_t d = dims[di], n = 1 + rng_below(&r, 3000);
				size_t k = 1 + rng_below(&r, rep ? 60 : n + 5);
				double *x = points(n, d, kind, &r);

				for (size_t ri = 0; ri < sizeof(dists) / sizeof(*dists); ri++) {
					double md = dists[ri];
					size_t m, diff;

					for (int rule = 0; rule < 2; rule++) {
						if (rule == 1 && md == 0)
							continue;
						diff = compare_rules(rule, x, n, d, k, md, &m);
						cases++;
						chosen_total += m;
						if (diff > worst)
							worst = diff;
						if (diff)
							diag("%s differs at kind %d, d %zu, n %zu, k %zu, min_dist %g: %zu points",
							     rule ? "min_dist" : "diverse", kind, d, n, k, md, diff);
					}
				}
				free(x);
			}
	diag("%zu cases, %zu points chosen in all; most points that differ in a case: %zu",
	     cases, chosen_total, worst);
	CHECK(worst == 0 && chosen_total > 0,
	      "diverse (in rank order and shuffled) and min_dist choose exactly "
	      "what the naive loops choose (%zu cases)", cases);
}

/* A hand-made case for each rule, whose answer is known. */
static void check_rules_known(void)
{
	/* Six points on a line, in rank order. */
	double x[] = { 0, 1, 10, 2, 9, 5 };
	char c[6] = { 0 };
	size_t m = select_diverse(x, 6, 1, 3, 0, c);

	/* Rows 0 (0) and 2 (10), then 5 (5): at distance 5 from both. */
	CHECK(m == 3 && c[0] && c[2] && c[5] && !c[1] && !c[3] && !c[4],
	      "diverse on a line takes 0, 10, then 5");
	memset(c, 0, sizeof(c));
	m = select_min_dist(x, 6, 1, 6, 1.5, c);
	/* In order: 0 taken; 1 too close; 10 taken; 2 taken; 9 too close;
	 * 5 taken. */
	CHECK(m == 4 && c[0] && !c[1] && c[2] && c[3] && !c[4] && c[5],
	      "min_dist 1.5 on a line takes 0, 10, 2, 5");
	memset(c, 0, sizeof(c));
	m = select_diverse(x, 6, 1, 6, 4.5, c);
	CHECK(m == 3 && c[0] && c[2] && c[5],
	      "diverse stops when the farthest left is nearer than min_dist");
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
	check_rules_known();
	check_rules();
	return done();
}
