/* dedup.c -- the exact-duplicate cache (see dedup.h): direct-mapped,
 * a hit compares whole programs.
 *
 * A slot's program lives in its own stretch of one pool on huge pages
 * (DEDUP_INLINE instructions, the components back to back) when it fits,
 * else in the slot's zj_program.  The pool replaces 3 heap arrays per
 * slot: 16,384 slots' arrays on 4 KiB pages made nearly every find, store
 * and prefetch a TLB miss, and perf showed the page walks (in
 * zj_dedup_prefetch, where a prefetch waited for its translation).
 */
#include "internal.h"
#include "dedup.h"
#include "ckpt.h"

/* Instructions of a slot's stretch of the pool: 768 bytes, whole cache
   lines; the demo's programs prune to at most 20. */
#define DEDUP_INLINE 24

typedef struct dedup_slot {
  bool used;
  bool inl;               /* in the pool, n[] long; else in prog */
  int n[ZJ_NUM_COMPONENTS];
  double fitness;
  zj_program prog;
} dedup_slot;

/* The keys live in their own array so that the usual miss costs one probe
   of a 128 KiB array that stays in L2, not a cache miss on a slot. */
/* Each slot's tag (zj_dedup_tag) and fitness, apart from the slots so
   that zj_dedup_find_tagged reads 16 bytes of a 256 KiB array. */
typedef struct tagfit {
  uint64_t tag;
  double fitness;
} tagfit;

struct zj_dedup {
  int slots;
  dedup_slot *slot;
  uint64_t *keys;
  tagfit *tf;
  zj_instr *pool;         /* DEDUP_INLINE per slot */
  uint64_t next_tag;
};

static zj_instr *
pool_of (const zj_dedup *d, size_t si)
{
  return d->pool + si * DEDUP_INLINE;
}

/* Slot si's program (used): itself, or a view of its stretch of the
   pool in *view. */
static const zj_program *
slot_program (const zj_dedup *d, size_t si, zj_program *view)
{
  const dedup_slot *s = &d->slot[si];
  ZJ_ASSERT (s->used);
  if (!s->inl)
    return &s->prog;
  zj_instr *at = pool_of (d, si);
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    {
      view->fn[c] = (zj_fn) { at, s->n[c], s->n[c] };
      at += s->n[c];
    }
  return view;
}

/* Slot si := p with fitness f (not its key, tag or used flag). */
static void
slot_put (zj_dedup *d, size_t si, const zj_program *p, double f)
{
  dedup_slot *s = &d->slot[si];
  s->fitness = f;
  s->inl = zj_program_size (p) <= DEDUP_INLINE;
  if (!s->inl)
    {
      zj_program_copy (&s->prog, p);
      return;
    }
  zj_instr *at = pool_of (d, si);
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    {
      const int n = p->fn[c].n;
      const zj_instr *src = p->fn[c].ins;
      for (int i = 0; i < n; i++)
        at[i] = src[i];
      at += n;
      s->n[c] = n;
    }
  ZJ_ASSERT (at <= pool_of (d, si) + DEDUP_INLINE);
}

zj_dedup *
zj_dedup_new (int slots)
{
  zj_dedup *d = zj_xcalloc (1, sizeof *d);
  d->slots = slots;
  d->slot = zj_huge_calloc ((size_t) slots, sizeof (dedup_slot));
  d->keys = zj_xcalloc ((size_t) slots, sizeof (uint64_t));
  d->tf = zj_xcalloc ((size_t) slots, sizeof (tagfit));
  d->pool = zj_huge_malloc ((size_t) slots * DEDUP_INLINE * sizeof (zj_instr));
  d->next_tag = 1;
  for (int i = 0; i < slots; i++)
    zj_program_init (&d->slot[i].prog);
  return d;
}

int
zj_dedup_slots (const zj_dedup *d)
{
  return d->slots;
}

/* The used flags and the tags say whether a slot holds anything (a key
   counts only in a used slot): the keys, the pool's stale instructions
   and the heap programs' arrays stay, to be written over, and so do the
   pool's pages, already faulted in (a new cache faults its 12 MiB in
   again).  Tags go on counting: a tag never names two stores of one
   cache's life. */
void
zj_dedup_reset (zj_dedup *d)
{
  for (int i = 0; i < d->slots; i++)
    {
      d->slot[i].used = false;
      d->tf[i] = (tagfit) { 0, 0.0 };
    }
}

void
zj_dedup_free (zj_dedup *d)
{
  if (!d)
    return;
  for (int i = 0; i < d->slots; i++)
    zj_program_free (&d->slot[i].prog);
  free (d->slot);
  free (d->keys);
  free (d->tf);
  free (d->pool);
  free (d);
}

bool
zj_dedup_find (const zj_dedup *d, const zj_program *pruned, uint64_t key,
               double *fitness)
{
  const size_t si = key & (uint64_t) (d->slots - 1);
  const dedup_slot *s = &d->slot[si];
  zj_program view;
  if (d->keys[si] == key && s->used
      && zj_program_equal (slot_program (d, si, &view), pruned))
    {
      *fitness = s->fitness;
      return true;
    }
  return false;
}

uint64_t
zj_dedup_slot_tag (const zj_dedup *d, uint64_t key)
{
  return d->tf[key & (uint64_t) (d->slots - 1)].tag;
}

bool
zj_dedup_find_tagged (const zj_dedup *d, uint64_t key, uint64_t tag,
                      double *fitness)
{
  const tagfit *e = &d->tf[key & (uint64_t) (d->slots - 1)];
  if (tag == 0 || e->tag != tag)
    return false;
  *fitness = e->fitness;
  return true;
}

void
zj_dedup_prefetch (const zj_dedup *d, uint64_t key, int stage)
{
  const size_t si = key & (uint64_t) (d->slots - 1);
  if (stage == 0)
    {
      __builtin_prefetch (&d->slot[si]);
      return;
    }
  /* The first lines of the slot's stretch (no read of the slot first:
     that waited on it). */
  const char *at = (const char *) pool_of (d, si);
  for (int l = 0; l < 4; l++)
    __builtin_prefetch (at + 64 * l, 1);
}

uint64_t
zj_dedup_store (zj_dedup *d, const zj_program *pruned, uint64_t key,
                double fitness)
{
  const size_t si = key & (uint64_t) (d->slots - 1);
  dedup_slot *s = &d->slot[si];
  d->keys[si] = key;
  s->used = true;
  slot_put (d, si, pruned, fitness);
  d->tf[si] = (tagfit) { d->next_tag++, fitness };
  return d->tf[si].tag;
}

/* ---------------------------------------------------------- checkpoint */
void
zj_dedup_export (const zj_dedup *d, zj_ckpt_eval *x)
{
  x->dedup_slots = d->slots;
  x->dedup = zj_xcalloc ((size_t) d->slots, sizeof *x->dedup);
  for (int i = 0; i < d->slots; i++)
    if (d->slot[i].used)
      {
        zj_ckpt_dedup_entry *e = &x->dedup[x->n_dedup++];
        e->slot = (uint32_t) i;
        e->key = d->keys[i];
        e->fitness = d->slot[i].fitness;
        zj_program view;
        zj_program_init (&e->prog);
        zj_program_copy (&e->prog, slot_program (d, (size_t) i, &view));
      }
}

int
zj_dedup_import (zj_dedup *d, const zj_ckpt_eval *x, const zj_shape *shape,
                 zj_error *err)
{
  if (x->dedup_slots != d->slots)
    {
      zj_error_set (err, "duplicate cache of %lld slots, the flags ask for %d",
                    (long long) x->dedup_slots, d->slots);
      return -1;
    }
  for (uint64_t i = 0; i < x->n_dedup; i++)
    if (zj_program_check (&x->dedup[i].prog, shape, err) != 0)
      return -1;
  for (uint64_t i = 0; i < x->n_dedup; i++)
    {
      const zj_ckpt_dedup_entry *e = &x->dedup[i];
      d->keys[e->slot] = e->key;
      d->slot[e->slot].used = true;
      slot_put (d, e->slot, &e->prog, e->fitness);
      d->tf[e->slot] = (tagfit) { d->next_tag++, e->fitness };
    }
  return 0;
}
