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
#include "ckpt.h"
#include "migration.h"
#include "comm.h"
#include "outseq.h"
#include "stop.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <float.h>
#include <stdarg.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include "tier_door.h"
#include "experiment_internal.h"

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
  cfg->checkpoint_every = 300.0;
  cfg->islands = 1;
  cfg->migration_interval = 1000;
  cfg->migration_fraction = 0.5;
  cfg->migration_topology = ZJ_TOPO_ALL;
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
new_tier (const zj_experiment_cfg *cfg, zj_tier_notice notice, void *ctx,
          struct zj_tier **tier, zj_error *err)
{
  return zj_door_tier_new (cfg->jit, &cfg->jit_knobs, cfg->jit_opt_level,
                           notice, ctx, tier, err);
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
 * driver still consumes their results strictly in index order (keeping the
 * best select fitness and stopping at the first sufficient one), so the
 * output and the algorithm found are the same for any number of workers.
 * Their lines reach the output live, in index order (outseq.h).
 */

/* The tier's news of one-time set-up (zj_tier_notice): a stencil library
   being built shows in the status line, or without one as one line on
   stderr per feature size. */
static void
stencil_notice (void *ctx, int F, const char *dir, bool start)
{
  exp_pool *pl = ctx;
  if (!start)
    {
      atomic_fetch_sub (&pl->building, 1);
      return;
    }
  atomic_fetch_add (&pl->building, 1);
  if (pl->cfg->status_line)
    return;
  pthread_mutex_lock (&pl->lock);
  bool seen = false;
  for (int i = 0; i < pl->n_announced; i++)
    seen = seen || pl->announced[i] == F;
  if (!seen && pl->n_announced < 8)
    pl->announced[pl->n_announced++] = F;
  pthread_mutex_unlock (&pl->lock);
  if (!seen)
    fprintf (stderr, "zerojit: building native stencils for F=%d "
             "(one-time; cached in %s)\n", F, dir);
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
evaluate_on (const zj_task_collection *c, int threads, const zj_shape *shape,
             const zj_program *p, uint32_t seed, struct zj_tier *tier,
             double *fitness, zj_error *err)
{
  zj_task *tasks = NULL;
  int n = 0;
  if (zj_tasks_generate_threads (c, threads, &tasks, &n, err) != 0)
    return -1;
  int rc = fitness_on_tasks (tasks, n, shape, p, seed, tier, fitness, err);
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

static const char *
signal_name (int sig)
{
  return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM"
         : sig == ZJ_STOP_DONE ? "the driver" : "a signal";
}

/* The interrupt that stops the search with the best so far (ux): any
   but SIGTERM under --checkpoint, which parks at a generation boundary
   for a last checkpoint instead. */
static int
park_reason (const zj_experiment_cfg *cfg)
{
  return cfg->checkpoint ? SIGTERM : 0;
}

int
zj_exp_local_interrupt (const exp_pool *pl)
{
  const int why = zj_stop_reason (pl->cfg->interrupt);
  return why == park_reason (pl->cfg) ? 0 : why;
}

void
zj_exp_agree_interrupt (exp_pool *pl, int why)
{
  if (why)
    zj_stop_request (&pl->agreed, why);
}

static int
interrupt_reason (const exp_pool *pl)
{
  if (pl->coordinated)
    return zj_stop_reason (&pl->agreed);
  return zj_exp_local_interrupt (pl);
}

static bool
interrupted (const exp_pool *pl)
{
  return interrupt_reason (pl) != 0;
}

/* Islands stop searching: failed, answered or interrupted. */
bool
zj_exp_halted (const exp_pool *pl)
{
  return pl->abort_run || zj_stop_requested (&pl->done) || interrupted (pl);
}

/* Park until the driver has written its checkpoint.  Pool lock held. */
void
zj_exp_park (exp_pool *pl)
{
  pl->parked++;
  pthread_cond_broadcast (&pl->cond);
  while (pl->ckpt_req)
    pthread_cond_wait (&pl->cond, &pl->lock);
  pl->parked--;
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
    .log_line = cfg->progress_log ? log_line : NULL,
    .log_ctx = su->lc,
    .cancel = &pl->done,
    .interrupt = pl->coordinated ? &pl->agreed : cfg->interrupt,
    .park_reason = park_reason (cfg),
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
  const int why = interrupt_reason (pl);
  if (why)
    {
      /* The populations are cut short: the best ever of all islands
         (of all ranks) is the best answer. */
      r->interrupted = true;
      if (!zj_exp_islands_hall_of_fame (&g, r))
        goto out;
      fprintf (out, "Experiment interrupted by %s after %ld individuals. "
               "Retrieving the best algorithm seen (hall of fame).\n",
               signal_name (why), r->individuals);
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
                         pl->tier, &r->select_fit, &r->err))
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

static void *
worker (void *arg)
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



/* Sleeps on the pool's condition until `until` (seconds, zj_now_s) at
   most.  Pool lock held. */
static void
wait_until (exp_pool *pl, double until)
{
  const double add = until - zj_now_s ();
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  if (add > 0)
    {
      ts.tv_sec += (time_t) add;
      ts.tv_nsec += (long) ((add - (double) (time_t) add) * 1e9);
      if (ts.tv_nsec >= 1000000000L)
        {
          ts.tv_sec++;
          ts.tv_nsec -= 1000000000L;
        }
    }
  pthread_cond_timedwait (&pl->cond, &pl->lock, &ts);
}

int
zj_run_experiments (zj_experiment_cfg *cfg, FILE *out,
                    zj_experiment_summary *sum, zj_error *err)
{
  const zj_ckpt *ck = cfg->resume;
  driver d;
  memset (&d, 0, sizeof d);
  d.t0 = zj_now_s ();
  d.best_select = -1.0;
  zj_program_init (&d.best);
  uint64_t seed = ck ? ck->seed : cfg->random_seed;
  if (seed == 0)
    seed = ((uint64_t) time (NULL) ^ ((uint64_t) clock () << 20)) | 1;
  exp_pool pl;
  memset (&pl, 0, sizeof pl);
  pl.cfg = cfg;
  pl.seed = seed;
  pl.drv = &d;
  pl.ckpt_gen = cfg->resume_gen;
  const bool multi = cfg->comm && cfg->comm->size > 1;
  pl.limit = cfg->max_experiments ? cfg->max_experiments : INT64_MAX;
  zj_stop_init (&pl.done);
  zj_stop_init (&pl.agreed);
  pl.coordinated = multi;
  pthread_mutex_init (&pl.lock, NULL);
  pthread_cond_init (&pl.cond, NULL);
  for (int w = 0; w < MAX_WORKERS; w++)
    pl.live[w].k = -1;
  int rc = -1, n_workers = 0, log_fd = -1;
  pthread_t threads[MAX_WORKERS];
  const bool ckpt = cfg->checkpoint != NULL;
  if (zj_exp_check_memory (cfg, err) != 0)
    goto done;
  if (ck && cfg->progress_log)
    {
      /* Drop what the interrupted run logged after its checkpoint. */
      struct stat st;
      if (stat (cfg->progress_log, &st) != 0 || st.st_size < ck->log_offset
          || truncate (cfg->progress_log, (off_t) ck->log_offset) != 0)
        {
          zj_error_set (err, "--progress_log=%s: missing or shorter than the %lld bytes the checkpoint needs",
                        cfg->progress_log, (long long) ck->log_offset);
          goto done;
        }
    }
  if (cfg->progress_log
      && ((log_fd = open (cfg->progress_log, O_RDWR | O_CREAT | O_CLOEXEC
                          | (ck ? 0 : O_TRUNC), 0666)) < 0
          || lseek (log_fd, 0, SEEK_END) < 0))
    {
      zj_error_set (err, "--progress_log=%s: cannot open for writing: %s",
                    cfg->progress_log, strerror (errno));
      goto done;
    }
  pl.seq = zj_outseq_new (out, log_fd, cfg->status_line);
  if (ckpt)
    zj_outseq_capture (pl.seq);
  if (ck)
    {
      if (zj_exp_restore (&pl, &d, ck, out, err) != 0)
        goto done;
    }
  else
    zj_outseq_printf (pl.seq, "Random seed = %llu\n", (unsigned long long) seed);
  if (new_tier (cfg, stencil_notice, &pl, &pl.tier, err) != 0)
    goto done;
  /* Searches running side by side share the tier (its compile thread,
     code cache and cost model are locked). */
  int want = cfg->workers < 1 ? 1 : cfg->workers > MAX_WORKERS ? MAX_WORKERS : cfg->workers;
  if (!ck && pl.limit < want)
    want = (int) pl.limit;
  /* With islands the workers run the islands of one experiment at a
     time. */
  if (cfg->islands > 1)
    want = 1;
  pthread_mutex_lock (&pl.lock);
  for (; n_workers < want; n_workers++)
    {
      pl.live[n_workers] = (exp_live) { .pl = &pl, .k = -1 };
      if (pthread_create (&threads[n_workers], NULL, worker,
                          &pl.live[n_workers]) != 0)
        break;
      pl.alive++;
    }
  pthread_mutex_unlock (&pl.lock);
  if (n_workers == 0)
    {
      zj_error_set (err, "cannot start a worker thread");
      goto done;
    }
  double next_ckpt = zj_now_s () + cfg->checkpoint_every;
  for (int64_t k = d.consumed; k < pl.limit; k++)
    {
      pthread_mutex_lock (&pl.lock);
      d.consumed = k;
      bool gone = false;          /* k will never run: interrupted */
      while (k >= pl.res_cap || !pl.res[k].done)
        {
          if (interrupted (&pl) && k >= pl.next)
            {
              gone = true;
              break;
            }
          const double now = zj_now_s ();
          /* SIGTERM under --checkpoint: a last checkpoint, then stop. */
          const bool term = ckpt && zj_stop_reason (cfg->interrupt) == SIGTERM;
          if (ckpt && multi)
            {
              /* Ranks checkpoint together at the next migration point:
                 rank 0 keeps the time, and a SIGTERM to any rank asks
                 for a last checkpoint (the exchange takes the largest
                 request of all ranks). */
              if (term)
                pl.mpi_want = 2;
              else if (cfg->comm->rank == 0 && now >= next_ckpt && !pl.mpi_want)
                {
                  pl.mpi_want = 1;
                  next_ckpt = now + cfg->checkpoint_every;
                }
            }
          else if (ckpt && (now >= next_ckpt || term))
            {
              const int ck_rc = zj_exp_checkpoint_now (&pl, &d);
              next_ckpt = zj_now_s () + cfg->checkpoint_every;
              if (term)
                {
                  pl.abort_run = true;
                  pthread_cond_broadcast (&pl.cond);
                  pthread_mutex_unlock (&pl.lock);
                  if (ck_rc == 0)
                    zj_error_set (err, "terminated: checkpoint written to %s; continue with --resume=%s",
                                  cfg->checkpoint, cfg->checkpoint);
                  else if (access (cfg->checkpoint, F_OK) == 0)
                    zj_error_set (err, "terminated: the last checkpoint could not be written;"
                                  " --resume=%s continues from the one before", cfg->checkpoint);
                  else
                    zj_error_set (err, "terminated: the checkpoint %s could not be written;"
                                  " nothing to resume from", cfg->checkpoint);
                  goto done;
                }
              continue;
            }
          /* Wake to redraw the status line, and (checkpoints) at least
             every 50 ms to notice SIGTERM. */
          double until = now + 0.25;
          if (ckpt)
            until = next_ckpt < now + 0.05 ? next_ckpt : now + 0.05;
          wait_until (&pl, until);
          if (cfg->status_line)
            {
              char line[256];
              zj_exp_status_line (&pl, n_workers, k, d.t0, line, sizeof line);
              zj_outseq_status (pl.seq, line);
            }
        }
      if (gone)
        {
          pthread_mutex_unlock (&pl.lock);
          break;
        }
      exp_result r = pl.res[k];
      pl.res[k].cand = (zj_program) { 0 };
      /* The driver's state changes under the lock: a multi-rank
         checkpoint reads it from an island thread. */
      if (!r.ok)
        {
          zj_program_free (&r.cand);
          if (r.interrupted)
            {
              d.consumed = k + 1;
              zj_outseq_advance (pl.seq, k);
              pthread_cond_broadcast (&pl.cond);
              pthread_mutex_unlock (&pl.lock);
              continue;
            }
          if (pl.ckpt_stopped)
            zj_error_set (err, "terminated: checkpoint written to %s (and its rank files); continue with --resume=%s",
                          cfg->checkpoint, cfg->checkpoint);
          else
            *err = r.err;
          zj_stop_request (&pl.done, ZJ_STOP_DONE);
          pthread_cond_broadcast (&pl.cond);
          pthread_mutex_unlock (&pl.lock);
          goto done;
        }
      d.ran++;
      d.shape = r.shape;
      d.total_indivs += r.individuals;
      if (r.hof_fit > d.best_hof)
        d.best_hof = r.hof_fit;
      if (r.select_fit >= d.best_select)
        {
          d.best_select = r.select_fit;
          zj_program_copy (&d.best, &r.cand);
          d.have_best = true;
          zj_outseq_printf (pl.seq, "Select fitness is the best so far. \n");
        }
      zj_program_free (&r.cand);
      /* Decided under the lock, with consumed (see worker). */
      const bool enough = cfg->sufficient_fitness > 0
                          && d.best_select > cfg->sufficient_fitness;
      if (enough)
        zj_stop_request (&pl.done, ZJ_STOP_DONE);
      else
        /* Stop before k + 1 goes live: its lines must not be shown. */
        zj_outseq_advance (pl.seq, k);
      d.consumed = k + 1;
      pthread_cond_broadcast (&pl.cond);
      pthread_mutex_unlock (&pl.lock);
      if (enough)
        break;
    }
  zj_stop_request (&pl.done, ZJ_STOP_DONE);
  const int why = interrupt_reason (&pl);
  if (!d.have_best)
    {
      zj_error_set (err, why ? "interrupted by %s before any candidate was evaluated"
                    : "no experiment produced a candidate", signal_name (why));
      goto done;
    }
  double final_fit = 0.0;
  if (why)
    zj_outseq_printf (pl.seq, "\nSearch interrupted by %s. Best algorithm so far "
                      "(select fitness %.6f; final evaluation skipped):\n",
                      signal_name (why), d.best_select);
  else
    {
      zj_outseq_printf (pl.seq, "\nFinal evaluation of best algorithm (on unseen tasks)...\n");
      zj_rng frng;
      zj_rng_seed (&frng, experiment_seed (seed, -1));
      if (evaluate_on (&cfg->final_tasks, task_threads (cfg, true), &d.shape, &d.best,
                       zj_rng_seed32 (&frng), pl.tier, &final_fit, err) != 0)
        goto done;
      zj_outseq_printf (pl.seq, "Final evaluation fitness (on unseen data) = %.6f\n", final_fit);
    }
  char *text = NULL, *ptext = NULL;
  size_t tlen = 0, plen = 0;
  FILE *f = open_memstream (&text, &tlen);
  zj_program_print (&d.best, false, f);
  fclose (f);
  zj_program pruned;
  zj_program_init (&pruned);
  zj_prune (&d.best, &pruned);
  f = open_memstream (&ptext, &plen);
  zj_program_print (&pruned, false, f);
  fclose (f);
  zj_program_free (&pruned);
  const char *mark = why ? " (interrupted)" : "";
  zj_outseq_printf (pl.seq, "Algorithm found%s: \n%s\n"
                    "Algorithm found%s, pruned to the instructions that affect the prediction: \n%s\n",
                    mark, text, mark, ptext);
  free (text);
  free (ptext);
  const double secs = zj_now_s () - d.t0;
  zj_outseq_printf (pl.seq, "Summary: experiments=%d, individuals=%ld, seconds=%.3f, individuals/s=%.0f, workers=%d%s%s\n",
                    d.ran, d.total_indivs, secs, secs > 0 ? d.total_indivs / secs : 0.0,
                    n_workers, why ? ", interrupted by " : "",
                    why ? signal_name (why) : "");
  if (pl.tier)
    {
      char *ts = NULL;
      size_t tsl = 0;
      f = open_memstream (&ts, &tsl);
      print_tier_summary (pl.tier, f);
      fclose (f);
      zj_outseq_printf (pl.seq, "%s", ts);
      free (ts);
    }
  if (sum)
    {
      sum->final_fitness = final_fit;
      sum->best_select_fitness = d.best_select;
      sum->individuals = d.total_indivs;
      sum->experiments = d.ran;
      sum->seconds = secs;
      sum->hall_of_fame_fitness = d.best_hof;
      sum->interrupted = why;
      zj_program_init (&sum->best);
      zj_program_copy (&sum->best, &d.best);
    }
  if (!why)
    zj_outseq_finished (pl.seq);
  rc = 0;
done:
  zj_stop_request (&pl.done, ZJ_STOP_DONE);
  pthread_mutex_lock (&pl.lock);
  pthread_cond_broadcast (&pl.cond);
  pthread_mutex_unlock (&pl.lock);
  for (int i = 0; i < n_workers; i++)
    pthread_join (threads[i], NULL);
  for (int64_t k = 0; k < pl.res_cap; k++)
    zj_program_free (&pl.res[k].cand);
  free (pl.res);
  zj_door_tier_free (pl.tier);
  if (pl.seq)
    {
      int oe = 0, le = 0;
      zj_outseq_free (pl.seq, &oe, &le);
      if (oe && rc == 0)
        {
          zj_error_set (err, "error writing the output: %s", strerror (oe));
          rc = -1;
        }
      if (le && rc == 0)
        {
          zj_error_set (err, "--progress_log=%s: write error: %s", cfg->progress_log,
                        strerror (le));
          rc = -1;
        }
    }
  if (pl.ckpt_failures && rc == 0)
    {
      zj_error_set (err, "--checkpoint=%s: %d checkpoint write%s failed (last: %s);"
                    " the file holds the last good one", cfg->checkpoint,
                    pl.ckpt_failures, pl.ckpt_failures == 1 ? "" : "s",
                    pl.ckpt_last_error);
      rc = -1;
    }
  if (log_fd >= 0)
    {
      if (close (log_fd) != 0 && rc == 0)
        {
          zj_error_set (err, "--progress_log=%s: %s", cfg->progress_log, strerror (errno));
          rc = -1;
        }
    }
  pthread_mutex_destroy (&pl.lock);
  pthread_cond_destroy (&pl.cond);
  zj_program_free (&d.best);
  return rc;
}
