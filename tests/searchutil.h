/* searchutil.h -- search spaces and checks shared by the generator and
 * mutator suites (include after criterion.h and testutil.h). */
#ifndef ZJ_SEARCHUTIL_H
#define ZJ_SEARCHUTIL_H
#include <zerojit/search.h>

static int all_ops[ZJ_NUM_OPS];
static const zj_mutation_type every_mutation[] = {
  ZJ_MUT_ALTER_PARAM, ZJ_MUT_RANDOMIZE_INSTRUCTION,
  ZJ_MUT_RANDOMIZE_COMPONENT_FUNCTION, ZJ_MUT_IDENTITY,
  ZJ_MUT_INSERT_INSTRUCTION, ZJ_MUT_REMOVE_INSTRUCTION,
  ZJ_MUT_TRADE_INSTRUCTION, ZJ_MUT_RANDOMIZE_ALGORITHM };

/* Every op allowed everywhere, the given mutation types, prob 1. */
static inline zj_search_space
space (const zj_mutation_type *types, int n_types, int init, int min, int max)
{
  for (int i = 0; i < ZJ_NUM_OPS; i++)
    all_ops[i] = i;
  zj_search_space sp;
  memset (&sp, 0, sizeof sp);
  sp.shape = (zj_shape) { 4, 5, 9, 2 };
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    {
      sp.ops[c] = all_ops;
      sp.n_ops[c] = ZJ_NUM_OPS;
      sp.size_init[c] = init;
      sp.size_min[c] = min;
      sp.size_max[c] = max;
    }
  sp.mutation_types = types;
  sp.n_mutation_types = n_types;
  sp.mutate_prob = 1.0;
  return sp;
}

static inline void
generate (const zj_search_space *sp, zj_algorithm_id id, zj_rng *rng,
          zj_program *p)
{
  zj_error err = { "" };
  cr_assert_eq (zj_generate_algorithm (id, sp, rng, p, &err), 0, "%s", err.msg);
}

static inline void
assert_outputs_not_reserved (const zj_program *p)
{
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    for (int i = 0; i < p->fn[c].n; i++)
      {
        const zj_instr *in = &p->fn[c].ins[i];
        zj_kind k = zj_ops[in->op].out;
        if (k == ZJ_KIND_S || k == ZJ_KIND_V)
          cr_assert_neq (in->out, 0, "%s writes %c0", zj_ops[in->op].name,
                         k == ZJ_KIND_S ? 's' : 'v');
      }
}
#endif
