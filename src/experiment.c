/* experiment.c -- run search experiments and evaluate the winner.
 *
 * One generator drives everything of the search (generation, mutation,
 * tournaments, random ops during search evaluation, and the seeds of the
 * select/final evaluators), so a run is reproducible from --random_seed.
 */
#include "config.h"
#include "internal.h"
#include "experiment.h"
#include "evaluator.h"
#include "evolution.h"
#include <float.h>
#include <string.h>
#include <time.h>
#if HAVE_JIT
#include "../jit/tier.h"
#endif

void
zj_experiment_cfg_init (zj_experiment_cfg *cfg)
{
  memset (cfg, 0, sizeof *cfg);
  cfg->max_experiments = 1;
  cfg->sufficient_fitness = DBL_MAX;
  cfg->ns = cfg->nv = cfg->nm = 20;
  cfg->dedup = true;
  cfg->jit = ZJ_TIER_OFF;
  zj_policy_knobs_default (&cfg->jit_knobs);
  cfg->jit_opt_level = 1;
  cfg->hurdle_tasks = 1;
  cfg->hurdle_percentile = 50.0;
}

void
zj_experiment_cfg_free (zj_experiment_cfg *cfg)
{
  zj_search_spec_free (&cfg->spec);
  zj_task_collection_free (&cfg->select_tasks);
  zj_task_collection_free (&cfg->final_tasks);
}

static double
wall (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

/* Evaluate p on a task collection with MEAN, no FEC/budget, fresh rng. */
static int
evaluate_on (const zj_task_collection *c, const zj_shape *shape,
             const zj_program *p, uint32_t seed, struct zj_tier *tier,
             double *fitness, zj_error *err)
{
  zj_task *tasks = NULL;
  int n = 0;
  if (zj_tasks_generate (c, &tasks, &n, err) != 0)
    return -1;
  zj_evaluator_cfg ecfg;
  zj_evaluator_cfg_default (&ecfg);
  ecfg.final_stage = true;
  zj_rng rng;
  zj_rng_seed (&rng, seed);
  zj_evaluator *ev = zj_evaluator_new (&ecfg, tasks, n, shape, NULL, &rng, err);
  if (!ev)
    {
      zj_tasks_free (tasks, n);
      return -1;
    }
  zj_evaluator_set_tier (ev, tier);
  *fitness = zj_evaluator_eval (ev, p);
  zj_evaluator_free (ev);
  zj_tasks_free (tasks, n);
  return 0;
}

static int
check_shape (const zj_task *tasks, int n, const zj_experiment_cfg *cfg,
             zj_shape *shape, zj_error *err)
{
  if (n <= 0)
    {
      zj_error_set (err, "search_tasks: the collection generates no task");
      return -1;
    }
  shape->F = tasks[0].F;
  shape->ns = cfg->ns;
  shape->nv = cfg->nv;
  shape->nm = cfg->nm;
  for (int i = 0; i < n; i++)
    if ((long) tasks[i].n_train * tasks[i].epochs < 10)
      {
        zj_error_set (err, "search_tasks: task %d has fewer than 10 training examples", i);
        return -1;
      }
  if (shape->ns < 2 || shape->nv < 1)
    {
      zj_error_set (err, "--max_scalar_addresses must be >= 2 and --max_vector_addresses >= 1");
      return -1;
    }
  return 0;
}

/* The tier shared by the search, select and final evaluators; NULL for
   "off" and in builds without the JIT. */
static int
new_tier (const zj_experiment_cfg *cfg, struct zj_tier **tier, zj_error *err)
{
  *tier = NULL;
#if HAVE_JIT
  if (cfg->jit == ZJ_TIER_OFF)
    return 0;
  zj_tier_cfg tc;
  zj_tier_cfg_default (&tc);
  tc.mode = cfg->jit;
  tc.knobs = cfg->jit_knobs;
  tc.opt_level = cfg->jit_opt_level;
  *tier = zj_tier_new (&tc, err);
  return *tier ? 0 : -1;
#else
  (void) cfg; (void) err;
  return 0;
#endif
}

static void
print_tier_summary (struct zj_tier *tier, FILE *out)
{
#if HAVE_JIT
  if (!tier)
    return;
  zj_tier_stats s;
  zj_tier_get_stats (tier, &s);
  fprintf (out, "Tier summary:");
  zj_tier_stats_print (&s, false, out);
  fprintf (out, " requests=%ld, switched=%ld, failures=%ld, native_examples=%.0f, interp_examples=%.0f\n",
           s.requests, s.switched, s.failures, s.examples_native,
           s.examples_interp);
#else
  (void) tier; (void) out;
#endif
}

int
zj_run_experiments (zj_experiment_cfg *cfg, FILE *out,
                    zj_experiment_summary *sum, zj_error *err)
{
  const double t0 = wall ();
  uint64_t seed = cfg->random_seed;
  if (seed == 0)
    seed = ((uint64_t) time (NULL) ^ ((uint64_t) clock () << 20)) | 1;
  fprintf (out, "Random seed = %llu\n", (unsigned long long) seed);
  zj_rng rng;
  zj_rng_seed (&rng, seed);
  FILE *plog = NULL;
  if (cfg->progress_log)
    {
      plog = fopen (cfg->progress_log, "w");
      if (!plog)
        {
          zj_error_set (err, "--progress_log=%s: cannot open for writing", cfg->progress_log);
          return -1;
        }
    }
  zj_program best;
  zj_program_init (&best);
  double best_select = -1.0;
  bool have_best = false;
  long total_indivs = 0;
  int64_t n_exp = 0;
  int ran = 0;
  double best_hof = 0.0;
  zj_shape shape = { 0 };
  int rc = -1;
  struct zj_tier *tier = NULL;
  if (new_tier (cfg, &tier, err) != 0)
    goto done;
  for (;;)
    {
      if (cfg->randomize_task_seeds)
        zj_task_collection_randomize_seeds (&cfg->spec.search_tasks,
                                            zj_rng_seed32 (&rng));
      zj_task *tasks = NULL;
      int n_tasks = 0;
      if (zj_tasks_generate (&cfg->spec.search_tasks, &tasks, &n_tasks, err) != 0)
        goto done;
      if (check_shape (tasks, n_tasks, cfg, &shape, err) != 0)
        {
          zj_tasks_free (tasks, n_tasks);
          goto done;
        }
      zj_search_space sp;
      zj_search_space_from_spec (&sp, &cfg->spec, &shape);
      zj_evaluator_cfg ecfg;
      zj_evaluator_cfg_from_spec (&ecfg, &cfg->spec);
      ecfg.dedup = cfg->dedup;
      ecfg.hurdles = cfg->hurdles;
      ecfg.hurdle_tasks = cfg->hurdle_tasks;
      ecfg.hurdle_percentile = cfg->hurdle_percentile;
      ecfg.hurdle_window = cfg->spec.population_size < 4096
                           ? cfg->spec.population_size : 4096;
      zj_evaluator *ev = zj_evaluator_new (&ecfg, tasks, n_tasks, &shape, &sp,
                                           &rng, err);
      if (!ev)
        {
          zj_tasks_free (tasks, n_tasks);
          goto done;
        }
      zj_evaluator_set_tier (ev, tier);
      zj_evolution_cfg vcfg = {
        .population_size = cfg->spec.population_size,
        .tournament_size = cfg->spec.tournament_size,
        .initial_population = cfg->spec.initial_population,
        .progress_every = cfg->spec.progress_every,
        .progress_out = out,
        .progress_log = plog,
      };
      zj_population *pop = zj_population_new (&vcfg, &sp, ev, &rng);
      fprintf (out, "Running evolution experiment (on the T_search tasks)...\n");
      if (zj_population_init (pop, err) != 0)
        {
          zj_population_free (pop);
          zj_evaluator_free (ev);
          zj_tasks_free (tasks, n_tasks);
          goto done;
        }
      const int64_t init_steps = zj_evaluator_train_steps (ev);
      if (cfg->spec.max_individuals > 0)
        zj_population_run (pop, INT64_MAX, cfg->spec.max_individuals);
      else
        zj_population_run (pop, cfg->spec.max_train_steps - init_steps, 0);
      fprintf (out, "Experiment done. Retrieving candidate algorithm.\n");
      double search_fit;
      const zj_program *cand = zj_population_best (pop, &search_fit);
      fprintf (out, "Search fitness for candidate algorithm = %.6f\n", search_fit);
      double hof_fit;
      zj_population_hall_of_fame (pop, &hof_fit);
      if (hof_fit > best_hof)
        best_hof = hof_fit;
      fprintf (out, "Hall of fame: best search fitness ever seen = %.6f\n", hof_fit);
      total_indivs += zj_population_individuals (pop);
      if (cfg->randomize_task_seeds)
        zj_task_collection_randomize_seeds (&cfg->select_tasks,
                                            zj_rng_seed32 (&rng));
      fprintf (out, "Evaluating candidate algorithm from experiment (on T_select tasks)... \n");
      double select_fit;
      if (evaluate_on (&cfg->select_tasks, &shape, cand, zj_rng_seed32 (&rng),
                       tier, &select_fit, err) != 0)
        {
          zj_population_free (pop);
          zj_evaluator_free (ev);
          zj_tasks_free (tasks, n_tasks);
          goto done;
        }
      fprintf (out, "Select fitness for candidate algorithm = %.6f\n", select_fit);
      if (select_fit >= best_select)
        {
          best_select = select_fit;
          zj_program_copy (&best, cand);
          have_best = true;
          fprintf (out, "Select fitness is the best so far. \n");
        }
      zj_population_free (pop);
      zj_evaluator_free (ev);
      zj_tasks_free (tasks, n_tasks);
      fflush (out);
      ran++;
      if (cfg->sufficient_fitness > 0 && best_select > cfg->sufficient_fitness)
        break;
      n_exp++;
      if (cfg->max_experiments != 0 && n_exp >= cfg->max_experiments)
        break;
    }
  if (!have_best)
    {
      zj_error_set (err, "no experiment produced a candidate");
      goto done;
    }
  fprintf (out, "\nFinal evaluation of best algorithm (on unseen tasks)...\n");
  double final_fit;
  if (evaluate_on (&cfg->final_tasks, &shape, &best, zj_rng_seed32 (&rng),
                   tier, &final_fit, err) != 0)
    goto done;
  fprintf (out, "Final evaluation fitness (on unseen data) = %.6f\n", final_fit);
  fprintf (out, "Algorithm found: \n");
  zj_program_print (&best, false, out);
  fprintf (out, "\n");
  zj_program pruned;
  zj_program_init (&pruned);
  zj_prune (&best, &pruned);
  fprintf (out, "Algorithm found, pruned to the instructions that affect the prediction: \n");
  zj_program_print (&pruned, false, out);
  fprintf (out, "\n");
  zj_program_free (&pruned);
  const double secs = wall () - t0;
  fprintf (out, "Summary: experiments=%d, individuals=%ld, seconds=%.3f, individuals/s=%.0f\n",
           ran, total_indivs, secs, secs > 0 ? total_indivs / secs : 0.0);
  print_tier_summary (tier, out);
  if (sum)
    {
      sum->final_fitness = final_fit;
      sum->best_select_fitness = best_select;
      sum->individuals = total_indivs;
      sum->experiments = ran;
      sum->seconds = secs;
      sum->hall_of_fame_fitness = best_hof;
      zj_program_init (&sum->best);
      zj_program_copy (&sum->best, &best);
    }
  rc = 0;
done:
#if HAVE_JIT
  zj_tier_free (tier);
#endif
  if (plog)
    fclose (plog);
  zj_program_free (&best);
  return rc;
}
