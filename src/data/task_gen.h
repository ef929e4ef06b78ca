/* task_gen.h -- internal pieces of task generation, shared with tests.
 *
 * The seed offsets are the original's (doc/semantics.md, "Tasks"); the streams
 * themselves are our generator's (doc/deviations.md), so the data are
 * distributed like the original's but not equal to them.
 */
#ifndef ZJ_TASK_GEN_H
#define ZJ_TASK_GEN_H

#include <zerojit/spec.h>

/* Added (mod 2^32) to a task's seed before seeding a generator. */
#define ZJ_SEED_LINEAR_DATA 939723201u
#define ZJ_SEED_LINEAR_PARAM 997958712u
#define ZJ_SEED_NN_DATA 865546086u
#define ZJ_SEED_NN_PARAM 174299604u
#define ZJ_SEED_EPOCH_ORDER 3274582109u
/* HashMix salts of the task-seed randomization (doc/semantics.md, "Tasks"). */
#define ZJ_SEED_SALT_PARAM 85652777u
#define ZJ_SEED_SALT_DATA 38272328u

/* Seed of task i of a spec from its list (n entries; the defaults when
   n == 0): list[i], or the last listed seed plus the distance past it. */
uint32_t zj_task_seed (const uint32_t *list, int n, bool data, int i);

/* Weights of a linear task: w (F) ~ N(0,1). */
void zj_task_linear_weights (uint32_t param_seed, int F, double *w);
/* Weights of a 2-layer NN task: M (F x F, row-major: M[r*F+c]) with rows
   0 and 2 zero, u (F) with u[0] = u[2] = 0.  Needs F >= 3. */
void zj_task_nn_weights (uint32_t param_seed, int F, double *M, double *u);
/* dot(ReLU(M x), u), with M x summed over columns in index order (the
   matrix-vector kernel's order) and the dot in the canonical order. */
double zj_task_nn_label (const double *M, const double *u, const double *x,
                         int F);

/* Fill t's examples and labels for spec s (t->data_seed, param_seed and
   sizes already set).  Returns 0, or -1 with a reason in err. */
int zj_task_fill (const zj_task_spec *s, zj_task *t, zj_error *err);
/* t->order: identity for epoch 0, then successive shuffles. */
void zj_task_epoch_orders (zj_task *t);

/* HashMix of a list: start from 42, fold each value with zj_hash_mix,
   keep the low 32 bits. */
uint32_t zj_hash_mix_list (const uint64_t *values, int n);

#endif
