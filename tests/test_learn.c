/* test_learn.c -- the hand-coded algorithms learn their task types: more
 * training examples give a better validation fitness, and the final
 * fitness is high. */
#include <criterion/criterion.h>
#include "testutil.h"
#include <zerojit/spec.h>
#include <zerojit/search.h>

static double
mean_fitness (zj_algorithm_id alg, const char *tasks_text, const zj_shape *sh,
              long n_train)
{
  zj_task_collection c = { 0 };
  zj_error err;
  cr_assert_eq (zj_task_collection_parse (tasks_text, "test", &c, &err), 0, "%s", err.msg);
  zj_task *ts;
  int n;
  cr_assert_eq (zj_tasks_generate (&c, &ts, &n, &err), 0, "%s", err.msg);
  zj_search_space sp;
  memset (&sp, 0, sizeof sp);
  sp.shape = *sh;
  zj_rng rng;
  zj_rng_seed (&rng, 3);
  zj_program p;
  zj_program_init (&p);
  cr_assert_eq (zj_generate_algorithm (alg, &sp, &rng, &p, &err), 0, "%s", err.msg);
  zj_prepared *pp = zj_test_prepare (&p, sh, true);
  zj_workspace *ws = zj_workspace_new (sh);
  zj_eval_opts o;
  zj_eval_opts_default (&o);
  o.n_all_train = n_train;
  double sum = 0;
  for (int i = 0; i < n; i++)
    sum += zj_interp_eval_task (pp, &ts[i], &o, &rng, ws, NULL);
  zj_workspace_free (ws);
  zj_prepared_free (pp);
  zj_program_free (&p);
  zj_tasks_free (ts, n);
  zj_task_collection_free (&c);
  return sum / n;
}

Test (learn, linear_algorithm_solves_linear_regression)
{
  const char *t = "tasks { scalar_linear_regression_task {} features_size: 4 "
                  "num_train_examples: 1000 num_valid_examples: 100 num_tasks: 5 "
                  "eval_type: RMS_ERROR }";
  const zj_shape sh = { 4, 4, 3, 1 };
  double few = mean_fitness (ZJ_ALG_LINEAR, t, &sh, 10);
  double all = mean_fitness (ZJ_ALG_LINEAR, t, &sh, -1);
  cr_assert_gt (all, 0.999, "LINEAR after 1000 examples: %f", all);
  cr_assert_lt (few, 0.7, "LINEAR after 10 examples: %f", few);
}

Test (learn, neural_net_learns_two_layer_regression)
{
  const char *t = "tasks { scalar_2layer_nn_regression_task {} features_size: 4 "
                  "num_train_examples: 8000 num_valid_examples: 500 num_tasks: 3 "
                  "eval_type: RMS_ERROR }";
  const zj_shape sh = { 4, 5, 9, 2 };
  double few = mean_fitness (ZJ_ALG_NEURAL_NET, t, &sh, 10);
  double all = mean_fitness (ZJ_ALG_NEURAL_NET, t, &sh, -1);
  cr_assert_gt (all, few + 0.2, "NEURAL_NET: %f after 8000 vs %f after 10", all, few);
  cr_assert_gt (all, 0.85, "NEURAL_NET after 8000 examples: %f", all);
  /* The teacher is nonlinear: the linear model cannot match the network. */
  const zj_shape shl = { 4, 5, 9, 2 };
  double lin = mean_fitness (ZJ_ALG_LINEAR, t, &shl, -1);
  cr_assert_gt (all, lin, "NEURAL_NET %f vs LINEAR %f", all, lin);
}
