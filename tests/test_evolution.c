/* test_evolution.c -- regularized evolution (src/search/evolution.c):
 * determinism, hall of fame, progress output. */
#include <criterion/criterion.h>
#include <math.h>
#include "testutil.h"
#include "evaluator.h"
#include "evolution.h"

#define F 4
static const zj_shape shape = { F, 4, 3, 1 };

/* n linear tasks y = w.x with N(0,1) data, 50 train / 20 valid. */
static zj_task *
linear_tasks (int n, uint64_t seed)
{
  zj_rng r;
  zj_rng_seed (&r, seed);
  zj_task *ts = calloc ((size_t) n, sizeof *ts);
  for (int k = 0; k < n; k++)
    {
      double w[F], tx[50 * F], ty[50], vx[20 * F], vy[20];
      for (int j = 0; j < F; j++)
        w[j] = zj_rng_normal (&r);
      for (int i = 0; i < 70; i++)
        {
          double *x = i < 50 ? &tx[i * F] : &vx[(i - 50) * F];
          double y = 0;
          for (int j = 0; j < F; j++)
            {
              x[j] = zj_rng_normal (&r);
              y += w[j] * x[j];
            }
          if (i < 50) ty[i] = y; else vy[i - 50] = y;
        }
      zj_task *t = zj_test_task (F, 50, tx, ty, 20, vx, vy, 1, ZJ_RMS_ERROR);
      ts[k] = *t;
      ts[k].index = k;
      free (t);
    }
  return ts;
}

static void
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

static void
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

static zj_evaluator *
make_eval (zj_task *ts, int n, bool fec, bool dedup, zj_rng *rng)
{
  zj_evaluator_cfg cfg;
  zj_evaluator_cfg_default (&cfg);
  cfg.fec = fec;
  cfg.fec_train = 10;
  cfg.fec_valid = 10;
  cfg.dedup = dedup;
  zj_error err;
  zj_evaluator *e = zj_evaluator_new (&cfg, ts, n, &shape, NULL, rng, &err);
  cr_assert_not_null (e, "%s", err.msg);
  return e;
}

struct run_result {
  double best, hof;
  long individuals, steps;
  zj_program best_prog;
};

static void
run_search (uint64_t seed, long max_indiv, struct run_result *out, FILE *log)
{
  zj_task *ts = linear_tasks (3, 9);
  zj_rng rng;
  zj_rng_seed (&rng, seed);
  zj_evaluator *e = make_eval (ts, 3, true, true, &rng);
  zj_search_space sp;
  demo_space (&sp);
  zj_evolution_cfg vc = {
    .population_size = 50, .tournament_size = 10,
    .initial_population = ZJ_ALG_RANDOM, .progress_every = 100,
    .progress_out = log,
  };
  zj_population *pop = zj_population_new (&vc, &sp, e, &rng);
  zj_error err;
  cr_assert_eq (zj_population_init (pop, &err), 0, "%s", err.msg);
  zj_population_run (pop, INT64_MAX, max_indiv);
  zj_program_init (&out->best_prog);
  zj_program_copy (&out->best_prog, zj_population_best (pop, &out->best));
  zj_population_hall_of_fame (pop, &out->hof);
  out->individuals = zj_population_individuals (pop);
  out->steps = zj_evaluator_train_steps (e);
  zj_population_free (pop);
  zj_evaluator_free (e);
  free_tasks (ts, 3);
}

Test (evolution, same_seed_same_trajectory)
{
  struct run_result a, b, c;
  run_search (11, 500, &a, NULL);
  run_search (11, 500, &b, NULL);
  run_search (12, 500, &c, NULL);
  cr_assert_eq (a.individuals, 500);       /* whole generations of 50 */
  cr_assert_eq (a.best, b.best);
  cr_assert_eq (a.steps, b.steps);
  cr_assert (zj_program_equal (&a.best_prog, &b.best_prog));
  cr_assert (a.steps != c.steps || !zj_program_equal (&a.best_prog, &c.best_prog));
  cr_assert_geq (a.hof, a.best);
  zj_program_free (&a.best_prog);
  zj_program_free (&b.best_prog);
  zj_program_free (&c.best_prog);
}

Test (evolution, progress_lines_have_the_original_format)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);
  struct run_result a;
  run_search (13, 300, &a, f);
  fclose (f);
  /* init (50), then every >= 100 individuals: 50, 150, 250. */
  int lines = 0;
  for (char *s = buf; (s = strstr (s, "indivs=")); s++)
    lines++;
  cr_assert_eq (lines, 3, "%s", buf);
  long n;
  double m, sd, best;
  int elapsed;
  cr_assert_eq (sscanf (buf, "indivs=%ld, elapsed_secs=%d, mean=%lf, stdev=%lf, best fit=%lf,",
                        &n, &elapsed, &m, &sd, &best), 5, "%s", buf);
  cr_assert_eq (n, 50);
  cr_assert (best >= m && m >= 0.0 && sd >= 0.0);
  cr_assert_not_null (strstr (buf, "indivs=250, "));
  free (buf);
  zj_program_free (&a.best_prog);
}
