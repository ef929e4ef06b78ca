/* cache.c -- the code cache: structure hash -> compiled code, LRU.
 *
 * Bounded by entry count and by (estimated) bytes; the least recently used
 * entries go first.  Entries are reference-counted: an evicted entry stays
 * alive until its last user releases it.  Not locked: zj_jit holds its
 * mutex around every call.
 */
#include "config.h"
#include "jit_internal.h"
#include <dlfcn.h>
#include <string.h>

void
zj_cache_init (zj_cache *c, size_t max_count, size_t max_bytes)
{
  memset (c, 0, sizeof *c);
  c->nbuckets = 1024;
  while (c->nbuckets < max_count && c->nbuckets < (1u << 20))
    c->nbuckets *= 2;
  c->buckets = zj_xcalloc (c->nbuckets, sizeof *c->buckets);
  c->max_count = max_count ? max_count : 1;
  c->max_bytes = max_bytes;
}

void
zj_code_unref (zj_jit_code *code)
{
  if (--code->refs > 0)
    return;
  if (code->lib && --code->lib->refs == 0)
    {
      gcc_jit_result_release (code->lib->result);
      free (code->lib);
    }
  if (code->dl)
    dlclose (code->dl);
  free (code->key);
  free (code);
}

static void
unlink_lru (zj_cache *c, zj_jit_code *e)
{
  if (e->prev) e->prev->next = e->next; else c->head = e->next;
  if (e->next) e->next->prev = e->prev; else c->tail = e->prev;
  e->prev = e->next = NULL;
}

static void
push_front (zj_cache *c, zj_jit_code *e)
{
  e->prev = NULL;
  e->next = c->head;
  if (c->head) c->head->prev = e; else c->tail = e;
  c->head = e;
}

static void
remove_entry (zj_cache *c, zj_jit_code *e)
{
  zj_jit_code **pp = &c->buckets[e->hash & (c->nbuckets - 1)];
  while (*pp != e)
    pp = &(*pp)->hnext;
  *pp = e->hnext;
  unlink_lru (c, e);
  c->count--;
  c->bytes -= e->bytes;
  zj_code_unref (e);
}

void
zj_cache_destroy (zj_cache *c)
{
  while (c->head)
    remove_entry (c, c->head);
  free (c->buckets);
  c->buckets = NULL;
}

zj_jit_code *
zj_cache_find (zj_cache *c, uint64_t hash, const uint16_t *key, size_t nkey)
{
  for (zj_jit_code *e = c->buckets[hash & (c->nbuckets - 1)]; e; e = e->hnext)
    if (e->hash == hash && e->nkey == nkey
        && memcmp (e->key, key, nkey * sizeof *key) == 0)
      {
        c->hits++;
        unlink_lru (c, e);
        push_front (c, e);
        e->refs++;
        return e;
      }
  c->misses++;
  return NULL;
}

void
zj_cache_insert (zj_cache *c, zj_jit_code *code)
{
  zj_jit_code **b = &c->buckets[code->hash & (c->nbuckets - 1)];
  code->hnext = *b;
  *b = code;
  push_front (c, code);
  c->count++;
  c->bytes += code->bytes;
  while (c->tail && c->tail != code
         && (c->count > c->max_count || (c->max_bytes && c->bytes > c->max_bytes)))
    {
      remove_entry (c, c->tail);
      c->evictions++;
    }
}
