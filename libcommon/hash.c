/*
 * hash.c: mix64, struct idmap and struct idset; see hash.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "hash.h"
#include "banned.h"

uint64_t mix64(uint64_t x)
{
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

void idmap_init(struct idmap *m)
{
	memset(m, 0, sizeof(*m));
}

/* Double the table (or make the first one), keeping the load under 1/2. */
static void idmap_grow(struct idmap *m)
{
	size_t nslots = m->keys ? 2 * (m->mask + 1) : 1024, nmask = nslots - 1;
	uint64_t *keys, *vals;

	if (nslots > SIZE_MAX / 2 / sizeof(*keys))
		die("out of memory for a table of %zu ids", m->n);
	keys = xcalloc(nslots, sizeof(*keys));
	vals = xmalloc(nslots * sizeof(*vals));
	if (m->keys)
		for (size_t i = 0; i <= m->mask; i++) {
			size_t j;

			if (!m->keys[i])
				continue;
			j = (size_t)mix64(m->keys[i]) & nmask;
			while (keys[j])
				j = (j + 1) & nmask;
			keys[j] = m->keys[i];
			vals[j] = m->vals[i];
		}
	free(m->keys);
	free(m->vals);
	m->keys = keys;
	m->vals = vals;
	m->mask = nmask;
}

int idmap_put(struct idmap *m, uint64_t key, uint64_t val, uint64_t *old)
{
	size_t i;

	if (key == 0) {
		if (m->has_zero) {
			if (old)
				*old = m->zero_val;
			return 0;
		}
		m->has_zero = 1;
		m->zero_val = val;
		return 1;
	}
	if (!m->keys || 2 * (m->n + 1) > m->mask + 1)
		idmap_grow(m);
	i = (size_t)mix64(key) & m->mask;
	while (m->keys[i] != 0) {
		if (m->keys[i] == key) {
			if (old)
				*old = m->vals[i];
			return 0;
		}
		i = (i + 1) & m->mask;
	}
	m->keys[i] = key;
	m->vals[i] = val;
	m->n++;
	return 1;
}

int idmap_get(const struct idmap *m, uint64_t key, uint64_t *val)
{
	size_t i;

	if (key == 0) {
		if (m->has_zero && val)
			*val = m->zero_val;
		return m->has_zero;
	}
	if (!m->keys)
		return 0;
	i = (size_t)mix64(key) & m->mask;
	while (m->keys[i] != 0) {
		if (m->keys[i] == key) {
			if (val)
				*val = m->vals[i];
			return 1;
		}
		i = (i + 1) & m->mask;
	}
	return 0;
}

size_t idmap_count(const struct idmap *m)
{
	return m->n + (m->has_zero != 0);
}

void idmap_free(struct idmap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

void idset_init(struct idset *s)
{
	idmap_init(&s->m);
}

int idset_add(struct idset *s, uint64_t id)
{
	return idmap_put(&s->m, id, 0, NULL);
}

int idset_has(const struct idset *s, uint64_t id)
{
	return idmap_get(&s->m, id, NULL);
}

size_t idset_count(const struct idset *s)
{
	return idmap_count(&s->m);
}

void idset_free(struct idset *s)
{
	idmap_free(&s->m);
}
