/* dedup.c -- the exact-duplicate cache (see dedup.h): direct-mapped,
 * a hit compares whole programs. */
#include "internal.h"
#include "dedup.h"
#include "ckpt.h"

typedef struct dedup_slot {
  bool used;
  double fitness;
  zj_program prog;
} dedup_slot;

/* The keys live in their own array so that the usual miss costs one probe
   of a 128 KiB array that stays in L2, not a cache miss on a 72-byte
   slot. */
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
  uint64_t next_tag;
};

zj_dedup *
zj_dedup_new (int slots)
{
  zj_dedup *d = zj_xcalloc (1, sizeof *d);
  d->slots = slots;
  d->slot = zj_huge_calloc ((size_t) slots, sizeof (dedup_slot));
  d->keys = zj_xcalloc ((size_t) slots, sizeof (uint64_t));
  d->tf = zj_xcalloc ((size_t) slots, sizeof (tagfit));
  d->next_tag = 1;
  for (int i = 0; i < slots; i++)
    zj_program_init (&d->slot[i].prog);
  return d;
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
  free (d);
}

bool
zj_dedup_find (const zj_dedup *d, const zj_program *pruned, uint64_t key,
               double *fitness)
{
  const size_t si = key & (uint64_t) (d->slots - 1);
  const dedup_slot *s = &d->slot[si];
  if (d->keys[si] == key && s->used && zj_program_equal (&s->prog, pruned))
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
  const dedup_slot *s = &d->slot[key & (uint64_t) (d->slots - 1)];
  if (stage == 0)
    {
      __builtin_prefetch (s);
      return;
    }
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    if (s->prog.fn[c].ins)
      __builtin_prefetch (s->prog.fn[c].ins, 1);
}

uint64_t
zj_dedup_store (zj_dedup *d, const zj_program *pruned, uint64_t key,
                double fitness)
{
  const size_t si = key & (uint64_t) (d->slots - 1);
  dedup_slot *s = &d->slot[si];
  d->keys[si] = key;
  s->used = true;
  s->fitness = fitness;
  zj_program_copy (&s->prog, pruned);
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
        zj_program_init (&e->prog);
        zj_program_copy (&e->prog, &d->slot[i].prog);
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
      d->slot[e->slot].fitness = e->fitness;
      zj_program_copy (&d->slot[e->slot].prog, &e->prog);
      d->tf[e->slot] = (tagfit) { d->next_tag++, e->fitness };
    }
  return 0;
}
