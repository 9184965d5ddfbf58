/*
 * hash.h: pal's one mixing function and its one hash table of 64-bit ids.
 *
 * mix64 is splitmix64's finaliser.  struct idmap maps 64-bit ids (any value,
 * 0 and UINT64_MAX included) to 64-bit values, by open addressing with
 * linear probing at a load under 1/2; struct idset is an idmap whose values
 * are not used.  Memory: 16 bytes a slot, at most 4 slots an id.
 */
#ifndef PAL_HASH_H
#define PAL_HASH_H

#include <stddef.h>
#include <stdint.h>

/* splitmix64's finaliser: a bijection of the 64-bit values that mixes every
 * bit into every other. */
uint64_t mix64(uint64_t x);

struct idmap {
	uint64_t *keys;			/* 0 marks an empty slot */
	uint64_t *vals;
	size_t mask;			/* slots - 1, or 0 before the first put */
	size_t n;			/* non-zero keys held */
	int has_zero;			/* key 0 is held apart */
	uint64_t zero_val;
};

void idmap_init(struct idmap *m);
/*
 * Map key to val.  Returns 1 if key was new, 0 if it was there already (its
 * value is then left as it was, and *old, when not NULL, is set to it).
 * Dies when out of memory.
 */
int idmap_put(struct idmap *m, uint64_t key, uint64_t val, uint64_t *old);
/* Set *val (when not NULL) and return 1 if key is held, else return 0. */
int idmap_get(const struct idmap *m, uint64_t key, uint64_t *val);
/* Keys held, zero included. */
size_t idmap_count(const struct idmap *m);
void idmap_free(struct idmap *m);

/* A set of ids: an idmap whose values are not used. */
struct idset {
	struct idmap m;
};

void idset_init(struct idset *s);
/* Add id; 1 if it was new, 0 if it was there.  Dies when out of memory. */
int idset_add(struct idset *s, uint64_t id);
int idset_has(const struct idset *s, uint64_t id);
/* Members, zero included. */
size_t idset_count(const struct idset *s);
void idset_free(struct idset *s);

#endif
