/* fec.c -- functional equivalence cache: an LRU map from a fingerprint of
 * a program's errors on a short mini-run to its fitness.
 *
 * Open-addressing hash table (linear probing, backward-shift deletion)
 * whose slots hold the key next to the index of a node in a pool that
 * forms a doubly linked recency list, so a miss costs one cache line.  The
 * table is sized to a power of two at least twice the capacity, so probes
 * stay short; nothing is allocated after construction.
 */
#include "internal.h"
#include "fec.h"
#include "ckpt.h"
#include <assert.h>
#include <string.h>

typedef struct node {
  uint64_t key;
  double fitness;
  int hits;
  int prev, next;     /* recency list; -1 ends */
} node;

typedef struct slot {
  uint64_t key;
  int idx;            /* node index or -1 */
} slot;

struct zj_fec {
  int capacity, forget_every;
  node *nodes;
  int *free_list, n_free;
  int head, tail;     /* most / least recently used */
  slot *table;
  size_t mask;
  size_t count;
  zj_fec_stats st;
};

static size_t
slot_of (const zj_fec *c, uint64_t key)
{
  /* Keys are already well mixed; fold the high bits in anyway. */
  return (size_t) (key ^ (key >> 29)) & c->mask;
}

zj_fec *
zj_fec_new (int cache_size, int forget_every)
{
  zj_fec *c = zj_xcalloc (1, sizeof *c);
  c->capacity = cache_size > 1 ? cache_size : 2;
  c->forget_every = forget_every;
  /* Not cleared: a node is written whole when taken, and nodes are taken
     in index order, so a search that caches 20,000 programs faults in
     640 kB of the 3.2 MB, not all of it. */
  c->nodes = zj_huge_malloc ((size_t) c->capacity * sizeof (node));
  c->free_list = zj_xmalloc ((size_t) c->capacity * sizeof (int));
  size_t tsize = 16;
  while (tsize < (size_t) c->capacity * 2)
    tsize *= 2;
  c->table = zj_huge_calloc (tsize, sizeof (slot));
  c->mask = tsize - 1;
  zj_fec_reset (c);
  return c;
}

/* Every node free (taken in index order), every slot empty, no
   statistics; a node's fields are all written when it is taken. */
void
zj_fec_reset (zj_fec *c)
{
  for (int i = 0; i < c->capacity; i++)
    c->free_list[i] = c->capacity - 1 - i;
  c->n_free = c->capacity;
  for (size_t i = 0; i <= c->mask; i++)
    c->table[i] = (slot) { 0, -1 };
  c->head = c->tail = -1;
  c->count = 0;
  c->st = (zj_fec_stats) { 0, 0, 0, 0 };
}

bool
zj_fec_fits (const zj_fec *c, int cache_size, int forget_every)
{
  return c->capacity == (cache_size > 1 ? cache_size : 2)
         && c->forget_every == forget_every;
}

void
zj_fec_free (zj_fec *c)
{
  if (!c)
    return;
  free (c->nodes);
  free (c->free_list);
  free (c->table);
  free (c);
}

static void
list_unlink (zj_fec *c, int i)
{
  node *n = &c->nodes[i];
  if (n->prev >= 0) c->nodes[n->prev].next = n->next; else c->head = n->next;
  if (n->next >= 0) c->nodes[n->next].prev = n->prev; else c->tail = n->prev;
}

static void
list_push_front (zj_fec *c, int i)
{
  node *n = &c->nodes[i];
  n->prev = -1;
  n->next = c->head;
  if (c->head >= 0)
    c->nodes[c->head].prev = i;
  c->head = i;
  if (c->tail < 0)
    c->tail = i;
}

static size_t
find_slot (const zj_fec *c, uint64_t key)
{
  size_t s = slot_of (c, key);
  while (c->table[s].idx >= 0 && c->table[s].key != key)
    s = (s + 1) & c->mask;
  return s;
}

/* Remove node i from table and list, return it to the pool. */
static void
erase (zj_fec *c, int i)
{
  size_t s = find_slot (c, c->nodes[i].key);
  c->table[s].idx = -1;
  /* Backward-shift the following cluster so lookups stay correct. */
  for (size_t j = (s + 1) & c->mask; c->table[j].idx >= 0; j = (j + 1) & c->mask)
    {
      size_t home = slot_of (c, c->table[j].key);
      /* Move entry j into the hole if its home is not in (s, j]. */
      bool between = s <= j ? (s < home && home <= j) : (s < home || home <= j);
      if (!between)
        {
          c->table[s] = c->table[j];
          c->table[j].idx = -1;
          s = j;
        }
    }
  list_unlink (c, i);
  c->free_list[c->n_free++] = i;
  c->count--;
}

/* Also warms what an insert into a full cache touches: the slot of the
   least recently used node, which it evicts.  That node itself was
   prefetched when it became the tail (evict_warm), so reading its key
   here rarely misses; without this an eviction costs two cache misses. */
void
zj_fec_prefetch (const zj_fec *c, uint64_t key)
{
  __builtin_prefetch (&c->table[slot_of (c, key)]);
  if (c->n_free == 0 && c->tail >= 0)
    __builtin_prefetch (&c->table[slot_of (c, c->nodes[c->tail].key)]);
}

void
zj_fec_prefetch_victims (const zj_fec *c, int n)
{
  if (c->n_free >= n)
    return;
  /* The chain from the tail is walked node by node (each read waits on
     the last), but the victims' table slots then load side by side
     instead of each eviction waiting on its node and then its slot. */
  int i = c->tail;
  for (int k = c->n_free; k < n && i >= 0; k++)
    {
      __builtin_prefetch (&c->table[slot_of (c, c->nodes[i].key)]);
      i = c->nodes[i].prev;
    }
}

static void
evict_warm (const zj_fec *c)
{
  if (c->tail >= 0)
    {
      __builtin_prefetch (&c->nodes[c->tail]);
      const int prev = c->nodes[c->tail].prev;
      if (prev >= 0)
        __builtin_prefetch (&c->nodes[prev]);
    }
}

bool
zj_fec_lookup (zj_fec *c, uint64_t key, double *fitness)
{
  size_t s = find_slot (c, key);
  int i = c->table[s].idx;
  if (i < 0)
    {
      c->st.misses++;
      return false;
    }
  c->st.hits++;
  node *n = &c->nodes[i];
  *fitness = n->fitness;
  n->hits++;
  if (c->forget_every != 0 && n->hits >= c->forget_every)
    {
      erase (c, i);
      c->st.forgotten++;
    }
  else
    {
      list_unlink (c, i);
      list_push_front (c, i);
    }
  return true;
}

void
zj_fec_insert (zj_fec *c, uint64_t key, double fitness)
{
  size_t s = find_slot (c, key);
  if (c->table[s].idx >= 0)
    {
      const int i = c->table[s].idx;
      c->nodes[i].fitness = fitness;
      c->nodes[i].hits = 1;
      list_unlink (c, i);
      list_push_front (c, i);
      return;
    }
  if (c->n_free == 0)
    {
      erase (c, c->tail);
      c->st.evicted++;
      s = find_slot (c, key);
      evict_warm (c);
    }
  int i = c->free_list[--c->n_free];
  c->nodes[i] = (node) { key, fitness, 1, -1, -1 };
  c->table[s] = (slot) { key, i };
  list_push_front (c, i);
  c->count++;
}

size_t
zj_fec_count (const zj_fec *c)
{
  return c->count;
}

zj_fec_stats
zj_fec_get_stats (const zj_fec *c)
{
  return c->st;
}

/* Bit pattern with +0 and -0 alike (x + 0.0 turns -0 into +0 and leaves
   every other value as it is), without a branch. */
static inline uint64_t
double_bits (double x)
{
  const double y = x + 0.0;
  uint64_t u;
  memcpy (&u, &y, sizeof u);
  return u;
}

/* A multiply-xorshift fold: each step is a bijection of the running
   value, so distinct error lists collide only by chance (2^-64), at a
   fraction of the cost of the original's 12-step mix (see
   doc/deviations.md).  Training and validation errors go into two
   independent chains, interleaved so the multiplies overlap; the list
   lengths are folded in too.  This fold shifts by 31 where the other
   keys' zj_fold shifts by 29: kept, since changing it would change which
   fingerprints collide. */
#define fold31(h, v) zj_fold_shift ((h), (v), 31)

static inline uint64_t
fec_hash (const double *train_err, size_t ts, int n_train,
          const double *valid_err, size_t vs, int n_valid, int task_index,
          long n_real_train)
{
  uint64_t a = 42, b = 0x2545f4914f6cdd1dULL;
  const int both = n_train < n_valid ? n_train : n_valid;
  int i = 0;
  for (; i < both; i++)
    {
      a = fold31 (a, double_bits (train_err[(size_t) i * ts]));
      b = fold31 (b, double_bits (valid_err[(size_t) i * vs]));
    }
  for (int j = i; j < n_train; j++)
    a = fold31 (a, double_bits (train_err[(size_t) j * ts]));
  for (int j = i; j < n_valid; j++)
    b = fold31 (b, double_bits (valid_err[(size_t) j * vs]));
  uint64_t h = fold31 (a, (uint64_t) n_train);
  h = fold31 (h, b);
  h = fold31 (h, (uint64_t) n_valid);
  h = fold31 (h, (uint64_t) task_index);
  h = fold31 (h, (uint64_t) n_real_train);
  return zj_fmix64 (h);        /* final avalanche for the table index */
}

uint64_t
zj_fec_hash (const double *train_err, int n_train, const double *valid_err,
             int n_valid, int task_index, long n_real_train)
{
  return fec_hash (train_err, 1, n_train, valid_err, 1, n_valid, task_index,
                   n_real_train);
}

uint64_t
zj_fec_hash_strided (const double *train_err, size_t train_stride,
                     int n_train, const double *valid_err,
                     size_t valid_stride, int n_valid, int task_index,
                     long n_real_train)
{
  return fec_hash (train_err, train_stride, n_train, valid_err, valid_stride,
                   n_valid, task_index, n_real_train);
}

#if defined __AVX512DQ__
/* Eight tasks' chains in one register each: the lane-major record holds
   element i of eight consecutive tasks side by side, so one load feeds
   all eight, and AVX-512's 64-bit multiply does the fold in every lane
   (one chain of 8-wide multiplies instead of eight scalar ones). */
typedef uint64_t zj_u64x8 __attribute__ ((vector_size (64)));
typedef double zj_f64x8 __attribute__ ((vector_size (64)));

static inline zj_u64x8
fold31x8 (zj_u64x8 h, zj_u64x8 v)
{
  h = (h ^ v) * 0x9e3779b97f4a7c15ULL;
  return h ^ (h >> 31);
}

static inline zj_u64x8
bits_at (const double *p)
{
  zj_f64x8 x;
  memcpy (&x, p, sizeof x);
  x = x + 0.0;               /* -0 as +0, as double_bits */
  zj_u64x8 u;
  memcpy (&u, &x, sizeof u);
  return u;
}
#endif

void
zj_fec_hash_lanes (const double *train, const double *valid, size_t stride,
                   const zj_eval_result *res, int n, const zj_task *tasks,
                   const long *n_real_train, uint64_t *keys)
{
  int t0 = 0;
#if defined __AVX512DQ__
  /* Two groups of eight at once (G registers per chain): one multiply
     takes several cycles, and two independent chains hide it. */
  enum { G = 2 };
  for (; t0 < n && t0 + 8 * G <= (int) stride; t0 += 8 * G)
    {
      /* The usual case: every task of the groups has the same counts
         (padding lanes past n are hashed and dropped). */
      const int m = n - t0 < 8 * G ? n - t0 : 8 * G;
      const int nt = res[t0].n_train_err, nv = res[t0].n_valid_err;
      bool same = true;
      for (int t = 0; t < m; t++)
        same &= res[t0 + t].n_train_err == nt && res[t0 + t].n_valid_err == nv;
      if (!same)
        break;
      zj_u64x8 a[G], b[G], idx[G], real[G];
      for (int g = 0; g < G; g++)
        {
          a[g] = (zj_u64x8) { 0 } + 42;
          b[g] = (zj_u64x8) { 0 } + 0x2545f4914f6cdd1dULL;
          idx[g] = real[g] = (zj_u64x8) { 0 };
        }
      for (int t = 0; t < m; t++)
        {
          idx[t / 8][t % 8] = (uint64_t) tasks[t0 + t].index;
          real[t / 8][t % 8] = (uint64_t) n_real_train[t0 + t];
        }
      const int both = nt < nv ? nt : nv;
      int i = 0;
      for (; i < both; i++)
        for (int g = 0; g < G; g++)
          {
            a[g] = fold31x8 (a[g], bits_at (train + (size_t) i * stride
                                            + t0 + 8 * g));
            b[g] = fold31x8 (b[g], bits_at (valid + (size_t) i * stride
                                            + t0 + 8 * g));
          }
      for (int j = i; j < nt; j++)
        for (int g = 0; g < G; g++)
          a[g] = fold31x8 (a[g], bits_at (train + (size_t) j * stride
                                          + t0 + 8 * g));
      for (int j = i; j < nv; j++)
        for (int g = 0; g < G; g++)
          b[g] = fold31x8 (b[g], bits_at (valid + (size_t) j * stride
                                          + t0 + 8 * g));
      for (int g = 0; g < G; g++)
        {
          zj_u64x8 h = fold31x8 (a[g], (zj_u64x8) { 0 } + (uint64_t) nt);
          h = fold31x8 (h, b[g]);
          h = fold31x8 (h, (zj_u64x8) { 0 } + (uint64_t) nv);
          h = fold31x8 (h, idx[g]);
          h = fold31x8 (h, real[g]);
          /* zj_fmix64 */
          h ^= h >> 33;
          h *= 0xff51afd7ed558ccdULL;
          h ^= h >> 33;
          h *= 0xc4ceb9fe1a85ec53ULL;
          h ^= h >> 33;
          a[g] = h;
        }
      for (int t = 0; t < m; t++)
        keys[t0 + t] = a[t / 8][t % 8];
    }
#endif
  for (int t = t0; t < n; t++)
    keys[t] = fec_hash (train + t, stride, res[t].n_train_err, valid + t,
                        stride, res[t].n_valid_err, tasks[t].index,
                        n_real_train[t]);
}

/* ---------------------------------------------------------- checkpoint */
void
zj_fec_export (const zj_fec *c, zj_ckpt_eval *e)
{
  e->fec_capacity = c->capacity;
  e->fec_stats[0] = c->st.hits;
  e->fec_stats[1] = c->st.misses;
  e->fec_stats[2] = c->st.forgotten;
  e->fec_stats[3] = c->st.evicted;
  e->n_fec = c->count;
  e->fec = zj_xcalloc (c->count ? c->count : 1, sizeof *e->fec);
  /* Least recently used first, so importing in order rebuilds the list. */
  size_t k = 0;
  for (int i = c->tail; i >= 0; i = c->nodes[i].prev)
    e->fec[k++] = (zj_ckpt_fec_entry) { c->nodes[i].key, c->nodes[i].fitness,
                                        c->nodes[i].hits };
  assert (k == c->count);
}

int
zj_fec_import (zj_fec *c, const zj_ckpt_eval *e, zj_error *err)
{
  if (e->fec_capacity != c->capacity || e->n_fec > (uint64_t) c->capacity)
    {
      zj_error_set (err, "fec cache of %lld entries, the spec asks for %d",
                    (long long) e->fec_capacity, c->capacity);
      return -1;
    }
  for (uint64_t i = 0; i < e->n_fec; i++)
    {
      zj_fec_insert (c, e->fec[i].key, e->fec[i].fitness);
      c->nodes[c->head].hits = e->fec[i].hits;
    }
  if (c->count != e->n_fec)
    {
      zj_error_set (err, "fec cache holds a key twice");
      return -1;
    }
  c->st = (zj_fec_stats) { e->fec_stats[0], e->fec_stats[1], e->fec_stats[2],
                           e->fec_stats[3] };
  return 0;
}
