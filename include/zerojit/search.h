/* search.h -- generating and mutating programs (doc/semantics.md,
 * "Random instructions", "Mutations", "Hand-coded algorithms").
 */
#ifndef ZEROJIT_SEARCH_H
#define ZEROJIT_SEARCH_H

#include <zerojit/zerojit.h>
#include <zerojit/spec.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What may be generated and how programs may change; built from a search
   spec (or by hand in tests).  Pointers are borrowed, not owned. */
typedef struct zj_search_space {
  zj_shape shape;
  const int *ops[ZJ_NUM_COMPONENTS];
  int n_ops[ZJ_NUM_COMPONENTS];
  int size_init[ZJ_NUM_COMPONENTS];
  int size_min[ZJ_NUM_COMPONENTS], size_max[ZJ_NUM_COMPONENTS];
  const zj_mutation_type *mutation_types;
  int n_mutation_types;
  double mutate_prob;
} zj_search_space;

void zj_search_space_from_spec (zj_search_space *sp, const zj_search_spec *spec,
                                const zj_shape *shape);

/* Checks that every allowed op fits the shape (a random output needs a
   second scalar/vector address, since s0 and v0 are never written). */
int zj_search_space_check (const zj_search_space *sp, zj_error *err);

/* A random instruction for op (doc/semantics.md, "Random instructions": fields zeroed, then out and
   data for set ops, in1/out for unary, in1/in2/out for binary; outputs
   never s0 or v0). */
void zj_random_instruction (zj_rng *rng, int op, const zj_shape *shape,
                            zj_instr *out);
/* Alter one parameter of an instruction (doc/semantics.md, "Mutations"). */
void zj_alter_param (zj_rng *rng, const zj_shape *shape, zj_instr *in);

/* A hand-coded or random algorithm, padded with no-ops to size_init
   (doc/semantics.md, "Hand-coded algorithms").  Fails if the shape is too small for it. */
int zj_generate_algorithm (zj_algorithm_id id, const zj_search_space *sp,
                           zj_rng *rng, zj_program *out, zj_error *err);

/* Mutate(k, program) in place (doc/semantics.md, "Mutations"): with probability
   mutate_prob apply k actions.  Returns the last action applied, or -1
   when the program was left unchanged by the mutate_prob draw. */
int zj_mutate (const zj_search_space *sp, zj_rng *rng, int k, zj_program *p);

#ifdef __cplusplus
}
#endif
#endif
