/* experiment_run.c -- one experiment, on a worker thread.
 *
 * A worker takes the next experiment index (or a running experiment of a
 * checkpoint), draws its search tasks, builds its islands, runs the
 * evolution, and evaluates the candidate on the select tasks; the driver
 * (experiment.c) only consumes the results in index order.  Each
 * experiment has one generator that drives everything in it (generation,
 * mutation, tournaments, random ops during search evaluation, task-seed
 * draws and the select evaluator's seed), derived from --random_seed and
 * the experiment's index, so a run is reproducible from --random_seed
 * whatever the number of worker threads.
 */
#include "config.h"
#include "internal.h"
#include "experiment.h"
#include "evaluator.h"
#include "evolution.h"
#include "ckpt.h"
#include "comm.h"
#include "outseq.h"
#include "stop.h"
#include <errno.h>
#include <string.h>
#include "experiment_internal.h"

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

static uint64_t
experiment_seed (uint64_t seed, int64_t k)
{
  return zj_hash_mix (zj_hash_mix (seed, 0x6578706572ULL), (uint64_t) k);
}

/* Threads that make tasks: the workers' when the search has them to
   spare (the set-up and the select and final evaluations are serial
   parts of an island search and of the run), one when experiments run
   side by side. */
static int
task_threads (const zj_experiment_cfg *cfg, bool final)
{
  if (!final && cfg->islands < 2)
    return 1;
  return cfg->workers < 1 ? 1 : cfg->workers;
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
  int rc = zj_tasks_generate_threads (c, task_threads (pl->cfg, false), tasks, n, err);
  pthread_mutex_unlock (&pl->lock);
  return rc;
}

/* no_shortcuts: --shortcuts=false reaches the select and final
   evaluations too (the figures are the same either way). */
static int
fitness_on_tasks (const zj_task *tasks, int n, const zj_shape *shape,
                const zj_program *p, uint32_t seed, struct zj_tier *tier,
                bool no_shortcuts, double *fitness, zj_error *err)
{
  zj_evaluator_cfg ecfg;
  zj_evaluator_cfg_default (&ecfg);
  ecfg.final_stage = true;
  ecfg.no_shortcuts = no_shortcuts;
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
evaluate_on (const zj_task_collection *c, int threads, const zj_shape *shape,
             const zj_program *p, uint32_t seed, struct zj_tier *tier,
             bool no_shortcuts, double *fitness, zj_error *err)
{
  zj_task *tasks = NULL;
  int n = 0;
  if (zj_tasks_generate_threads (c, threads, &tasks, &n, err) != 0)
    return -1;
  int rc = fitness_on_tasks (tasks, n, shape, p, seed, tier, no_shortcuts,
                             fitness, err);
  zj_tasks_free (tasks, n);
  return rc;
}

typedef struct log_ctx {
  zj_outseq *seq;
  int64_t k;
} log_ctx;

static void
log_line (void *ctx, const char *fields)
{
  log_ctx *c = ctx;
  zj_outseq_log (c->seq, c->k, fields);
}

/* The final evaluation of the best algorithm, on the final tasks, from a
   generator of its own (index -1: no experiment's). */
int
zj_exp_final_fitness (const exp_pool *pl, const zj_shape *shape,
                      const zj_program *best, double *fitness, zj_error *err)
{
  zj_rng frng;
  zj_rng_seed (&frng, experiment_seed (pl->seed, -1));
  return evaluate_on (&pl->cfg->final_tasks, task_threads (pl->cfg, true), shape,
                      best, zj_rng_seed32 (&frng), pl->tier,
                      pl->cfg->no_shortcuts, fitness, err);
}

/* Generation boundary of an island: park while the driver writes a
   checkpoint. */
static bool
at_boundary (void *ctx)
{
  exp_run *g = ctx;
  exp_pool *pl = g->pl;
  if (pl->ckpt_req)
    {
      fflush (g->out);
      pthread_mutex_lock (&pl->lock);
      if (pl->ckpt_req)
        zj_exp_park (pl);
      pthread_mutex_unlock (&pl->lock);
    }
  return pl->abort_run;
}

bool
zj_exp_budget_spent (const zj_experiment_cfg *cfg, const island *is)
{
  if (cfg->spec.max_individuals > 0)
    return zj_population_individuals (is->pop) >= cfg->spec.max_individuals;
  return zj_evaluator_train_steps (is->ev) >= cfg->spec.max_train_steps;
}


/* What every island of an experiment is built from (setup_island). */
typedef struct island_setup {
  exp_pool *pl;
  exp_run *g;
  exp_live *w;
  int64_t k;
  const zj_task *tasks;
  int n_tasks;
  const zj_shape *shape;
  const zj_search_space *sp;
  const zj_evaluator_cfg *ecfg;
  const zj_ckpt_running *from;
  zj_rng *rng;                /* the experiment's (one island) */
  log_ctx *lc;
} island_setup;

/* Build island j: its generator, evaluator and population, or its state
   from the checkpoint.  Called by the thread that runs the island
   (islands.c), so the islands' tables are allocated and first touched in
   parallel and on their own thread; island j draws only from its own
   generator, so the order does not matter. */
static int
setup_island (void *ctx, int j, zj_error *err)
{
  island_setup *su = ctx;
  exp_pool *pl = su->pl;
  const zj_experiment_cfg *cfg = pl->cfg;
  exp_run *g = su->g;
  const int N = g->n;
  island *is = &g->isl[j];
  if (N == 1)
    is->rng = su->rng;
  else
    {
      zj_rng_seed (&is->own, zj_hash_mix (experiment_seed (pl->seed, su->k),
                                          0x69736c616e64ULL + (uint64_t) j));
      is->rng = &is->own;
    }
  if (!(is->ev = zj_evaluator_new (su->ecfg, su->tasks, su->n_tasks, su->shape, su->sp,
                                   is->rng, err)))
    return -1;
  zj_evaluator_set_tier (is->ev, pl->tier);
  zj_evolution_cfg vcfg = {
    .population_size = cfg->spec.population_size,
    .tournament_size = cfg->spec.tournament_size,
    .initial_population = cfg->spec.initial_population,
    .progress_every = cfg->spec.progress_every,
    .progress_out = j == 0 ? g->out : NULL,
    .tier_fields = cfg->jit_progress,
    .log_line = cfg->progress_log ? log_line : NULL,
    .log_ctx = su->lc,
    .cancel = &pl->done,
    .interrupt = pl->coordinated ? &pl->agreed : cfg->interrupt,
    .park_reason = zj_exp_park_reason (cfg),
    .live = N == 1 ? &su->w->stats : &is->live,
    .boundary = at_boundary,
    .boundary_ctx = g,
    .tag_island = N > 1,
    .island = j,
  };
  is->pop = zj_population_new (&vcfg, su->sp, is->ev, is->rng);
  if (su->from)
    {
      const zj_ckpt_island *x = &su->from->isl[j];
      if (zj_population_import (is->pop, &x->pop, su->shape, err) != 0
          || zj_evaluator_import (is->ev, &x->eval, err) != 0)
        {
          char msg[sizeof err->msg];
          snprintf (msg, sizeof msg, "%s", err->msg);
          zj_error_set (err, "checkpoint does not fit experiment %lld, island %d: %s",
                        (long long) su->k, j, msg);
          return -1;
        }
      memcpy (is->rng->s, x->rng, sizeof x->rng);
      is->migrations = x->migrations;
    }
  return 0;
}

/* Run experiment k, or continue it from a checkpoint (from != NULL): the
   setup is redone exactly as in a fresh run (same generator draws for the
   tasks and the budget baseline), then the saved state replaces the
   populations, the evaluators' caches and the generators. */
static void
run_experiment (exp_pool *pl, int64_t k, exp_result *r, exp_live *w,
                const zj_ckpt_running *from)
{
  zj_experiment_cfg *cfg = pl->cfg;
  FILE *out = zj_outseq_open (pl->seq, k);
  log_ctx lc = { pl->seq, k };
  zj_rng rng;
  zj_rng_seed (&rng, experiment_seed (pl->seed, k));
  zj_task *tasks = NULL, *sel = NULL;
  int n_tasks = 0, n_sel = 0;
  const int N = cfg->islands > 1 ? cfg->islands : 1;
  island *isl = zj_aligned_alloc ((size_t) N * sizeof *isl);
  int me, R = zj_exp_ranks_of (cfg, &me);
  int *own = zj_xcalloc ((size_t) N, sizeof (int)), n_own = 0;
  for (int j = me; j < N; j += R)
    own[n_own++] = j;
  /* A rank without islands still takes part in every migration. */
  exp_run g = { .pl = pl, .n = N, .isl = isl, .n_own = n_own, .own = own,
                .out = out,
                .threads = cfg->workers < n_own ? cfg->workers : n_own };
  if (g.threads < 1)
    g.threads = 1;
  zj_program_init (&r->cand);
  r->ok = false;
  if (!out)
    {
      zj_error_set (&r->err, "cannot open an output stream: %s", strerror (errno));
      free (isl);
      free (own);
      return;
    }
  atomic_store (&w->phase, PH_TASKS);
  if (draw_tasks (pl, &cfg->spec.search_tasks, &rng, &tasks, &n_tasks, &r->err)
      || check_shape (tasks, n_tasks, cfg, &r->shape, &r->err))
    goto out;
  if (from && from->n_islands != N)
    {
      zj_error_set (&r->err, "checkpoint has %d islands in experiment %lld, --islands=%d",
                    from->n_islands, (long long) k, N);
      goto out;
    }
  zj_search_space sp;
  zj_search_space_from_spec (&sp, &cfg->spec, &r->shape);
  zj_evaluator_cfg ecfg;
  zj_evaluator_cfg_from_spec (&ecfg, &cfg->spec);
  ecfg.dedup = cfg->dedup;
  ecfg.stash = pl->stash;
  ecfg.no_shortcuts = cfg->no_shortcuts;
  ecfg.hurdles = cfg->hurdles;
  ecfg.hurdle_tasks = cfg->hurdle_tasks;
  ecfg.hurdle_percentile = cfg->hurdle_percentile;
  ecfg.hurdle_window = cfg->spec.population_size < 4096
                       ? cfg->spec.population_size : 4096;
  island_setup su = { .pl = pl, .g = &g, .w = w, .k = k, .tasks = tasks,
                      .n_tasks = n_tasks, .shape = &r->shape, .sp = &sp,
                      .ecfg = &ecfg, .from = from, .rng = &rng, .lc = &lc };
  g.setup = setup_island;
  g.setup_ctx = &su;
  if (from)
    {
      fwrite (from->text, 1, from->text_len, out);
      fflush (out);
    }
  else
    fprintf (out, "Running evolution experiment (on the T_search tasks)...\n");
  pthread_mutex_lock (&pl->lock);
  w->run = &g;
  pthread_mutex_unlock (&pl->lock);
  atomic_store (&w->phase, from ? PH_EVOLVE : PH_INIT);
  const double t_run = zj_now_s ();
  const bool ran = zj_exp_run_islands (&g, from != NULL, &r->err);
  if (ran && N > 1 && cfg->progress_log)
    {
      /* Migration cost on this rank (times are wall clock; the waits
         include other islands' imbalance). */
      double cpu = 0.0, longest = 0.0;
      for (int o = 0; o < n_own; o++)
        {
          cpu += isl[own[o]].cpu;
          if (isl[own[o]].cpu > longest)
            longest = isl[own[o]].cpu;
        }
      /* Without migration the whole run is one interval. */
      const double critical = g.exchanges ? g.cpu_critical : longest;
      char line[640];
      snprintf (line, sizeof line, "\"islands\": %d, \"threads\": %d, "
                "\"exchanges\": %lld, \"sent_bytes\": %llu, \"received_bytes\": %llu, "
                "\"exchange_cpu_seconds\": %.6f, \"barrier_seconds\": %.6f, "
                "\"island_cpu_seconds\": %.6f, \"critical_cpu_seconds\": %.6f, "
                "\"search_seconds\": %.3f",
                N, g.threads, (long long) g.exchanges,
                (unsigned long long) g.sent, (unsigned long long) g.received,
                g.exchange_secs, g.wait_secs, cpu, critical, zj_now_s () - t_run);
      zj_outseq_log (pl->seq, k, line);
    }
  pthread_mutex_lock (&pl->lock);
  w->run = NULL;
  if (N > 1)
    {
      /* The status line reads w->stats again from here on. */
      long ind = 0, steps = 0;
      double best = 0.0;
      for (int o = 0; o < n_own; o++)
        {
          const zj_live_stats *l = &isl[own[o]].live;
          ind += atomic_load (&l->individuals);
          steps += atomic_load (&l->train_steps);
          const double b = atomic_load (&l->best);
          if (o == 0 || b > best)
            best = b;
        }
      atomic_store (&w->stats.individuals, ind);
      atomic_store (&w->stats.train_steps, steps);
      atomic_store (&w->stats.best, best);
    }
  pthread_mutex_unlock (&pl->lock);
  if (!ran)
    goto out;
  if (pl->abort_run)
    {
      zj_error_set (&r->err, "stopped");
      goto out;
    }
  const int why = zj_exp_interrupt_reason (pl);
  if (why)
    {
      /* The populations are cut short: the best ever of all islands
         (of all ranks) is the best answer. */
      r->interrupted = true;
      if (!zj_exp_islands_hall_of_fame (&g, r))
        goto out;
      fprintf (out, "Experiment interrupted by %s after %ld individuals. "
               "Retrieving the best algorithm seen (hall of fame).\n",
               zj_exp_signal_name (why), r->individuals);
      fprintf (out, "Hall of fame: best search fitness ever seen = %.6f\n", r->hof_fit);
    }
  else
    {
      fprintf (out, "Experiment done. Retrieving candidate algorithm.\n");
      if (!zj_exp_islands_summary (&g, r, out))
        goto out;
    }
  atomic_store (&w->phase, PH_SELECT);
  fprintf (out, "Evaluating candidate algorithm from experiment (on T_select tasks)... \n");
  if (draw_tasks (pl, &cfg->select_tasks, &rng, &sel, &n_sel, &r->err)
      || fitness_on_tasks (sel, n_sel, &r->shape, &r->cand, zj_rng_seed32 (&rng),
                           pl->tier, cfg->no_shortcuts, &r->select_fit,
                           &r->err))
    goto out;
  fprintf (out, "Select fitness for candidate algorithm = %.6f\n", r->select_fit);
  r->ok = true;
out:
  zj_exp_islands_free (&g);
  for (int j = 0; j < N; j++)
    {
      zj_population_free (isl[j].pop);
      zj_evaluator_free (isl[j].ev);
    }
  free (isl);
  free (own);
  zj_tasks_free (tasks, n_tasks);
  zj_tasks_free (sel, n_sel);
  fclose (out);
}

exp_result *
zj_exp_result_slot (exp_pool *pl, int64_t k)
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

void *
zj_exp_worker (void *arg)
{
  exp_live *w = arg;
  exp_pool *pl = w->pl;
  for (;;)
    {
      pthread_mutex_lock (&pl->lock);
      /* Idle between experiments: nothing of ours to save. */
      while (pl->ckpt_req)
        zj_exp_park (pl);
      bool resumed = pl->resume && pl->next_resume < pl->resume->n_running;
      /* Several ranks: start an experiment only once the driver has
         consumed the one before, so every rank decides alike whether
         there is a next one (they would wait for each other forever at
         its first migration otherwise). */
      const bool multi = pl->cfg->comm && pl->cfg->comm->size > 1;
      while (multi && !resumed && !zj_exp_halted (pl)
             && pl->drv->consumed < pl->next)
        {
          if (pl->ckpt_req)
            zj_exp_park (pl);
          else
            pthread_cond_wait (&pl->cond, &pl->lock);
        }
      if (zj_exp_halted (pl) || (!resumed && pl->next >= pl->limit))
        {
          pl->alive--;
          pthread_cond_broadcast (&pl->cond);
          pthread_mutex_unlock (&pl->lock);
          return NULL;
        }
      const zj_ckpt_running *from
        = resumed ? &pl->resume->running[pl->next_resume++] : NULL;
      const int64_t k = from ? from->index : pl->next++;
      w->k = k;
      w->start = zj_now_s ();
      atomic_store (&w->stats.individuals, 0);
      atomic_store (&w->stats.train_steps, 0);
      atomic_store (&w->stats.best, 0.0);
      pthread_mutex_unlock (&pl->lock);
      exp_result r;
      memset (&r, 0, sizeof r);
      run_experiment (pl, k, &r, w, from);
      pthread_mutex_lock (&pl->lock);
      w->k = -1;
      r.done = true;
      pl->done_indivs += r.individuals;
      if (r.hof_fit > pl->done_best)
        pl->done_best = r.hof_fit;
      *zj_exp_result_slot (pl, k) = r;
      pthread_cond_broadcast (&pl->cond);
      pthread_mutex_unlock (&pl->lock);
    }
}
