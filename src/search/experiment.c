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
#include "outseq.h"
#include "stop.h"
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
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

/* ------------------------------------------------------ memory estimate
 *
 * A spec whose counts are each within bounds can still ask for more
 * memory than the machine has (a million tasks of a million examples).
 * Allocating would end in an abort deep inside; instead the driver adds
 * up the big allocations first and refuses the spec, naming the field
 * that drives the estimate.  Deliberately a lower bound: only the example
 * arrays (stored twice: as given and laid out for batched evaluation),
 * the example orders, the population and the FEC cache.
 */

typedef struct mem_term {
  double bytes;
  char what[160];
} mem_term;

static void
add_term (mem_term *worst, double *total, double bytes, const char *fmt, ...)
  __attribute__ ((format (printf, 4, 5)));

static void
add_term (mem_term *worst, double *total, double bytes, const char *fmt, ...)
{
  *total += bytes;
  if (bytes > worst->bytes)
    {
      worst->bytes = bytes;
      va_list ap;
      va_start (ap, fmt);
      vsnprintf (worst->what, sizeof worst->what, fmt, ap);
      va_end (ap);
    }
}

static void
tasks_memory (const zj_task_collection *c, const char *name, double copies,
              mem_term *worst, double *total)
{
  for (int i = 0; i < c->n; i++)
    {
      const zj_task_spec *t = &c->specs[i];
      const double ex = (double) t->num_train_examples + t->num_valid_examples;
      add_term (worst, total,
                copies * t->num_tasks * (2.0 * ex * (t->features_size + 1) * 8.0
                                         + 4.0 * t->num_train_examples
                                           * t->num_train_epochs),
                "%s: tasks %d: num_tasks=%d x num_train_examples=%d + "
                "num_valid_examples=%d", name, i + 1, t->num_tasks,
                t->num_train_examples, t->num_valid_examples);
    }
}

double
zj_experiment_memory (const zj_experiment_cfg *cfg, char *driver, size_t n)
{
  const zj_search_spec *sp = &cfg->spec;
  int64_t par = cfg->workers < 1 ? 1 : cfg->workers;
  if (cfg->max_experiments > 0 && cfg->max_experiments < par)
    par = cfg->max_experiments;
  mem_term worst = { 0, "" };
  double total = 0.0;
  tasks_memory (&sp->search_tasks, "search_tasks", (double) par, &worst, &total);
  tasks_memory (&cfg->select_tasks, "select_tasks", (double) par, &worst, &total);
  tasks_memory (&cfg->final_tasks, "final_tasks", 1.0, &worst, &total);
  double instrs = 0.0;
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    instrs += sp->size_init[c] > sp->size_max[c] ? sp->size_init[c] : sp->size_max[c];
  add_term (&worst, &total,
            (double) par * sp->population_size
            * (sizeof (zj_program) + 24.0 + instrs * sizeof (zj_instr)),
            "population_size=%d", sp->population_size);
  if (sp->has_fec)
    add_term (&worst, &total, (double) par * sp->fec_cache_size * 32.0,
              "fec { cache_size=%d }", sp->fec_cache_size);
  snprintf (driver, n, "%s", worst.what);
  return total;
}

static int
check_memory (const zj_experiment_cfg *cfg, zj_error *err)
{
  char driver[160];
  const double need = zj_experiment_memory (cfg, driver, sizeof driver);
  const long pages = sysconf (_SC_PHYS_PAGES), page = sysconf (_SC_PAGE_SIZE);
  const double have = pages > 0 && page > 0 ? (double) pages * page : 0.0;
  if (have > 0 && need > have)
    {
      zj_error_set (err, "the spec needs at least %.1f GiB (with %d workers), "
                    "more than this machine's %.1f GiB; most of it from %s",
                    need / 1073741824.0, cfg->workers < 1 ? 1 : cfg->workers,
                    have / 1073741824.0, driver);
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

enum { MAX_WORKERS = 64 };

typedef struct exp_result {
  bool done, ok, interrupted;
  zj_program cand;
  double select_fit, hof_fit;
  long individuals;
  zj_shape shape;
  zj_error err;
} exp_result;

/* What one worker is doing, for the status line. */
typedef struct worker_state {
  int64_t k;                  /* experiment, -1 idle (pool lock) */
  double start;               /* when k started (pool lock) */
  zj_live_stats live;
  _Atomic int phase;          /* enum phase */
} __attribute__ ((aligned (64))) worker_state;

enum phase { PH_TASKS, PH_INIT, PH_EVOLVE, PH_SELECT };

typedef struct exp_pool {
  zj_experiment_cfg *cfg;
  uint64_t seed;
  struct zj_tier *tier;
  zj_outseq *seq;
  zj_stop done;               /* the driver has its answer (or failed) */
  pthread_mutex_t lock;       /* guards everything below and cfg's tasks */
  pthread_cond_t cond;
  int64_t next;               /* next experiment index to start */
  int64_t limit;              /* experiments allowed (INT64_MAX: unlimited) */
  long done_indivs;           /* individuals of finished experiments */
  double done_best;           /* best hall of fame of finished ones */
  exp_result *res;
  int64_t res_cap;
  int announced[8];           /* F of the stencil builds announced */
  int n_announced;
  _Atomic int building;       /* stencil libraries being built now */
  worker_state ws[MAX_WORKERS];
} exp_pool;

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

typedef struct worker_arg {
  exp_pool *pl;
  int w;
} worker_arg;

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

static void
run_experiment (exp_pool *pl, int64_t k, worker_state *wst, exp_result *r)
{
  zj_experiment_cfg *cfg = pl->cfg;
  FILE *out = zj_outseq_open (pl->seq, k);
  zj_rng rng;
  zj_rng_seed (&rng, experiment_seed (pl->seed, k));
  zj_task *tasks = NULL, *sel = NULL;
  int n_tasks = 0, n_sel = 0;
  zj_evaluator *ev = NULL;
  zj_population *pop = NULL;
  log_ctx lc = { pl->seq, k };
  zj_program_init (&r->cand);
  r->ok = false;
  if (!out)
    {
      zj_error_set (&r->err, "cannot open an output stream: %s", strerror (errno));
      return;
    }
  atomic_store (&wst->phase, PH_TASKS);
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
    .log_line = cfg->progress_log ? log_line : NULL,
    .log_ctx = &lc,
    .cancel = &pl->done,
    .interrupt = cfg->interrupt,
    .live = &wst->live,
  };
  pop = zj_population_new (&vcfg, &sp, ev, &rng);
  fprintf (out, "Running evolution experiment (on the T_search tasks)...\n");
  atomic_store (&wst->phase, PH_INIT);
  if (zj_population_init (pop, &r->err) != 0)
    goto out;
  atomic_store (&wst->phase, PH_EVOLVE);
  const int64_t init_steps = zj_evaluator_train_steps (ev);
  if (cfg->spec.max_individuals > 0)
    zj_population_run (pop, INT64_MAX, cfg->spec.max_individuals);
  else
    zj_population_run (pop, cfg->spec.max_train_steps - init_steps, 0);
  r->individuals = zj_population_individuals (pop);
  const zj_program *hof = zj_population_hall_of_fame (pop, &r->hof_fit);
  const int why = zj_stop_reason (cfg->interrupt);
  if (why)
    {
      /* The population is cut short: its best ever is the best answer. */
      r->interrupted = true;
      if (r->individuals == 0)
        {
          zj_error_set (&r->err, "interrupted before any evaluation");
          goto out;
        }
      fprintf (out, "Experiment interrupted by %s after %ld individuals. "
               "Retrieving the best algorithm seen (hall of fame).\n",
               signal_name (why), r->individuals);
      zj_program_copy (&r->cand, hof);
      fprintf (out, "Hall of fame: best search fitness ever seen = %.6f\n", r->hof_fit);
    }
  else
    {
      fprintf (out, "Experiment done. Retrieving candidate algorithm.\n");
      double search_fit;
      zj_program_copy (&r->cand, zj_population_best (pop, &search_fit));
      fprintf (out, "Search fitness for candidate algorithm = %.6f\n", search_fit);
      fprintf (out, "Hall of fame: best search fitness ever seen = %.6f\n", r->hof_fit);
    }
  atomic_store (&wst->phase, PH_SELECT);
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

static bool
interrupted (const exp_pool *pl)
{
  return zj_stop_requested (pl->cfg->interrupt);
}

static void *
worker (void *arg)
{
  exp_pool *pl = ((worker_arg *) arg)->pl;
  worker_state *wst = &pl->ws[((worker_arg *) arg)->w];
  for (;;)
    {
      pthread_mutex_lock (&pl->lock);
      if (zj_stop_requested (&pl->done) || interrupted (pl) || pl->next >= pl->limit)
        {
          wst->k = -1;
          pthread_mutex_unlock (&pl->lock);
          return NULL;
        }
      const int64_t k = pl->next++;
      wst->k = k;
      wst->start = zj_now_s ();
      atomic_store (&wst->live.individuals, 0);
      atomic_store (&wst->live.train_steps, 0);
      atomic_store (&wst->live.best, 0.0);
      pthread_mutex_unlock (&pl->lock);
      exp_result r;
      memset (&r, 0, sizeof r);
      run_experiment (pl, k, wst, &r);
      pthread_mutex_lock (&pl->lock);
      r.done = true;
      wst->k = -1;
      pl->done_indivs += r.individuals;
      if (r.hof_fit > pl->done_best)
        pl->done_best = r.hof_fit;
      *result_slot (pl, k) = r;
      pthread_cond_broadcast (&pl->cond);
      pthread_mutex_unlock (&pl->lock);
    }
}

static void
human (double x, char *buf, size_t n)
{
  if (x >= 1e9)
    snprintf (buf, n, "%.2fG", x / 1e9);
  else if (x >= 1e6)
    snprintf (buf, n, "%.2fM", x / 1e6);
  else if (x >= 1e4)
    snprintf (buf, n, "%.1fk", x / 1e3);
  else
    snprintf (buf, n, "%.0f", x);
}

/* The status line: experiments running, individuals, rate, best fitness,
   and the lowest running experiment's progress against its budget.
   Called by the driver with the pool lock held. */
static void
status_line (exp_pool *pl, int n_workers, int64_t consumed, double t0,
             char *buf, size_t n)
{
  static const char *const phase_name[] = { "building tasks", "initial population",
                                            "evolving", "select evaluation" };
  const zj_search_spec *sp = &pl->cfg->spec;
  long indivs = pl->done_indivs;
  double best = pl->done_best;
  int running = 0;
  const worker_state *low = NULL;
  for (int w = 0; w < n_workers; w++)
    {
      const worker_state *s = &pl->ws[w];
      if (s->k < 0)
        continue;
      running++;
      indivs += atomic_load_explicit (&s->live.individuals, memory_order_relaxed);
      double b = atomic_load_explicit (&s->live.best, memory_order_relaxed);
      if (b > best)
        best = b;
      if (!low || s->k < low->k)
        low = s;
    }
  const double now = zj_now_s (), secs = now - t0;
  char ind[32], rate[32];
  human ((double) indivs, ind, sizeof ind);
  human (secs > 0 ? indivs / secs : 0.0, rate, sizeof rate);
  int len = snprintf (buf, n, "[zerojit] %d running, %lld done | %s indivs, %s/s | best %.6f",
                      running, (long long) consumed, ind, rate, best);
  if (len < 0 || (size_t) len >= n)
    return;
  if (atomic_load (&pl->building) > 0)
    {
      snprintf (buf + len, n - (size_t) len,
                " | building native stencils (one-time, cached)");
      return;
    }
  if (!low)
    return;
  const int ph = atomic_load (&low->phase);
  double frac = -1.0;
  if (ph == PH_EVOLVE || ph == PH_INIT)
    frac = sp->max_individuals > 0
      ? (double) atomic_load (&low->live.individuals) / (double) sp->max_individuals
      : (double) atomic_load (&low->live.train_steps) / (double) sp->max_train_steps;
  if (frac < 0.0 || frac > 1.0)
    snprintf (buf + len, n - (size_t) len, " | exp %lld: %s", (long long) low->k,
              phase_name[ph]);
  else
    {
      const double el = now - low->start;
      const double eta = frac > 0.001 ? el * (1.0 - frac) / frac : -1.0;
      snprintf (buf + len, n - (size_t) len, " | exp %lld: %.0f%% of %s, ETA %s%.0fs",
                (long long) low->k, 100.0 * frac,
                sp->max_individuals > 0 ? "max_individuals" : "max_train_steps",
                eta < 0 ? "?" : "", eta < 0 ? 0.0 : eta);
    }
}

/* Waits until experiment k is done (true), or until it will never run
   because of an interrupt (false); redraws the status line meanwhile. */
static bool
wait_for (exp_pool *pl, int64_t k, int n_workers, double t0)
{
  bool ok = true;
  pthread_mutex_lock (&pl->lock);
  while (k >= pl->res_cap || !pl->res[k].done)
    {
      if (interrupted (pl) && k >= pl->next)
        {
          ok = false;
          break;
        }
      struct timespec ts;
      clock_gettime (CLOCK_REALTIME, &ts);
      ts.tv_nsec += 250000000;
      if (ts.tv_nsec >= 1000000000)
        {
          ts.tv_sec++;
          ts.tv_nsec -= 1000000000;
        }
      pthread_cond_timedwait (&pl->cond, &pl->lock, &ts);
      if (pl->cfg->status_line)
        {
          char line[256];
          status_line (pl, n_workers, k, t0, line, sizeof line);
          zj_outseq_status (pl->seq, line);
        }
    }
  pthread_mutex_unlock (&pl->lock);
  return ok;
}

int
zj_run_experiments (zj_experiment_cfg *cfg, FILE *out,
                    zj_experiment_summary *sum, zj_error *err)
{
  const double t0 = zj_now_s ();
  uint64_t seed = cfg->random_seed;
  if (seed == 0)
    seed = ((uint64_t) time (NULL) ^ ((uint64_t) clock () << 20)) | 1;
  exp_pool pl;
  memset (&pl, 0, sizeof pl);
  pl.cfg = cfg;
  pl.seed = seed;
  pl.limit = cfg->max_experiments ? cfg->max_experiments : INT64_MAX;
  zj_stop_init (&pl.done);
  pthread_mutex_init (&pl.lock, NULL);
  pthread_cond_init (&pl.cond, NULL);
  for (int w = 0; w < MAX_WORKERS; w++)
    pl.ws[w].k = -1;
  zj_program best;
  zj_program_init (&best);
  zj_shape shape = { 0 };
  double best_select = -1.0, best_hof = 0.0;
  bool have_best = false;
  long total_indivs = 0;
  int ran = 0, rc = -1, n_workers = 0, log_fd = -1;
  pthread_t threads[MAX_WORKERS];
  worker_arg wargs[MAX_WORKERS];
  if (check_memory (cfg, err) != 0)
    goto done;
  if (cfg->progress_log
      && (log_fd = open (cfg->progress_log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND
                         | O_CLOEXEC, 0666)) < 0)
    {
      zj_error_set (err, "--progress_log=%s: cannot open for writing: %s",
                    cfg->progress_log, strerror (errno));
      goto done;
    }
  pl.seq = zj_outseq_new (out, log_fd, cfg->status_line);
  zj_outseq_printf (pl.seq, "Random seed = %llu\n", (unsigned long long) seed);
  if (new_tier (cfg, stencil_notice, &pl, &pl.tier, err) != 0)
    goto done;
  /* Searches running side by side share the tier (its compile thread,
     code cache and cost model are locked). */
  int want = cfg->workers < 1 ? 1 : cfg->workers > MAX_WORKERS ? MAX_WORKERS : cfg->workers;
  if (pl.limit < want)
    want = (int) pl.limit;
  for (; n_workers < want; n_workers++)
    {
      wargs[n_workers] = (worker_arg) { &pl, n_workers };
      if (pthread_create (&threads[n_workers], NULL, worker, &wargs[n_workers]) != 0)
        break;
    }
  if (n_workers == 0)
    {
      zj_error_set (err, "cannot start a worker thread");
      goto done;
    }
  for (int64_t k = 0; k < pl.limit; k++)
    {
      if (!wait_for (&pl, k, n_workers, t0))
        break;
      pthread_mutex_lock (&pl.lock);
      exp_result r = pl.res[k];
      pl.res[k].cand = (zj_program) { 0 };
      pthread_mutex_unlock (&pl.lock);
      if (!r.ok)
        {
          zj_program_free (&r.cand);
          if (r.interrupted)
            {
              zj_outseq_advance (pl.seq, k);
              continue;
            }
          *err = r.err;
          zj_stop_request (&pl.done, ZJ_STOP_DONE);
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
          zj_outseq_printf (pl.seq, "Select fitness is the best so far. \n");
        }
      zj_program_free (&r.cand);
      /* Stop before k + 1 goes live: its lines must not be shown. */
      if (cfg->sufficient_fitness > 0 && best_select > cfg->sufficient_fitness)
        break;
      zj_outseq_advance (pl.seq, k);
    }
  zj_stop_request (&pl.done, ZJ_STOP_DONE);
  const int why = zj_stop_reason (cfg->interrupt);
  if (!have_best)
    {
      zj_error_set (err, why ? "interrupted by %s before any candidate was evaluated"
                    : "no experiment produced a candidate", signal_name (why));
      goto done;
    }
  double final_fit = 0.0;
  if (why)
    zj_outseq_printf (pl.seq, "\nSearch interrupted by %s. Best algorithm so far "
                      "(select fitness %.6f; final evaluation skipped):\n",
                      signal_name (why), best_select);
  else
    {
      zj_outseq_printf (pl.seq, "\nFinal evaluation of best algorithm (on unseen tasks)...\n");
      zj_rng frng;
      zj_rng_seed (&frng, experiment_seed (seed, -1));
      if (evaluate_on (&cfg->final_tasks, &shape, &best, zj_rng_seed32 (&frng),
                       pl.tier, &final_fit, err) != 0)
        goto done;
      zj_outseq_printf (pl.seq, "Final evaluation fitness (on unseen data) = %.6f\n", final_fit);
    }
  char *text = NULL, *ptext = NULL;
  size_t tlen = 0, plen = 0;
  FILE *f = open_memstream (&text, &tlen);
  zj_program_print (&best, false, f);
  fclose (f);
  zj_program pruned;
  zj_program_init (&pruned);
  zj_prune (&best, &pruned);
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
  const double secs = zj_now_s () - t0;
  zj_outseq_printf (pl.seq, "Summary: experiments=%d, individuals=%ld, seconds=%.3f, individuals/s=%.0f, workers=%d%s%s\n",
                    ran, total_indivs, secs, secs > 0 ? total_indivs / secs : 0.0,
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
      sum->best_select_fitness = best_select;
      sum->individuals = total_indivs;
      sum->experiments = ran;
      sum->seconds = secs;
      sum->hall_of_fame_fitness = best_hof;
      sum->interrupted = why;
      zj_program_init (&sum->best);
      zj_program_copy (&sum->best, &best);
    }
  rc = 0;
done:
  zj_stop_request (&pl.done, ZJ_STOP_DONE);
  for (int i = 0; i < n_workers; i++)
    pthread_join (threads[i], NULL);
  for (int64_t k = 0; k < pl.res_cap; k++)
    zj_program_free (&pl.res[k].cand);
  free (pl.res);
  zj_door_tier_free (pl.tier);
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
  zj_program_free (&best);
  return rc;
}
