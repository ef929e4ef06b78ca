/* evalutil.h -- tasks, search space and evaluator shared by the evaluator
 * and evolution suites (include after criterion.h and testutil.h). */
#ifndef ZJ_EVALUTIL_H
#define ZJ_EVALUTIL_H
#include "evaluator.h"

#define F 4
static const zj_shape shape = { F, 4, 3, 1 };

/* n linear tasks y = w.x with N(0,1) data, ntrain train / 20 valid. */
static inline zj_task *
linear_tasks_n (int n, uint64_t seed, int ntrain)
{
  zj_rng r;
  zj_rng_seed (&r, seed);
  zj_task *ts = calloc ((size_t) n, sizeof *ts);
  double *tx = malloc (sizeof *tx * (size_t) ntrain * F);
  double *ty = malloc (sizeof *ty * (size_t) ntrain);
  for (int k = 0; k < n; k++)
    {
      double w[F], vx[20 * F], vy[20];
      for (int j = 0; j < F; j++)
        w[j] = zj_rng_normal (&r);
      for (int i = 0; i < ntrain + 20; i++)
        {
          double *x = i < ntrain ? &tx[i * F] : &vx[(i - ntrain) * F];
          double y = 0;
          for (int j = 0; j < F; j++)
            {
              x[j] = zj_rng_normal (&r);
              y += w[j] * x[j];
            }
          if (i < ntrain) ty[i] = y; else vy[i - ntrain] = y;
        }
      zj_task *t = zj_test_task (F, ntrain, tx, ty, 20, vx, vy, 1, ZJ_RMS_ERROR);
      ts[k] = *t;
      ts[k].index = k;
      free (t);
    }
  free (tx);
  free (ty);
  return ts;
}

/* The same with 50 training examples. */
static inline zj_task *
linear_tasks (int n, uint64_t seed)
{
  return linear_tasks_n (n, seed, 50);
}

static inline void
free_tasks (zj_task *ts, int n)
{
  for (int i = 0; i < n; i++)
    zj_task_free (&ts[i]);
  free (ts);
}

static const int demo_ops[] = {
  ZJ_SCALAR_CONST_SET_OP, ZJ_VECTOR_INNER_PRODUCT_OP, ZJ_SCALAR_DIFF_OP,
  ZJ_SCALAR_PRODUCT_OP, ZJ_SCALAR_VECTOR_PRODUCT_OP, ZJ_VECTOR_SUM_OP };
static const zj_mutation_type demo_mut[] = {
  ZJ_MUT_ALTER_PARAM, ZJ_MUT_RANDOMIZE_INSTRUCTION,
  ZJ_MUT_RANDOMIZE_COMPONENT_FUNCTION };

static inline void
demo_space (zj_search_space *sp)
{
  memset (sp, 0, sizeof *sp);
  sp->shape = shape;
  for (int c = 0; c < 3; c++)
    {
      sp->ops[c] = demo_ops;
      sp->n_ops[c] = 6;
    }
  sp->size_init[0] = 10; sp->size_init[1] = 2; sp->size_init[2] = 8;
  sp->mutation_types = demo_mut;
  sp->n_mutation_types = 3;
  sp->mutate_prob = 0.9;
}

/* dedup_slots: 0 for the default. */
static inline zj_evaluator *
make_eval_slots (zj_task *ts, int n, bool fec, bool dedup, int dedup_slots,
                 zj_rng *rng)
{
  zj_evaluator_cfg cfg;
  zj_evaluator_cfg_default (&cfg);
  cfg.fec = fec;
  cfg.fec_train = 10;
  cfg.fec_valid = 10;
  cfg.dedup = dedup;
  if (dedup_slots > 0)
    cfg.dedup_slots = dedup_slots;
  zj_error err;
  zj_evaluator *e = zj_evaluator_new (&cfg, ts, n, &shape, NULL, rng, &err);
  cr_assert_not_null (e, "%s", err.msg);
  return e;
}

static inline zj_evaluator *
make_eval (zj_task *ts, int n, bool fec, bool dedup, zj_rng *rng)
{
  return make_eval_slots (ts, n, fec, dedup, 0, rng);
}
#endif
