/* test_evaluator.c -- the evaluator (src/search/evaluator.c): fitness on
 * several tasks, the FEC, the exact-duplicate cache and the train budget. */
#include <criterion/criterion.h>
#include <math.h>
#include "testutil.h"
#include "evaluator.h"

#include "evalutil.h"

static void
linear_program (zj_program *p)
{
  zj_search_space sp;
  demo_space (&sp);
  zj_error err;
  zj_rng r;
  zj_rng_seed (&r, 1);
  cr_assert_eq (zj_generate_algorithm (ZJ_ALG_LINEAR, &sp, &r, p, &err), 0, "%s", err.msg);
}

Test (evaluator, linear_algorithm_learns_linear_tasks)
{
  zj_task *ts = linear_tasks (3, 5);
  zj_rng rng;
  zj_rng_seed (&rng, 2);
  zj_evaluator *e = make_eval (ts, 3, false, false, &rng);
  zj_program p;
  zj_program_init (&p);
  linear_program (&p);
  double f = zj_evaluator_eval (e, &p);
  /* 50 steps of lr 0.01 SGD reduce but do not remove the error. */
  cr_assert_gt (f, 0.3);
  const double *tf = zj_evaluator_task_fitness (e);
  cr_assert_float_eq (f, (tf[0] + tf[1] + tf[2]) / 3, 1e-15);
  cr_assert_eq (zj_evaluator_train_steps (e), 150);
  zj_program_free (&p);
  zj_evaluator_free (e);
  free_tasks (ts, 3);
}

Test (evaluator, fec_hits_for_functionally_equal_programs)
{
  zj_task *ts = linear_tasks (2, 6);
  zj_rng rng;
  zj_rng_seed (&rng, 3);
  zj_evaluator *e = make_eval (ts, 2, true, false, &rng);
  zj_program p, q;
  zj_program_init (&p);
  zj_program_init (&q);
  linear_program (&p);
  double f1 = zj_evaluator_eval (e, &p);
  zj_eval_counters c = zj_evaluator_counters (e);
  cr_assert_eq (c.fec_misses, 2);
  cr_assert_eq (c.fec_hits, 0);
  /* 10 FEC steps + 50 real steps per task. */
  cr_assert_eq (zj_evaluator_train_steps (e), 2 * (10 + 50));
  /* Same function, different dead code: a FEC hit on both tasks. */
  zj_program_copy (&q, &p);
  q.fn[ZJ_LEARN].ins[5] = zj_test_ins (ZJ_SCALAR_DIFF_OP, 2, 2, 3);
  zj_fn_push (&q.fn[ZJ_PREDICT], zj_test_ins (ZJ_SCALAR_SUM_OP, 0, 0, 3));
  double f2 = zj_evaluator_eval (e, &q);
  c = zj_evaluator_counters (e);
  cr_assert_eq (c.fec_hits, 2);
  cr_assert_eq (f1, f2);
  /* Mini-run steps count on hits too. */
  cr_assert_eq (zj_evaluator_train_steps (e), 2 * (10 + 50) + 2 * 10);
  zj_program_free (&p);
  zj_program_free (&q);
  zj_evaluator_free (e);
  free_tasks (ts, 2);
}

Test (evaluator, dedup_reuses_fitness_of_identical_pruned_program)
{
  zj_task *ts = linear_tasks (2, 7);
  zj_rng rng;
  zj_rng_seed (&rng, 4);
  zj_evaluator *e = make_eval (ts, 2, false, true, &rng);
  zj_program p, q;
  zj_program_init (&p);
  zj_program_init (&q);
  linear_program (&p);
  double f1 = zj_evaluator_eval (e, &p);
  long steps = zj_evaluator_train_steps (e);
  zj_program_copy (&q, &p);
  zj_fn_push (&q.fn[ZJ_SETUP], zj_test_ins (ZJ_SCALAR_SUM_OP, 0, 0, 3)); /* dead */
  double f2 = zj_evaluator_eval (e, &q);
  cr_assert_eq (f1, f2);
  cr_assert_eq (zj_evaluator_counters (e).dedup_hits, 1);
  cr_assert_eq (zj_evaluator_train_steps (e), steps);   /* nothing ran */
  /* A live change is not a duplicate. */
  q.fn[ZJ_SETUP].ins[0].act = 0.02;
  double f3 = zj_evaluator_eval (e, &q);
  cr_assert_eq (zj_evaluator_counters (e).dedup_hits, 1);
  cr_assert_neq (f1, f3);
  zj_program_free (&p);
  zj_program_free (&q);
  zj_evaluator_free (e);
  free_tasks (ts, 2);
}

Test (evaluator, budget_gives_zero_to_expensive_programs)
{
  zj_task *ts = linear_tasks (1, 8);
  zj_rng rng;
  zj_rng_seed (&rng, 5);
  zj_evaluator_cfg cfg;
  zj_evaluator_cfg_default (&cfg);
  cfg.budget = true;
  cfg.budget_factor = 2.0;
  zj_search_space sp;
  demo_space (&sp);
  sp.size_init[0] = 0; sp.size_init[1] = 0; sp.size_init[2] = 0;
  zj_shape big = { F, 5, 9, 2 };
  sp.shape = big;
  zj_error err;
  zj_evaluator *e = zj_evaluator_new (&cfg, ts, 1, &big, &sp, &rng, &err);
  cr_assert_not_null (e, "%s", err.msg);
  zj_program p;
  zj_program_init (&p);
  linear_program (&p);
  cr_assert_gt (zj_evaluator_eval (e, &p), 0.0);     /* cheaper than the NN */
  for (int i = 0; i < 40; i++)                      /* 40 matmuls per example */
    zj_fn_push (&p.fn[ZJ_LEARN], zj_test_ins (ZJ_MATRIX_MATRIX_PRODUCT_OP, 0, 0, 1));
  cr_assert_eq (zj_evaluator_eval (e, &p), 0.0);
  zj_program_free (&p);
  zj_evaluator_free (e);
  free_tasks (ts, 1);
}
