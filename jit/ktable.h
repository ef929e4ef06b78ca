/* ktable.h -- step kernels found by their structure key.
 *
 * The lane and per-task stencil contexts (baseline.c, ptask.c) decode a
 * candidate's Predict and Learn into key words and keep the kernels they
 * made in a chained hash table on those words: a kernel embeds a
 * zj_kentry as its first member, the table owns the key copy.
 */
#ifndef ZEROJIT_JIT_KTABLE_H
#define ZEROJIT_JIT_KTABLE_H

#include <stddef.h>
#include <stdint.h>

typedef struct zj_kentry {
  struct zj_kentry *next;
  uint64_t hash;
  uint32_t *key;
  int nkey;
} zj_kentry;

typedef struct zj_ktable {
  zj_kentry **buckets;       /* chained, nbuckets a power of two */
  size_t nbuckets, count;
} zj_ktable;

void zj_ktable_init (zj_ktable *t, size_t nbuckets);
uint64_t zj_ktable_hash (const uint32_t *key, int n);
/* The entry with this key (h its zj_ktable_hash), or NULL. */
zj_kentry *zj_ktable_find (const zj_ktable *t, uint64_t h,
                           const uint32_t *key, int n);
/* Adds e (not in the table) under a copy of key. */
void zj_ktable_add (zj_ktable *t, zj_kentry *e, uint64_t h,
                    const uint32_t *key, int n);
/* Empties the table: drop(e) frees each entry, after its key is freed. */
void zj_ktable_clear (zj_ktable *t, void (*drop) (zj_kentry *));
void zj_ktable_free (zj_ktable *t, void (*drop) (zj_kentry *));

#endif
