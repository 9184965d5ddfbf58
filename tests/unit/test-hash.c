/*
 * test-hash.c: libcommon/hash.c, pal's one mixing function and its one
 * table of 64-bit ids, against references: mix64 against splitmix64's
 * published outputs, struct idmap and struct idset against a naive map (an
 * array searched from the start) on random keys with 0, UINT64_MAX and
 * many repeats among them, through several growths of the table.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "rng.h"
#include "unit.h"
#include "banned.h"

/* The naive map: keys and values in arrival order. */
struct naive {
	uint64_t *k, *v;
	size_t n;
};

static int naive_find(const struct naive *m, uint64_t key, size_t *at)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->k[i] == key) {
			*at = i;
			return 1;
		}
	return 0;
}

/* A key drawn so that repeats, 0 and UINT64_MAX come up often. */
static uint64_t draw_key(struct rng *r)
{
	switch (rng_below(r, 6)) {
	case 0: return rng_below(r, 40);			/* small, 0 too */
	case 1: return UINT64_MAX - rng_below(r, 3);		/* the top */
	case 2: return rng_below(r, 64) << 58;			/* high bits only */
	default: return rng_u64(r);
	}
}

/*
 * n puts of random keys with random values into an idmap and the naive
 * map, checking every return; then every key held, and as many absent
 * ones, looked up in both.  Returns the number of disagreements.
 */
static size_t check_idmap(size_t n, uint64_t seed, size_t *nkeys)
{
	struct idmap m;
	struct naive ref = { malloc(n * sizeof(uint64_t)),
			     malloc(n * sizeof(uint64_t)), 0 };
	struct rng r;
	size_t bad = 0;

	rng_seed(&r, seed, 0);
	idmap_init(&m);
	for (size_t i = 0; i < n; i++) {
		uint64_t key = draw_key(&r), val = rng_u64(&r), old = 7, got;
		size_t at;
		int had = naive_find(&ref, key, &at);
		int put = idmap_put(&m, key, val, &old);

		if (put != !had || (had && old != ref.v[at]))
			bad++;
		if (!had) {
			ref.k[ref.n] = key;
			ref.v[ref.n++] = val;
		}
		/* A repeat keeps the first value, and NULL old is allowed. */
		if (had && (idmap_put(&m, key, val ^ 1, NULL) != 0 ||
			    !idmap_get(&m, key, &got) || got != ref.v[at]))
			bad++;
	}
	if (idmap_count(&m) != ref.n)
		bad++;
	for (size_t i = 0; i < ref.n; i++) {
		uint64_t got = ~ref.v[i];

		if (!idmap_get(&m, ref.k[i], &got) || got != ref.v[i] ||
		    !idmap_get(&m, ref.k[i], NULL))
			bad++;
	}
	for (size_t i = 0; i < ref.n; i++) {
		uint64_t key = rng_u64(&r), got = 42;
		size_t at;
		int held = naive_find(&ref, key, &at);

		if (idmap_get(&m, key, &got) != held || (!held && got != 42))
			bad++;
	}
	*nkeys = ref.n;
	idmap_free(&m);
	free(ref.k);
	free(ref.v);
	return bad;
}

static size_t check_idset(size_t n, uint64_t seed)
{
	struct idset s;
	struct naive ref = { malloc(n * sizeof(uint64_t)), NULL, 0 };
	struct rng r;
	size_t bad = 0, at;

	rng_seed(&r, seed, 0);
	idset_init(&s);
	for (size_t i = 0; i < n; i++) {
		uint64_t key = draw_key(&r);
		int had = naive_find(&ref, key, &at);

		if (idset_add(&s, key) != !had || !idset_has(&s, key))
			bad++;
		if (!had)
			ref.k[ref.n++] = key;
	}
	if (idset_count(&s) != ref.n)
		bad++;
	for (size_t i = 0; i < 2000; i++) {
		uint64_t key = draw_key(&r);

		if (idset_has(&s, key) != naive_find(&ref, key, &at))
			bad++;
	}
	idset_free(&s);
	free(ref.k);
	return bad;
}

int main(void)
{
	/* splitmix64 seeded with 0: mix64 of 1, 2, 3 times the golden gamma. */
	static const uint64_t splitmix0[3] = {
		0xe220a8397b1dcdafull, 0x6e789e6aa1b965f4ull, 0x06c45d188009454full,
	};
	struct idmap m;
	uint64_t v, old;
	size_t bad, nkeys;
	int same = 1;

	for (int i = 0; i < 3; i++)
		same &= mix64(0x9e3779b97f4a7c15ull * (uint64_t)(i + 1)) ==
			splitmix0[i];
	CHECK(same, "mix64: splitmix64's first three outputs from seed 0");
	CHECK(mix64(0) == 0 && mix64(1) != mix64(2),
	      "mix64: 0 is a fixed point, 1 and 2 differ");

	idmap_init(&m);
	CHECK(idmap_count(&m) == 0 && !idmap_get(&m, 0, &v) &&
	      !idmap_get(&m, UINT64_MAX, &v), "an empty idmap holds nothing");
	CHECK(idmap_put(&m, 0, 5, NULL) == 1 && idmap_put(&m, 0, 6, &old) == 0 &&
	      old == 5 && idmap_get(&m, 0, &v) && v == 5 && idmap_count(&m) == 1,
	      "key 0: held, and a second put keeps the first value");
	CHECK(idmap_put(&m, UINT64_MAX, 0, NULL) == 1 &&
	      idmap_get(&m, UINT64_MAX, &v) && v == 0 && idmap_count(&m) == 2,
	      "key UINT64_MAX with value 0");
	idmap_free(&m);
	CHECK(idmap_count(&m) == 0 && !idmap_get(&m, 0, NULL),
	      "a freed idmap is empty again");

	for (uint64_t seed = 1; seed <= 4; seed++) {
		size_t n = seed == 4 ? 60000 : 3000 * seed;

		bad = check_idmap(n, seed, &nkeys);
		CHECK(bad == 0, "idmap: %zu puts, %zu distinct keys (growing past "
		      "%zu slots), against the naive map: %zu disagree",
		      n, nkeys, (size_t)1024, bad);
	}
	bad = check_idset(20000, 9);
	CHECK(bad == 0, "idset: 20000 adds against the naive set: %zu disagree",
	      bad);
	return done();
}
