/* mutator.c -- how a child program differs from its parent (doc/semantics.md, "Mutations").
 *
 * Each action draws, in this order: the component (uniform over components
 * with a non-empty op list), a position, an op, then the instruction's own
 * fields (random_instr.c).  Keeping that order fixed keeps a search
 * reproducible from its seed.
 */
#include "internal.h"
#include <string.h>
#include <zerojit/search.h>

const char *const zj_mutation_names[ZJ_MUT_COUNT] = {
  "ALTER_PARAM_MUTATION_TYPE",
  "RANDOMIZE_INSTRUCTION_MUTATION_TYPE",
  "RANDOMIZE_COMPONENT_FUNCTION_MUTATION_TYPE",
  "IDENTITY_MUTATION_TYPE",
  "INSERT_INSTRUCTION_MUTATION_TYPE",
  "REMOVE_INSTRUCTION_MUTATION_TYPE",
  "TRADE_INSTRUCTION_MUTATION_TYPE",
  "RANDOMIZE_ALGORITHM_MUTATION_TYPE",
};

void
zj_search_space_from_spec (zj_search_space *sp, const zj_search_spec *spec,
                           const zj_shape *shape)
{
  memset (sp, 0, sizeof *sp);
  sp->shape = *shape;
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    {
      sp->ops[c] = spec->ops[c];
      sp->n_ops[c] = spec->n_ops[c];
      sp->size_init[c] = spec->size_init[c];
      sp->size_min[c] = spec->size_min[c];
      sp->size_max[c] = spec->size_max[c];
    }
  sp->mutation_types = spec->mutation_types;
  sp->n_mutation_types = spec->n_mutation_types;
  sp->mutate_prob = spec->mutate_prob;
}

static void
random_instr (const zj_search_space *sp, zj_rng *rng, int c, zj_instr *in)
{
  int op = sp->ops[c][zj_rng_below (rng, (uint32_t) sp->n_ops[c])];
  zj_random_instruction (rng, op, &sp->shape, in);
}

/* Component to mutate, or -1 when no component may change. */
static int
pick_component (const zj_search_space *sp, zj_rng *rng)
{
  int open[ZJ_NUM_COMPONENTS], n = 0;
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    if (sp->n_ops[c] > 0)
      open[n++] = c;
  return n ? open[zj_rng_below (rng, (uint32_t) n)] : -1;
}

static void
randomize_fn (const zj_search_space *sp, zj_rng *rng, int c, zj_fn *f)
{
  for (int i = 0; i < f->n; i++)
    random_instr (sp, rng, c, &f->ins[i]);
}

static void
insert_random (const zj_search_space *sp, zj_rng *rng, int c, zj_fn *f)
{
  int pos = (int) zj_rng_below (rng, (uint32_t) f->n + 1);
  zj_instr in;
  random_instr (sp, rng, c, &in);
  zj_fn_insert (f, pos, in);
}

static void
remove_random (zj_rng *rng, zj_fn *f)
{
  zj_fn_remove (f, (int) zj_rng_below (rng, (uint32_t) f->n));
}

/* Applies one action and says in *s where it changed p (a superset: an
   instruction redrawn to itself still counts; zj_prune_reuse sees
   that).  Written field by field: the caller reads it soon, and a wide
   load across narrow stores waits for them to reach the cache. */
static void
apply (const zj_search_space *sp, zj_rng *rng, zj_mutation_type action,
       zj_program *p, zj_mut_site *s)
{
  s->c = ZJ_SITE_NONE;
  if (action == ZJ_MUT_IDENTITY)
    return;
  if (action == ZJ_MUT_RANDOMIZE_ALGORITHM)
    {
      for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
        if (sp->n_ops[c] > 0)
          randomize_fn (sp, rng, c, &p->fn[c]);
      s->c = ZJ_SITE_MANY;
      return;
    }
  int c = pick_component (sp, rng);
  if (c < 0)
    return;
  zj_fn *f = &p->fn[c];
  switch (action)
    {
    case ZJ_MUT_ALTER_PARAM:
    case ZJ_MUT_RANDOMIZE_INSTRUCTION:
      if (f->n > 0)
        {
          const int i = (int) zj_rng_below (rng, (uint32_t) f->n);
          s->old = f->ins[i];
          if (action == ZJ_MUT_ALTER_PARAM)
            zj_alter_param (rng, &sp->shape, &f->ins[i]);
          else
            random_instr (sp, rng, c, &f->ins[i]);
          s->c = c;
          s->i = i;
        }
      return;
    case ZJ_MUT_RANDOMIZE_COMPONENT_FUNCTION:
      randomize_fn (sp, rng, c, f);
      if (f->n > 0)
        {
          s->c = c;
          s->i = -1;
        }
      return;
    case ZJ_MUT_INSERT_INSTRUCTION:
      /* The original stops one short of size_max (doc/semantics.md). */
      if (f->n < sp->size_max[c] - 1)
        {
          insert_random (sp, rng, c, f);
          s->c = ZJ_SITE_MANY;
        }
      return;
    case ZJ_MUT_REMOVE_INSTRUCTION:
      if (f->n > sp->size_min[c])
        {
          remove_random (rng, f);
          s->c = ZJ_SITE_MANY;
        }
      return;
    case ZJ_MUT_TRADE_INSTRUCTION:
      /* No size checks: the size is the same afterwards. */
      insert_random (sp, rng, c, f);
      remove_random (rng, f);
      s->c = ZJ_SITE_MANY;
      return;
    default:
      s->c = ZJ_SITE_MANY;
      return;
    }
}

/* With k == 0 nothing is applied but the mutate_prob draw still happens
   (the original's initialisation does exactly this); the result is then
   IDENTITY. */
int
zj_mutate (const zj_search_space *sp, zj_rng *rng, int k, zj_program *p)
{
  zj_mut_site site;
  return zj_mutate_site (sp, rng, k, p, &site);
}

int
zj_mutate_site (const zj_search_space *sp, zj_rng *rng, int k, zj_program *p,
                zj_mut_site *site)
{
  site->c = ZJ_SITE_NONE;
  if (!(sp->mutate_prob >= 1.0)
      && !(zj_rng_float (rng, 0.0f, 1.0f) < sp->mutate_prob))
    return -1;
  int last = ZJ_MUT_IDENTITY;
  for (int i = 0; i < k && sp->n_mutation_types > 0; i++)
    {
      last = sp->mutation_types[zj_rng_below (rng, (uint32_t) sp->n_mutation_types)];
      if (site->c == ZJ_SITE_NONE)
        apply (sp, rng, (zj_mutation_type) last, p, site);
      else
        {
          /* Two changes, unless the second is nothing (a second change
             of the same instruction would need its first old form: also
             two). */
          zj_mut_site s;
          apply (sp, rng, (zj_mutation_type) last, p, &s);
          if (s.c != ZJ_SITE_NONE)
            site->c = ZJ_SITE_MANY;
        }
    }
  return last;
}
