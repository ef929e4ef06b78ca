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
            (double) par * sp->population_size * (cfg->islands > 1 ? cfg->islands : 1)
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

typedef struct exp_pool exp_pool;

/* One population of an experiment.  With one island it draws from the
   experiment's generator, as an experiment always did; with several, each
   has its own, seeded from the experiment's seed and its index. */
typedef struct island {
  zj_rng own;
  zj_rng *rng;
  zj_evaluator *ev;
  zj_population *pop;
  int64_t migrations;
  bool finished;              /* its search budget is spent */
} island;

/* The islands of one running experiment and the threads that share them
   (thread t runs islands t, t + threads, ...).  The migration barrier is
   guarded by the pool lock. */
typedef struct exp_run {
  exp_pool *pl;
  int n;
  island *isl;                /* pop and ev only for this rank's islands */
  int n_own, *own;            /* this rank's islands: j % ranks == rank */
  FILE *out;                  /* the experiment's output (island 0 prints) */
  int threads;
  int arrived;
  int64_t epoch;
  bool all_finished;
  /* Cost of migration on this rank, for the progress log. */
  int64_t exchanges;
  uint64_t sent, received;    /* bytes */
  double exchange_secs, wait_secs;
} exp_run;

/* What a worker thread is running, for checkpoints and the status
   line. */
typedef struct exp_live {
  exp_pool *pl;
  int64_t k;                  /* experiment index; -1 idle (pool lock) */
  exp_run *run;               /* set while its islands exist */
  double start;               /* when k started (pool lock) */
  zj_live_stats stats;        /* island 0's */
  _Atomic int phase;          /* enum phase */
} __attribute__ ((aligned (64))) exp_live;

enum phase { PH_TASKS, PH_INIT, PH_EVOLVE, PH_SELECT };

struct exp_pool {
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
  /* Checkpoints: the driver sets ckpt_req and waits until every live
     worker is parked (idle, or between two generations); abort_run ends
     the running experiments without a result (stop after SIGTERM). */
  volatile bool ckpt_req, abort_run;
  int parked, alive;
  exp_live live[MAX_WORKERS];
  const zj_ckpt *resume;
  int next_resume;            /* resume->running[] not yet restarted */
  /* Several MPI ranks checkpoint together at a migration point: rank 0's
     driver asks (1: checkpoint, 2: checkpoint and stop), the request
     travels with the migration message, every rank writes its file. */
  struct driver *drv;
  volatile int mpi_want;
  int64_t ckpt_gen;           /* generation of the last multi-rank checkpoint */
  bool ckpt_stopped;          /* stopped after a final checkpoint */
  int announced[8];           /* F of the stencil builds announced */
  int n_announced;
  _Atomic int building;       /* stencil libraries being built now */
};

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

/* The driver's state: what it has printed and kept so far. */
struct driver {
  int64_t consumed;           /* experiments printed */
  int ran;
  long total_indivs;
  zj_program best;
  bool have_best;
  double best_select, best_hof;
  zj_shape shape;
  double t0;
};
typedef struct driver driver;
static int write_checkpoint (exp_pool *pl, driver *d, const char *path,
                             zj_error *err);
static void mpi_checkpoint (exp_run *g, int want);

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

/* The interrupt that stops the search with the best so far (ux): any
   but SIGTERM under --checkpoint, which parks at a generation boundary
   for a last checkpoint instead. */
static int
park_reason (const zj_experiment_cfg *cfg)
{
  return cfg->checkpoint ? SIGTERM : 0;
}

static int
interrupt_reason (const exp_pool *pl)
{
  const int why = zj_stop_reason (pl->cfg->interrupt);
  return why == park_reason (pl->cfg) ? 0 : why;
}

static bool
interrupted (const exp_pool *pl)
{
  return interrupt_reason (pl) != 0;
}

/* Islands stop searching: failed, answered or interrupted. */
static bool
halted (const exp_pool *pl)
{
  return pl->abort_run || zj_stop_requested (&pl->done) || interrupted (pl);
}

/* Park until the driver has written its checkpoint.  Pool lock held. */
static void
park (exp_pool *pl)
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
        park (pl);
      pthread_mutex_unlock (&pl->lock);
    }
  return pl->abort_run;
}

static bool
budget_spent (const zj_experiment_cfg *cfg, const island *is)
{
  if (cfg->spec.max_individuals > 0)
    return zj_population_individuals (is->pop) >= cfg->spec.max_individuals;
  return zj_evaluator_train_steps (is->ev) >= cfg->spec.max_train_steps;
}

static int
ranks_of (const zj_experiment_cfg *cfg, int *rank)
{
  *rank = cfg->comm ? cfg->comm->rank : 0;
  return cfg->comm ? cfg->comm->size : 1;
}

/* Migration among the islands still searching, in island order (see
   migration.h).  Called by the last thread to reach the barrier on each
   rank: every rank sends the state and emigrants of its islands and gets
   everyone's, then gives its own islands their immigrants.  One process
   is one rank, and runs the very same steps. */
static int
exchange (exp_run *g, zj_error *err)
{
  const zj_experiment_cfg *cfg = g->pl->cfg;
  const int P = cfg->spec.population_size;
  const int m = zj_migration_count (P, cfg->migration_fraction);
  int me, R = ranks_of (cfg, &me);
  int *slots = zj_xcalloc ((size_t) g->n * (size_t) (m ? m : 1), sizeof (int));
  zj_ckbuf mine = { 0 };
  zj_ck_u8 (&mine, me == 0 ? (uint8_t) g->pl->mpi_want : 0);
  for (int o = 0; o < g->n_own; o++)
    {
      const int j = g->own[o];
      island *is = &g->isl[j];
      zj_ck_u32 (&mine, (uint32_t) j);
      zj_ck_u8 (&mine, is->finished);
      if (is->finished)
        continue;
      int *sl = slots + (size_t) j * m;
      zj_migration_pick (is->rng, P, m, sl);
      for (int k = 0; k < m; k++)
        {
          double f;
          zj_ck_program (&mine, zj_population_slot (is->pop, sl[k], &f));
          zj_ck_f64 (&mine, f);
        }
    }
  unsigned char *all = NULL;
  size_t *lens = zj_xcalloc ((size_t) R, sizeof (size_t));
  int rc = zj_comm_allgather (cfg->comm, mine.p, mine.len, &all, lens, err);
  g->exchanges++;
  g->sent += mine.len;
  for (int q = 0; q < R; q++)
    g->received += lens[q];
  zj_ckbuf_free (&mine);
  /* Everyone's islands, back in island order. */
  bool *fin = zj_xcalloc ((size_t) g->n, sizeof (bool));
  zj_program *pool = zj_xcalloc ((size_t) g->n * (size_t) (m ? m : 1), sizeof (zj_program));
  double *fit = zj_xcalloc ((size_t) g->n * (size_t) (m ? m : 1), sizeof (double));
  int *pos = zj_xcalloc ((size_t) g->n, sizeof (int));
  size_t total = 0;
  for (int r = 0; r < R; r++)
    total += lens[r];
  zj_ckrd rd = { .p = all, .len = rc == 0 ? total : 0, .field = "migration message" };
  int seen = 0, want = 0;
  size_t seg_end = 0;
  for (int q = 0; q < R && rc == 0 && !rd.bad; q++)
    {
      seg_end += lens[q];
      const int w = zj_rd_u8 (&rd);
      if (q == 0)
        want = w;
      while (rd.pos < seg_end && !rd.bad)
        {
          const uint32_t j = zj_rd_u32 (&rd);
          const bool f = zj_rd_u8 (&rd);
          if (j >= (uint32_t) g->n)
            {
              zj_rd_fail (&rd, "island %u out of range", j);
              break;
            }
          fin[j] = f;
          seen++;
          for (int k = 0; k < m && !f && !rd.bad; k++)
            {
              zj_program_init (&pool[(size_t) j * m + k]);
              zj_rd_program (&rd, &pool[(size_t) j * m + k]);
              fit[(size_t) j * m + k] = zj_rd_f64 (&rd);
            }
        }
    }
  if (rc == 0 && (rd.bad || seen != g->n))
    {
      zj_error_set (err, "bad migration message: %s", rd.bad ? rd.why : "islands missing");
      rc = -1;
    }
  if (rc == 0)
    {
      /* The pool holds the ready islands' emigrants, in island order. */
      int n = 0;
      for (int j = 0; j < g->n; j++)
        if (!fin[j])
          pos[j] = n++;
      zj_program *ready_pool = zj_xcalloc ((size_t) (n ? n : 1) * (size_t) (m ? m : 1),
                                           sizeof (zj_program));
      double *ready_fit = zj_xcalloc ((size_t) (n ? n : 1) * (size_t) (m ? m : 1),
                                      sizeof (double));
      for (int j = 0; j < g->n; j++)
        if (!fin[j])
          for (int k = 0; k < m; k++)
            {
              ready_pool[(size_t) pos[j] * m + k] = pool[(size_t) j * m + k];
              ready_fit[(size_t) pos[j] * m + k] = fit[(size_t) j * m + k];
            }
      int *from = zj_xmalloc ((size_t) (m ? m : 1) * sizeof (int));
      for (int o = 0; o < g->n_own && n >= 2; o++)
        {
          const int j = g->own[o];
          island *is = &g->isl[j];
          if (fin[j])
            continue;
          zj_migration_choose (is->rng, cfg->migration_topology, pos[j], n, m, from);
          for (int k = 0; k < m; k++)
            zj_population_replace (is->pop, slots[(size_t) j * m + k],
                                   &ready_pool[from[k]], ready_fit[from[k]]);
        }
      for (int j = 0; j < g->n; j++)
        {
          g->isl[j].finished = fin[j];
          if (!fin[j])
            g->isl[j].migrations++;
        }
      free (from);
      free (ready_pool);
      free (ready_fit);
      if (want && R > 1 && cfg->checkpoint)
        mpi_checkpoint (g, want);
    }
  for (size_t i = 0; i < (size_t) g->n * (size_t) (m ? m : 1); i++)
    zj_program_free (&pool[i]);
  free (pool);
  free (fit);
  free (fin);
  free (pos);
  free (slots);
  free (lens);
  free (all);
  return rc;
}

/* Every thread of the experiment arrives; the last one migrates.  A
   thread waiting here counts as parked for checkpoints: its islands are
   between two generations.  True when the search is over. */
static bool
barrier (exp_run *g)
{
  exp_pool *pl = g->pl;
  const double t0 = zj_now_s ();
  pthread_mutex_lock (&pl->lock);
  const int64_t e = g->epoch;
  if (++g->arrived == g->threads)
    {
      zj_error ee;
      /* CPU time of this thread: a loaded machine inflates wall time. */
      struct timespec c0, c1;
      clock_gettime (CLOCK_THREAD_CPUTIME_ID, &c0);
      if (!halted (pl) && exchange (g, &ee) != 0)
        {
          fprintf (stderr, "zerojit: %s\n", ee.msg);
          pl->abort_run = true;
        }
      clock_gettime (CLOCK_THREAD_CPUTIME_ID, &c1);
      g->exchange_secs += (double) (c1.tv_sec - c0.tv_sec)
                          + 1e-9 * (double) (c1.tv_nsec - c0.tv_nsec);
      bool all = true;
      for (int j = 0; j < g->n; j++)
        all &= g->isl[j].finished;
      g->all_finished = all || halted (pl);
      g->arrived = 0;
      g->epoch++;
      pthread_cond_broadcast (&pl->cond);
    }
  else
    while (g->epoch == e)
      {
        if (pl->ckpt_req)
          park (pl);
        else
          pthread_cond_wait (&pl->cond, &pl->lock);
      }
  const bool done = g->all_finished;
  g->wait_secs += zj_now_s () - t0;
  pthread_mutex_unlock (&pl->lock);
  return done;
}

/* Thread t's share of an experiment: initialise its islands (unless
   resumed), then run each to the next migration point, migrate, repeat.
   Migration points are fixed counts of each island's individuals, and the
   islands of an experiment share their population size, so they reach
   them together whatever the number of threads. */
static void
island_loop (exp_run *g, int t, bool resumed, zj_error *err, bool *ok)
{
  const zj_experiment_cfg *cfg = g->pl->cfg;
  exp_pool *pl = g->pl;
  const bool migrate = g->n > 1 && cfg->migration_interval > 0;
  *ok = true;
  if (!resumed)
    for (int o = t; o < g->n_own; o += g->threads)
      if (zj_population_init (g->isl[g->own[o]].pop, err) != 0)
        {
          *ok = false;
          pthread_mutex_lock (&pl->lock);
          pl->abort_run = true;   /* the other threads stop at once */
          pthread_mutex_unlock (&pl->lock);
          break;
        }
  for (;;)
    {
      for (int o = t; o < g->n_own && *ok; o += g->threads)
        {
          island *is = &g->isl[g->own[o]];
          if (is->finished)
            continue;
          int64_t stop_at = cfg->spec.max_individuals;
          if (migrate)
            {
              const int64_t next = (is->migrations + 1) * cfg->migration_interval;
              if (stop_at <= 0 || next < stop_at)
                stop_at = next;
            }
          /* The train-step budget counts from the start of the
             experiment, so a resumed run stops where the uninterrupted
             one would. */
          if (cfg->spec.max_individuals > 0)
            zj_population_run (is->pop, INT64_MAX, stop_at);
          else
            zj_population_run (is->pop, cfg->spec.max_train_steps
                               - zj_evaluator_train_steps (is->ev), stop_at);
          if (halted (pl))
            break;
          is->finished = budget_spent (cfg, is);
        }
      if (!migrate || barrier (g))
        break;
    }
}

typedef struct island_thread {
  exp_run *g;
  int t;
  bool resumed, ok;
  zj_error err;
} island_thread;

static void *
island_main (void *arg)
{
  island_thread *it = arg;
  island_loop (it->g, it->t, it->resumed, &it->err, &it->ok);
  exp_pool *pl = it->g->pl;
  pthread_mutex_lock (&pl->lock);
  pl->alive--;
  pthread_cond_broadcast (&pl->cond);
  pthread_mutex_unlock (&pl->lock);
  return NULL;
}

/* Run all islands of g on g->threads threads (this one included). */
static bool
run_islands (exp_run *g, bool resumed, zj_error *err)
{
  exp_pool *pl = g->pl;
  island_thread *its = zj_xcalloc ((size_t) g->threads, sizeof *its);
  pthread_t *tid = zj_xcalloc ((size_t) g->threads, sizeof *tid);
  int started = 1;
  pthread_mutex_lock (&pl->lock);
  for (int t = 1; t < g->threads; t++)
    {
      its[t] = (island_thread) { g, t, resumed, true, { "" } };
      if (pthread_create (&tid[t], NULL, island_main, &its[t]) != 0)
        break;
      pl->alive++;
      started++;
    }
  pthread_mutex_unlock (&pl->lock);
  if (started < g->threads)
    {
      /* Fewer threads than planned changes nothing but the time; the
         barrier must count only those that run. */
      pthread_mutex_lock (&pl->lock);
      g->threads = started;
      pthread_mutex_unlock (&pl->lock);
      /* Thread t's islands must still be run: not possible once the
         others have their share, so stop cleanly instead. */
      zj_error_set (err, "cannot start island threads");
      pl->abort_run = true;
    }
  island_loop (g, 0, resumed, err, &its[0].ok);
  bool ok = its[0].ok;
  for (int t = 1; t < started; t++)
    {
      pthread_join (tid[t], NULL);
      if (ok && !its[t].ok)
        {
          *err = its[t].err;
          ok = false;
        }
    }
  free (its);
  free (tid);
  return ok && started == g->threads;
}

/* The candidate (best current individual over all islands, the lowest
   island on ties), the best hall of fame and the individuals, from every
   rank's islands; and a summary line per island when there are several. */
static bool
islands_summary (exp_run *g, exp_result *r, FILE *out)
{
  const zj_experiment_cfg *cfg = g->pl->cfg;
  int me, R = ranks_of (cfg, &me);
  zj_ckbuf mine = { 0 };
  for (int o = 0; o < g->n_own; o++)
    {
      const island *is = &g->isl[g->own[o]];
      double f, h;
      const zj_program *b = zj_population_best (is->pop, &f);
      zj_population_hall_of_fame (is->pop, &h);
      zj_ck_u32 (&mine, (uint32_t) g->own[o]);
      zj_ck_program (&mine, b);
      zj_ck_f64 (&mine, f);
      zj_ck_f64 (&mine, h);
      zj_ck_i64 (&mine, zj_population_individuals (is->pop));
      zj_ck_i64 (&mine, is->migrations);
    }
  unsigned char *all = NULL;
  size_t *lens = zj_xcalloc ((size_t) R, sizeof (size_t));
  int rc = zj_comm_allgather (cfg->comm, mine.p, mine.len, &all, lens, &r->err);
  zj_ckbuf_free (&mine);
  size_t total = 0;
  for (int q = 0; q < R; q++)
    total += lens[q];
  zj_program *best = zj_xcalloc ((size_t) g->n, sizeof (zj_program));
  double *bf = zj_xcalloc ((size_t) g->n, sizeof (double));
  double *hf = zj_xcalloc ((size_t) g->n, sizeof (double));
  int64_t *ind = zj_xcalloc ((size_t) g->n, sizeof (int64_t));
  int64_t *mig = zj_xcalloc ((size_t) g->n, sizeof (int64_t));
  for (int j = 0; j < g->n; j++)
    zj_program_init (&best[j]);
  zj_ckrd rd = { .p = all, .len = rc == 0 ? total : 0, .field = "island summary" };
  int seen = 0;
  while (rc == 0 && rd.pos < rd.len && !rd.bad)
    {
      const uint32_t j = zj_rd_u32 (&rd);
      if (j >= (uint32_t) g->n)
        {
          zj_rd_fail (&rd, "island %u out of range", j);
          break;
        }
      zj_rd_program (&rd, &best[j]);
      bf[j] = zj_rd_f64 (&rd);
      hf[j] = zj_rd_f64 (&rd);
      ind[j] = zj_rd_i64 (&rd);
      mig[j] = zj_rd_i64 (&rd);
      seen++;
    }
  if (rc == 0 && (rd.bad || seen != g->n))
    {
      zj_error_set (&r->err, "bad island summary: %s", rd.bad ? rd.why : "islands missing");
      rc = -1;
    }
  if (rc == 0)
    {
      double search_fit = 0.0;
      for (int j = 0; j < g->n; j++)
        {
          if (j == 0 || bf[j] > search_fit)
            {
              search_fit = bf[j];
              zj_program_copy (&r->cand, &best[j]);
            }
          if (j == 0 || hf[j] > r->hof_fit)
            r->hof_fit = hf[j];
          r->individuals += ind[j];
        }
      fprintf (out, "Search fitness for candidate algorithm = %.6f\n", search_fit);
      fprintf (out, "Hall of fame: best search fitness ever seen = %.6f\n", r->hof_fit);
      if (g->n > 1)
        for (int j = 0; j < g->n; j++)
          fprintf (out, "Island %d: individuals=%lld, best fit=%.6f, hall of fame=%.6f, migrations=%lld\n",
                   j, (long long) ind[j], bf[j], hf[j], (long long) mig[j]);
    }
  for (int j = 0; j < g->n; j++)
    zj_program_free (&best[j]);
  free (best);
  free (bf);
  free (hf);
  free (ind);
  free (mig);
  free (lens);
  free (all);
  return rc == 0;
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
  island *isl = zj_xcalloc ((size_t) N, sizeof *isl);
  int me, R = ranks_of (cfg, &me);
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
  ecfg.hurdles = cfg->hurdles;
  ecfg.hurdle_tasks = cfg->hurdle_tasks;
  ecfg.hurdle_percentile = cfg->hurdle_percentile;
  ecfg.hurdle_window = cfg->spec.population_size < 4096
                       ? cfg->spec.population_size : 4096;
  for (int o = 0; o < n_own; o++)
    {
      const int j = own[o];
      island *is = &isl[j];
      if (N == 1)
        is->rng = &rng;
      else
        {
          zj_rng_seed (&is->own, zj_hash_mix (experiment_seed (pl->seed, k),
                                              0x69736c616e64ULL + (uint64_t) j));
          is->rng = &is->own;
        }
      if (!(is->ev = zj_evaluator_new (&ecfg, tasks, n_tasks, &r->shape, &sp,
                                       is->rng, &r->err)))
        goto out;
      zj_evaluator_set_tier (is->ev, pl->tier);
      zj_evolution_cfg vcfg = {
        .population_size = cfg->spec.population_size,
        .tournament_size = cfg->spec.tournament_size,
        .initial_population = cfg->spec.initial_population,
        .progress_every = cfg->spec.progress_every,
        .progress_out = j == 0 ? out : NULL,
        .log_line = cfg->progress_log ? log_line : NULL,
        .log_ctx = &lc,
        .cancel = &pl->done,
        .interrupt = cfg->interrupt,
        .park_reason = park_reason (cfg),
        .live = j == 0 ? &w->stats : NULL,
        .boundary = at_boundary,
        .boundary_ctx = &g,
        .tag_island = N > 1,
        .island = j,
      };
      is->pop = zj_population_new (&vcfg, &sp, is->ev, is->rng);
      if (from)
        {
          const zj_ckpt_island *x = &from->isl[j];
          if (zj_population_import (is->pop, &x->pop, &r->shape, &r->err) != 0
              || zj_evaluator_import (is->ev, &x->eval, &r->err) != 0)
            {
              char msg[sizeof r->err.msg];
              snprintf (msg, sizeof msg, "%s", r->err.msg);
              zj_error_set (&r->err, "checkpoint does not fit experiment %lld, island %d: %s",
                            (long long) k, j, msg);
              goto out;
            }
          memcpy (is->rng->s, x->rng, sizeof x->rng);
          is->migrations = x->migrations;
        }
    }
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
  const bool ran = run_islands (&g, from != NULL, &r->err);
  if (ran && N > 1 && cfg->progress_log)
    {
      /* Migration cost on this rank (times are wall clock; the waits
         include other islands' imbalance). */
      char line[512];
      snprintf (line, sizeof line, "\"islands\": %d, \"threads\": %d, "
                "\"exchanges\": %lld, \"sent_bytes\": %llu, \"received_bytes\": %llu, "
                "\"exchange_cpu_seconds\": %.6f, \"barrier_seconds\": %.6f, "
                "\"search_seconds\": %.3f",
                N, g.threads, (long long) g.exchanges,
                (unsigned long long) g.sent, (unsigned long long) g.received,
                g.exchange_secs, g.wait_secs, zj_now_s () - t_run);
      zj_outseq_log (pl->seq, k, line);
    }
  pthread_mutex_lock (&pl->lock);
  w->run = NULL;
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
      /* The populations are cut short: the best ever of this rank's
         islands is the best answer. */
      r->interrupted = true;
      bool any = false;
      for (int o = 0; o < n_own; o++)
        {
          const island *is = &isl[own[o]];
          double h;
          const zj_program *hof = zj_population_hall_of_fame (is->pop, &h);
          const long n = zj_population_individuals (is->pop);
          r->individuals += n;
          if (n > 0 && (!any || h > r->hof_fit))
            {
              any = true;
              r->hof_fit = h;
              zj_program_copy (&r->cand, hof);
            }
        }
      if (!any)
        {
          zj_error_set (&r->err, "interrupted before any evaluation");
          goto out;
        }
      fprintf (out, "Experiment interrupted by %s after %ld individuals. "
               "Retrieving the best algorithm seen (hall of fame).\n",
               signal_name (why), r->individuals);
      fprintf (out, "Hall of fame: best search fitness ever seen = %.6f\n", r->hof_fit);
    }
  else
    {
      fprintf (out, "Experiment done. Retrieving candidate algorithm.\n");
      if (!islands_summary (&g, r, out))
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
  exp_live *w = arg;
  exp_pool *pl = w->pl;
  for (;;)
    {
      pthread_mutex_lock (&pl->lock);
      /* Idle between experiments: nothing of ours to save. */
      while (pl->ckpt_req)
        park (pl);
      bool resumed = pl->resume && pl->next_resume < pl->resume->n_running;
      /* Several ranks: start an experiment only once the driver has
         consumed the one before, so every rank decides alike whether
         there is a next one (they would wait for each other forever at
         its first migration otherwise). */
      const bool multi = pl->cfg->comm && pl->cfg->comm->size > 1;
      while (multi && !resumed && !halted (pl)
             && pl->drv->consumed < pl->next)
        {
          if (pl->ckpt_req)
            park (pl);
          else
            pthread_cond_wait (&pl->cond, &pl->lock);
        }
      if (halted (pl) || (!resumed && pl->next >= pl->limit))
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
  const exp_live *low = NULL;
  for (int w = 0; w < n_workers; w++)
    {
      const exp_live *s = &pl->live[w];
      if (!s->pl || s->k < 0)
        continue;
      running++;
      indivs += atomic_load_explicit (&s->stats.individuals, memory_order_relaxed);
      double b = atomic_load_explicit (&s->stats.best, memory_order_relaxed);
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
      ? (double) atomic_load (&low->stats.individuals) / (double) sp->max_individuals
      : (double) atomic_load (&low->stats.train_steps) / (double) sp->max_train_steps;
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

/* ----------------------------------------------------------- checkpoints
 *
 * Taken by the driver thread while every worker is parked, so the image is
 * one consistent instant of the whole search: the driver's counters and
 * output so far, finished results not yet printed, and each running
 * experiment between two generations.
 */


static void
put_shape (int32_t dst[4], const zj_shape *s)
{
  dst[0] = s->F; dst[1] = s->ns; dst[2] = s->nv; dst[3] = s->nm;
}

static void
get_shape (zj_shape *dst, const int32_t s[4])
{
  *dst = (zj_shape) { s[0], s[1], s[2], s[3] };
}

/* Pool lock held, all workers parked. */
static int
write_checkpoint (exp_pool *pl, driver *d, const char *path, zj_error *err)
{
  zj_experiment_cfg *cfg = pl->cfg;
  zj_ckpt c;
  zj_ckpt_init (&c);
  c.n_args = cfg->n_ckpt_args;
  c.args = cfg->ckpt_args;        /* borrowed; detached below */
  c.seed = pl->seed;
  c.next = pl->next;
  c.consumed = d->consumed;
  c.ran = d->ran;
  c.total_indivs = d->total_indivs;
  c.have_best = d->have_best;
  zj_program_copy (&c.best, &d->best);
  c.best_select = d->best_select;
  c.best_hof = d->best_hof;
  put_shape (c.shape, &d->shape);
  c.elapsed = zj_now_s () - d->t0;
  zj_outseq_snapshot (pl->seq, &c.printed, &c.printed_len, &c.log_offset);
  c.done = zj_xcalloc ((size_t) (pl->next - d->consumed + 1), sizeof *c.done);
  c.running = zj_xcalloc (64, sizeof *c.running);
  for (int64_t k = d->consumed; k < pl->next; k++)
    if (k < pl->res_cap && pl->res[k].done)
      {
        const exp_result *r = &pl->res[k];
        zj_ckpt_done *x = &c.done[c.n_done++];
        x->index = k;
        x->ok = r->ok;
        x->text = zj_outseq_text (pl->seq, k, &x->text_len);
        zj_program_init (&x->cand);
        zj_program_copy (&x->cand, &r->cand);
        x->select_fit = r->select_fit;
        x->hof_fit = r->hof_fit;
        x->individuals = r->individuals;
        put_shape (x->shape, &r->shape);
        x->err = r->ok ? NULL : zj_xstrdup (r->err.msg);
      }
  for (int i = 0; i < MAX_WORKERS; i++)
    {
      exp_live *w = &pl->live[i];
      if (!w->pl || w->k < 0 || !w->run)
        continue;
      const exp_run *g = w->run;
      zj_ckpt_running *x = &c.running[c.n_running++];
      x->index = w->k;
      fflush (g->out);
      x->text = zj_outseq_text (pl->seq, w->k, &x->text_len);
      x->n_islands = g->n;
      x->isl = zj_xcalloc ((size_t) g->n, sizeof *x->isl);
      for (int j = 0; j < g->n; j++)
        {
          x->isl[j].eval.fec_capacity = -1;
          if (!g->isl[j].pop)
            continue;           /* another rank's island */
          memcpy (x->isl[j].rng, g->isl[j].rng->s, sizeof x->isl[j].rng);
          x->isl[j].migrations = g->isl[j].migrations;
          zj_population_export (g->isl[j].pop, &x->isl[j].pop);
          zj_evaluator_export (g->isl[j].ev, &x->isl[j].eval);
        }
    }
  /* Experiments of the checkpoint we resumed from that no worker has
     taken up yet (fewer workers than before) go in as they were. */
  const int own = c.n_running;
  if (pl->resume)
    {
      const int left = pl->resume->n_running - pl->next_resume;
      c.running = zj_xrealloc (c.running, (size_t) (own + left + 1) * sizeof *c.running);
      for (int i = pl->next_resume; i < pl->resume->n_running; i++)
        c.running[c.n_running++] = pl->resume->running[i];
    }
  zj_ckbuf img = { 0 };
  zj_ckpt_encode (&c, &img);
  int rc = zj_ckpt_write_file (path, &img, err);
  zj_ckbuf_free (&img);
  /* Detach the borrowed pieces before freeing the rest. */
  c.args = NULL;
  c.n_args = 0;
  memset (c.running + own, 0, (size_t) (c.n_running - own) * sizeof *c.running);
  c.n_running = own;
  zj_ckpt_free (&c);
  return rc;
}

/* Park every worker, write, release.  Lock held on entry and exit. */
static void
checkpoint_now (exp_pool *pl, driver *d)
{
  pl->ckpt_req = true;
  pthread_cond_broadcast (&pl->cond);    /* wakes threads at a barrier */
  while (pl->parked < pl->alive)
    pthread_cond_wait (&pl->cond, &pl->lock);
  zj_error e;
  if (write_checkpoint (pl, d, pl->cfg->checkpoint, &e) != 0)
    /* The previous checkpoint is still whole; keep searching. */
    fprintf (stderr, "zerojit: %s (search continues)\n", e.msg);
  pl->ckpt_req = false;
  pthread_cond_broadcast (&pl->cond);
}

/* Every rank writes FILE.GEN.rankR; once all have, rank 0 points the
   manifest FILE at generation GEN; each rank then drops its files two
   generations old (the manifest may still name the previous one).  Pool
   lock held; this rank's other threads wait at the migration barrier. */
static void
mpi_checkpoint (exp_run *g, int want)
{
  exp_pool *pl = g->pl;
  const zj_experiment_cfg *cfg = pl->cfg;
  int me, R = ranks_of (cfg, &me);
  const int64_t gen = ++pl->ckpt_gen;
  char *path = zj_ckpt_rank_path (cfg->checkpoint, gen, me);
  zj_error e;
  uint8_t ok = write_checkpoint (pl, pl->drv, path, &e) == 0;
  if (!ok)
    fprintf (stderr, "zerojit: rank %d: %s\n", me, e.msg);
  free (path);
  unsigned char *all = NULL;
  size_t *lens = zj_xcalloc ((size_t) R, sizeof (size_t));
  bool all_ok = zj_comm_allgather (cfg->comm, &ok, 1, &all, lens, &e) == 0;
  for (int q = 0; q < R && all_ok; q++)
    all_ok = all[q] == 1;
  free (all);
  free (lens);
  if (all_ok && me == 0)
    {
      zj_ckbuf man = { 0 };
      zj_ckpt_manifest (gen, R, &man);
      if (zj_ckpt_write_file (cfg->checkpoint, &man, &e) != 0)
        {
          fprintf (stderr, "zerojit: %s (search continues)\n", e.msg);
          all_ok = false;
        }
      zj_ckbuf_free (&man);
    }
  if (all_ok && gen > 2)
    {
      char *old = zj_ckpt_rank_path (cfg->checkpoint, gen - 2, me);
      unlink (old);
      free (old);
    }
  if (me == 0)
    pl->mpi_want = 0;
  if (want == 2)
    {
      pl->ckpt_stopped = all_ok;
      pl->abort_run = true;
    }
}

/* Put the driver and the pool back where the checkpoint left them. */
static int
restore (exp_pool *pl, driver *d, const zj_ckpt *c, FILE *out, zj_error *err)
{
  d->consumed = c->consumed;
  d->ran = (int) c->ran;
  d->total_indivs = c->total_indivs;
  d->have_best = c->have_best;
  zj_program_copy (&d->best, &c->best);
  d->best_select = c->best_select;
  d->best_hof = c->best_hof;
  get_shape (&d->shape, c->shape);
  d->t0 = zj_now_s () - c->elapsed;
  (void) out;
  zj_outseq_resume (pl->seq, c->consumed, c->printed, c->printed_len);
  pl->next = c->next;
  pl->resume = c;
  for (int i = 0; i < c->n_done; i++)
    {
      const zj_ckpt_done *x = &c->done[i];
      exp_result *r = result_slot (pl, x->index);
      r->done = true;
      r->ok = x->ok;
      zj_outseq_write (pl->seq, x->index, x->text, x->text_len);
      zj_program_init (&r->cand);
      zj_program_copy (&r->cand, &x->cand);
      r->select_fit = x->select_fit;
      r->hof_fit = x->hof_fit;
      r->individuals = x->individuals;
      get_shape (&r->shape, x->shape);
      if (!x->ok)
        zj_error_set (&r->err, "%s", x->err ? x->err : "failed");
    }
  return 0;
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
  pthread_mutex_init (&pl.lock, NULL);
  pthread_cond_init (&pl.cond, NULL);
  for (int w = 0; w < MAX_WORKERS; w++)
    pl.live[w].k = -1;
  int rc = -1, n_workers = 0, log_fd = -1;
  pthread_t threads[MAX_WORKERS];
  const bool ckpt = cfg->checkpoint != NULL;
  if (check_memory (cfg, err) != 0)
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
      && (log_fd = open (cfg->progress_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC
                         | (ck ? 0 : O_TRUNC), 0666)) < 0)
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
      if (restore (&pl, &d, ck, out, err) != 0)
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
              /* Ranks checkpoint together at the next migration point
                 (rank 0 decides; the others follow it). */
              if (cfg->comm->rank == 0)
                {
                  if (term)
                    pl.mpi_want = 2;
                  else if (now >= next_ckpt && !pl.mpi_want)
                    {
                      pl.mpi_want = 1;
                      next_ckpt = now + cfg->checkpoint_every;
                    }
                }
            }
          else if (ckpt && (now >= next_ckpt || term))
            {
              checkpoint_now (&pl, &d);
              next_ckpt = zj_now_s () + cfg->checkpoint_every;
              if (term)
                {
                  pl.abort_run = true;
                  pthread_cond_broadcast (&pl.cond);
                  pthread_mutex_unlock (&pl.lock);
                  zj_error_set (err, "terminated: checkpoint written to %s; continue with --resume=%s",
                                cfg->checkpoint, cfg->checkpoint);
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
              status_line (&pl, n_workers, k, d.t0, line, sizeof line);
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
      if (evaluate_on (&cfg->final_tasks, &d.shape, &d.best, zj_rng_seed32 (&frng),
                       pl.tier, &final_fit, err) != 0)
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
