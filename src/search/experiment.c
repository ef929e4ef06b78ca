/* experiment.c -- run search experiments and evaluate the winner.
 *
 * Each experiment has one generator that drives everything in it
 * (generation, mutation, tournaments, random ops during search evaluation,
 * task-seed draws and the select evaluator's seed), derived from
 * --random_seed and the experiment's index, so a run is reproducible from
 * --random_seed whatever the number of worker threads.
 */
#include "config.h"
#include "internal.h"
#include "experiment.h"
#include "evaluator.h"
#include "evolution.h"
#include <float.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include "tier_door.h"

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
  return zj_door_tier_new (cfg->jit, &cfg->jit_knobs, cfg->jit_opt_level,
                           tier, err);
}

static void
print_tier_summary (struct zj_tier *tier, FILE *out)
{
  zj_tier_stats s;
  if (!zj_door_tier_stats (tier, &s))
    return;
  fprintf (out, "Tier summary:");
  zj_tier_stats_print (&s, false, out);
  fprintf (out, " requests=%ld, switched=%ld, failures=%ld, native_examples=%.0f, interp_examples=%.0f\n",
           s.requests, s.switched, s.failures, s.examples_native,
           s.examples_interp);
}

/* ------------------------------------------------------------ experiments
 *
 * Experiment k draws from its own generator, seeded from (seed, k), so its
 * result does not depend on how many experiments ran before it or beside
 * it.  With --workers=N, N experiments run at once on N threads; the
 * driver still consumes their results strictly in index order (printing
 * each experiment's buffered output, keeping the best select fitness, and
 * stopping at the first sufficient one), so the output and the algorithm
 * found are the same for any number of workers.
 */

typedef struct exp_result {
  bool done, ok;
  char *text;                 /* the experiment's output lines */
  size_t text_len;
  zj_program cand;
  double select_fit, hof_fit;
  long individuals;
  zj_shape shape;
  zj_error err;
} exp_result;

typedef struct exp_pool {
  zj_experiment_cfg *cfg;
  uint64_t seed;
  struct zj_tier *tier;
  FILE *plog;
  pthread_mutex_t lock;       /* guards everything below and cfg's tasks */
  pthread_cond_t cond;
  int64_t next;               /* next experiment index to start */
  int64_t limit;              /* experiments allowed (INT64_MAX: unlimited) */
  volatile bool stop;         /* the driver has its answer */
  exp_result *res;
  int64_t res_cap;
} exp_pool;

static uint64_t
experiment_seed (uint64_t seed, int64_t k)
{
  return zj_hash_mix (zj_hash_mix (seed, 0x6578706572ULL), (uint64_t) k);
}

/* Generate tasks from a collection whose seeds may be re-drawn first; the
   collections are shared, so this runs under the pool lock. */
static int
draw_tasks (exp_pool *pl, zj_task_collection *c, zj_rng *rng,
            zj_task **tasks, int *n, zj_error *err)
{
  pthread_mutex_lock (&pl->lock);
  if (pl->cfg->randomize_task_seeds)
    zj_task_collection_randomize_seeds (c, zj_rng_seed32 (rng));
  int rc = zj_tasks_generate (c, tasks, n, err);
  pthread_mutex_unlock (&pl->lock);
  return rc;
}

static int
fitness_on_tasks (const zj_task *tasks, int n, const zj_shape *shape,
                const zj_program *p, uint32_t seed, struct zj_tier *tier,
                double *fitness, zj_error *err)
{
  zj_evaluator_cfg ecfg;
  zj_evaluator_cfg_default (&ecfg);
  ecfg.final_stage = true;
  zj_rng rng;
  zj_rng_seed (&rng, seed);
  zj_evaluator *ev = zj_evaluator_new (&ecfg, tasks, n, shape, NULL, &rng, err);
  if (!ev)
    return -1;
  zj_evaluator_set_tier (ev, tier);
  *fitness = zj_evaluator_eval (ev, p);
  zj_evaluator_free (ev);
  return 0;
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
  int rc = fitness_on_tasks (tasks, n, shape, p, seed, tier, fitness, err);
  zj_tasks_free (tasks, n);
  return rc;
}

static void
run_experiment (exp_pool *pl, int64_t k, exp_result *r)
{
  zj_experiment_cfg *cfg = pl->cfg;
  FILE *out = open_memstream (&r->text, &r->text_len);
  zj_rng rng;
  zj_rng_seed (&rng, experiment_seed (pl->seed, k));
  zj_task *tasks = NULL, *sel = NULL;
  int n_tasks = 0, n_sel = 0;
  zj_evaluator *ev = NULL;
  zj_population *pop = NULL;
  zj_program_init (&r->cand);
  r->ok = false;
  if (draw_tasks (pl, &cfg->spec.search_tasks, &rng, &tasks, &n_tasks, &r->err)
      || check_shape (tasks, n_tasks, cfg, &r->shape, &r->err))
    goto out;
  zj_search_space sp;
  zj_search_space_from_spec (&sp, &cfg->spec, &r->shape);
  zj_evaluator_cfg ecfg;
  zj_evaluator_cfg_from_spec (&ecfg, &cfg->spec);
  ecfg.dedup = cfg->dedup;
  ecfg.hurdles = cfg->hurdles;
  ecfg.hurdle_tasks = cfg->hurdle_tasks;
  ecfg.hurdle_percentile = cfg->hurdle_percentile;
  ecfg.hurdle_window = cfg->spec.population_size < 4096
                       ? cfg->spec.population_size : 4096;
  if (!(ev = zj_evaluator_new (&ecfg, tasks, n_tasks, &r->shape, &sp, &rng,
                               &r->err)))
    goto out;
  zj_evaluator_set_tier (ev, pl->tier);
  zj_evolution_cfg vcfg = {
    .population_size = cfg->spec.population_size,
    .tournament_size = cfg->spec.tournament_size,
    .initial_population = cfg->spec.initial_population,
    .progress_every = cfg->spec.progress_every,
    .progress_out = out,
    .progress_log = pl->plog,
    .cancel = &pl->stop,
  };
  pop = zj_population_new (&vcfg, &sp, ev, &rng);
  fprintf (out, "Running evolution experiment (on the T_search tasks)...\n");
  if (zj_population_init (pop, &r->err) != 0)
    goto out;
  const int64_t init_steps = zj_evaluator_train_steps (ev);
  if (cfg->spec.max_individuals > 0)
    zj_population_run (pop, INT64_MAX, cfg->spec.max_individuals);
  else
    zj_population_run (pop, cfg->spec.max_train_steps - init_steps, 0);
  fprintf (out, "Experiment done. Retrieving candidate algorithm.\n");
  double search_fit;
  zj_program_copy (&r->cand, zj_population_best (pop, &search_fit));
  fprintf (out, "Search fitness for candidate algorithm = %.6f\n", search_fit);
  zj_population_hall_of_fame (pop, &r->hof_fit);
  fprintf (out, "Hall of fame: best search fitness ever seen = %.6f\n", r->hof_fit);
  r->individuals = zj_population_individuals (pop);
  fprintf (out, "Evaluating candidate algorithm from experiment (on T_select tasks)... \n");
  if (draw_tasks (pl, &cfg->select_tasks, &rng, &sel, &n_sel, &r->err)
      || fitness_on_tasks (sel, n_sel, &r->shape, &r->cand, zj_rng_seed32 (&rng),
                         pl->tier, &r->select_fit, &r->err))
    goto out;
  fprintf (out, "Select fitness for candidate algorithm = %.6f\n", r->select_fit);
  r->ok = true;
out:
  zj_population_free (pop);
  zj_evaluator_free (ev);
  zj_tasks_free (tasks, n_tasks);
  zj_tasks_free (sel, n_sel);
  fclose (out);
}

static exp_result *
result_slot (exp_pool *pl, int64_t k)
{
  if (k >= pl->res_cap)
    {
      int64_t cap = pl->res_cap ? pl->res_cap * 2 : 16;
      while (cap <= k)
        cap *= 2;
      pl->res = zj_xrealloc (pl->res, (size_t) cap * sizeof *pl->res);
      memset (pl->res + pl->res_cap, 0, (size_t) (cap - pl->res_cap) * sizeof *pl->res);
      pl->res_cap = cap;
    }
  return &pl->res[k];
}

static void *
worker (void *arg)
{
  exp_pool *pl = arg;
  for (;;)
    {
      pthread_mutex_lock (&pl->lock);
      if (pl->stop || pl->next >= pl->limit)
        {
          pthread_mutex_unlock (&pl->lock);
          return NULL;
        }
      const int64_t k = pl->next++;
      pthread_mutex_unlock (&pl->lock);
      exp_result r;
      memset (&r, 0, sizeof r);
      run_experiment (pl, k, &r);
      pthread_mutex_lock (&pl->lock);
      r.done = true;
      *result_slot (pl, k) = r;
      pthread_cond_broadcast (&pl->cond);
      pthread_mutex_unlock (&pl->lock);
    }
}

int
zj_run_experiments (zj_experiment_cfg *cfg, FILE *out,
                    zj_experiment_summary *sum, zj_error *err)
{
  const double t0 = zj_now_s ();
  uint64_t seed = cfg->random_seed;
  if (seed == 0)
    seed = ((uint64_t) time (NULL) ^ ((uint64_t) clock () << 20)) | 1;
  fprintf (out, "Random seed = %llu\n", (unsigned long long) seed);
  exp_pool pl;
  memset (&pl, 0, sizeof pl);
  pl.cfg = cfg;
  pl.seed = seed;
  pl.limit = cfg->max_experiments ? cfg->max_experiments : INT64_MAX;
  pthread_mutex_init (&pl.lock, NULL);
  pthread_cond_init (&pl.cond, NULL);
  zj_program best;
  zj_program_init (&best);
  zj_shape shape = { 0 };
  double best_select = -1.0, best_hof = 0.0;
  bool have_best = false;
  long total_indivs = 0;
  int ran = 0, rc = -1, n_workers = 0;
  pthread_t threads[64];
  if (cfg->progress_log && !(pl.plog = fopen (cfg->progress_log, "w")))
    {
      zj_error_set (err, "--progress_log=%s: cannot open for writing", cfg->progress_log);
      goto done;
    }
  if (new_tier (cfg, &pl.tier, err) != 0)
    goto done;
  /* Searches running side by side share the tier (its compile thread,
     code cache and cost model are locked). */
  int want = cfg->workers < 1 ? 1 : cfg->workers > 64 ? 64 : cfg->workers;
  for (; n_workers < want; n_workers++)
    if (pthread_create (&threads[n_workers], NULL, worker, &pl) != 0)
      break;
  if (n_workers == 0)
    {
      zj_error_set (err, "cannot start a worker thread");
      goto done;
    }
  for (int64_t k = 0; k < pl.limit; k++)
    {
      pthread_mutex_lock (&pl.lock);
      while (k >= pl.res_cap || !pl.res[k].done)
        pthread_cond_wait (&pl.cond, &pl.lock);
      exp_result r = pl.res[k];
      pl.res[k].text = NULL;
      pl.res[k].cand = (zj_program) { 0 };
      pthread_mutex_unlock (&pl.lock);
      fwrite (r.text, 1, r.text_len, out);
      free (r.text);
      if (!r.ok)
        {
          *err = r.err;
          zj_program_free (&r.cand);
          pl.stop = true;
          goto done;
        }
      ran++;
      shape = r.shape;
      total_indivs += r.individuals;
      if (r.hof_fit > best_hof)
        best_hof = r.hof_fit;
      if (r.select_fit >= best_select)
        {
          best_select = r.select_fit;
          zj_program_copy (&best, &r.cand);
          have_best = true;
          fprintf (out, "Select fitness is the best so far. \n");
        }
      zj_program_free (&r.cand);
      fflush (out);
      if (cfg->sufficient_fitness > 0 && best_select > cfg->sufficient_fitness)
        break;
    }
  pl.stop = true;
  if (!have_best)
    {
      zj_error_set (err, "no experiment produced a candidate");
      goto done;
    }
  fprintf (out, "\nFinal evaluation of best algorithm (on unseen tasks)...\n");
  double final_fit;
  zj_rng frng;
  zj_rng_seed (&frng, experiment_seed (seed, -1));
  if (evaluate_on (&cfg->final_tasks, &shape, &best, zj_rng_seed32 (&frng),
                   pl.tier, &final_fit, err) != 0)
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
  const double secs = zj_now_s () - t0;
  fprintf (out, "Summary: experiments=%d, individuals=%ld, seconds=%.3f, individuals/s=%.0f, workers=%d\n",
           ran, total_indivs, secs, secs > 0 ? total_indivs / secs : 0.0, n_workers);
  print_tier_summary (pl.tier, out);
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
  pl.stop = true;
  for (int i = 0; i < n_workers; i++)
    pthread_join (threads[i], NULL);
  for (int64_t k = 0; k < pl.res_cap; k++)
    {
      free (pl.res[k].text);
      zj_program_free (&pl.res[k].cand);
    }
  free (pl.res);
  zj_door_tier_free (pl.tier);
  if (pl.plog)
    fclose (pl.plog);
  pthread_mutex_destroy (&pl.lock);
  pthread_cond_destroy (&pl.cond);
  zj_program_free (&best);
  return rc;
}
