/* ktable.c -- step kernels found by their structure key (ktable.h). */
#include "config.h"
#include "ktable.h"
#include "internal.h"
#include <stdlib.h>
#include <string.h>

void
zj_ktable_init (zj_ktable *t, size_t nbuckets)
{
  t->nbuckets = nbuckets;
  t->buckets = zj_xcalloc (nbuckets, sizeof *t->buckets);
  t->count = 0;
}

/* Four independent multiply chains over the words, combined at the end:
   one chain was a serial multiply per word, a fifth of a hit's lookup. */
uint64_t
zj_ktable_hash (const uint32_t *key, int n)
{
  uint64_t h[4] = { 0x9e3779b97f4a7c15ULL, 0xc2b2ae3d27d4eb4fULL,
                    0x165667b19e3779f9ULL, 0x27d4eb2f165667c5ULL };
  int i = 0;
  for (; i + 4 <= n; i += 4)
    for (int j = 0; j < 4; j++)
      {
        h[j] = (h[j] ^ key[i + j]) * 0x100000001b3ULL;
        h[j] ^= h[j] >> 29;
      }
  for (int j = 0; i < n; i++, j++)
    {
      h[j] = (h[j] ^ key[i]) * 0x100000001b3ULL;
      h[j] ^= h[j] >> 29;
    }
  return zj_fmix64 (h[0] ^ zj_fmix64 (h[1] ^ zj_fmix64 (
           h[2] ^ zj_fmix64 (h[3] ^ (uint64_t) n))));
}

zj_kentry *
zj_ktable_find (const zj_ktable *t, uint64_t h, const uint32_t *key, int n)
{
  for (zj_kentry *e = t->buckets[h & (t->nbuckets - 1)]; e; e = e->next)
    if (e->hash == h && e->nkey == n
        && !memcmp (e->key, key, (size_t) n * sizeof *key))
      return e;
  return NULL;
}

void
zj_ktable_add (zj_ktable *t, zj_kentry *e, uint64_t h, const uint32_t *key,
               int n)
{
  e->hash = h;
  e->nkey = n;
  e->key = zj_xmalloc ((size_t) n * sizeof *key);
  memcpy (e->key, key, (size_t) n * sizeof *key);
  if (++t->count > t->nbuckets)
    {
      /* Keep chains short: a search makes tens of thousands of kernels. */
      const size_t nn = 2 * t->nbuckets;
      zj_kentry **nb = zj_xcalloc (nn, sizeof *nb);
      for (size_t i = 0; i < t->nbuckets; i++)
        for (zj_kentry *x = t->buckets[i], *next; x; x = next)
          {
            next = x->next;
            x->next = nb[x->hash & (nn - 1)];
            nb[x->hash & (nn - 1)] = x;
          }
      free (t->buckets);
      t->buckets = nb;
      t->nbuckets = nn;
    }
  zj_kentry **slot = &t->buckets[h & (t->nbuckets - 1)];
  e->next = *slot;
  *slot = e;
}

void
zj_ktable_clear (zj_ktable *t, void (*drop) (zj_kentry *))
{
  for (size_t i = 0; i < t->nbuckets; i++)
    {
      for (zj_kentry *e = t->buckets[i], *next; e; e = next)
        {
          next = e->next;
          free (e->key);
          drop (e);
        }
      t->buckets[i] = NULL;
    }
  t->count = 0;
}

void
zj_ktable_free (zj_ktable *t, void (*drop) (zj_kentry *))
{
  if (t->buckets)
    zj_ktable_clear (t, drop);
  free (t->buckets);
  t->buckets = NULL;
}
