/* evaluator.c -- evaluate a program on every task and combine.
 *
 * Order of work for one program: prune; if it has no random ops and the
 * very same pruned program (structure and constants) was evaluated
 * recently, reuse that fitness (nothing executes, no random number is
 * drawn); otherwise per task run the FEC mini-run and, on a cache miss, the
 * real evaluation with the shared generator.
 *
 * With a tier (jit/tier.c) a candidate runs native code when its
 * structure's code is ready; otherwise the interpreter runs and the tier
 * may queue a compile, picked up at the next task boundary.  The order of
 * FEC lookups/inserts and of random draws is the same either way, and
 * native code is bit-identical, so results never depend on the tier.
 */
#include "config.h"
#include "internal.h"
#include "evaluator.h"
#include "cost.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if HAVE_JIT
#include "../jit/tier.h"
#include "../jit/baseline.h"
#endif

#define ZJ_FEC_MAX_ERRORS 100
#define HURDLE_REFRESH 64        /* recompute the threshold at most this often */

/* The keys live in their own array (dedup_keys) so that the usual miss
   costs one probe of a 128 KiB array that stays in L2, not a cache miss on
   a 72-byte slot. */
typedef struct dedup_slot {
  bool used;
  double fitness;
  zj_program prog;
} dedup_slot;

/* Interpreter runs timed for the tier's cost model: one in TIME_EVERY
   (clock reads and the model's lock cost ~4% of a demo search when done
   for every run); native runs are always timed.  Children are reported
   to the tier CHILD_BATCH at a time. */
#define TIME_EVERY 8
#define CHILD_BATCH 16
#define CHILDREN_MAX 64.0

struct zj_evaluator {
  zj_evaluator_cfg cfg;
  const zj_task *tasks;
  int n_tasks;
  zj_shape shape;
  zj_rng *rng;
  zj_rng fec_rng;
  zj_fec *fec;
  zj_workspace *ws[33];        /* by F */
  double *fit;
  /* Per-task scratch, n_tasks each (errors: ZJ_FEC_MAX_ERRORS per task). */
  double *train_err, *valid_err, *bfit;
  zj_eval_result *res;
  long *n_real;
  uint64_t *keys;
  int *miss, *run;
  const zj_task **task_ptrs, **run_ptrs;
  double base_setup_cost, base_train_cost;   /* budget baseline, per F */
  int budget_F;
  zj_program baseline;
  zj_prepared prepared;        /* reused for every evaluation */
  dedup_slot *dedup;
  uint64_t *dedup_keys;
  long train_steps;
  zj_eval_counters cnt;
  bool *skip;                  /* per task: stopped by the hurdle */
  double *hring, *hsort;       /* hurdle scores of recent candidates */
  long hcount;
  double hthreshold;
  struct zj_tier *tier;        /* NULL: interpreter only */
  bool tiered;                 /* tier on, tasks uniform in F/eval type */
  bool want_rank;              /* last evaluation may promote */
  uint64_t last_hash;
  double last_examples;
  unsigned run_tick;           /* interpreter runs, for TIME_EVERY */
  bool kept[CHILD_BATCH];      /* children not yet reported to the tier */
  int n_kept;
  /* Tier counters not yet reported (see zj_tier_add_counts). */
  uint64_t pend_lookups, pend_ex_native, pend_ex_interp;
#if HAVE_JIT
  zj_tier_cand tc;
  /* Baseline tier (--jit=baseline|auto): native step kernels for the
     lane evaluations of this evaluator's workspaces. */
  zj_baseline *bl;
  zj_baseline_stats bl_done;   /* counters already reported to the tier */
  uint64_t pend_ex_base;
#endif
};

void
zj_evaluator_cfg_default (zj_evaluator_cfg *cfg)
{
  memset (cfg, 0, sizeof *cfg);
  cfg->mode = ZJ_COMBINE_MEAN;
  cfg->max_abs_error = 100.0;
  cfg->fec_cache_size = 100000;
  cfg->fec_forget_every = 100;
  cfg->budget_baseline = ZJ_ALG_NEURAL_NET;
  cfg->budget_factor = 2.0;
  cfg->dedup = false;
  cfg->dedup_slots = 16384;
  cfg->batch = true;
  cfg->hurdle_tasks = 1;
  cfg->hurdle_percentile = 50.0;
  cfg->hurdle_window = 512;
}

void
zj_evaluator_cfg_from_spec (zj_evaluator_cfg *cfg, const zj_search_spec *s)
{
  zj_evaluator_cfg_default (cfg);
  cfg->mode = s->fitness_combination_mode;
  cfg->max_abs_error = s->max_abs_error;
  cfg->fec = s->has_fec;
  cfg->fec_train = s->fec_num_train_examples;
  cfg->fec_valid = s->fec_num_valid_examples;
  cfg->fec_cache_size = s->fec_cache_size;
  cfg->fec_forget_every = s->fec_forget_every;
  cfg->budget = s->has_train_budget;
  cfg->budget_baseline = s->train_budget_baseline;
  cfg->budget_factor = s->train_budget_threshold_factor;
  cfg->dedup = true;
}

zj_evaluator *
zj_evaluator_new (const zj_evaluator_cfg *cfg, const zj_task *tasks,
                  int n_tasks, const zj_shape *shape,
                  const zj_search_space *sp, zj_rng *rng, zj_error *err)
{
  if (cfg->fec)
    for (int i = 0; i < n_tasks; i++)
      {
        const zj_task *t = &tasks[i];
        if (cfg->fec_train > (long) t->n_train * t->epochs
            || cfg->fec_valid > t->n_valid || cfg->fec_train > ZJ_FEC_MAX_ERRORS
            || cfg->fec_valid > ZJ_FEC_MAX_ERRORS || cfg->fec_train <= 0
            || cfg->fec_valid <= 0)
          {
            zj_error_set (err, "fec: num_train_examples %d / num_valid_examples %d must be in 1..100 and fit task %d (%d train x %d epochs, %d valid)",
                          cfg->fec_train, cfg->fec_valid, i, t->n_train,
                          t->epochs, t->n_valid);
            return NULL;
          }
      }
  zj_evaluator *e = zj_xcalloc (1, sizeof *e);
  e->cfg = *cfg;
  e->tasks = tasks;
  e->n_tasks = n_tasks;
  e->shape = *shape;
  e->rng = rng;
  const size_t nt = (size_t) (n_tasks ? n_tasks : 1);
  e->fit = zj_xcalloc (nt, sizeof (double));
  e->bfit = zj_xcalloc (nt, sizeof (double));
  e->train_err = zj_xcalloc (nt * ZJ_FEC_MAX_ERRORS, sizeof (double));
  e->valid_err = zj_xcalloc (nt * ZJ_FEC_MAX_ERRORS, sizeof (double));
  e->res = zj_xcalloc (nt, sizeof (zj_eval_result));
  e->n_real = zj_xcalloc (nt, sizeof (long));
  e->keys = zj_xcalloc (nt, sizeof (uint64_t));
  e->miss = zj_xcalloc (nt, sizeof (int));
  e->run = zj_xcalloc (nt, sizeof (int));
  e->task_ptrs = zj_xcalloc (nt, sizeof (zj_task *));
  e->run_ptrs = zj_xcalloc (nt, sizeof (zj_task *));
  e->skip = zj_xcalloc (nt, sizeof (bool));
  if (cfg->hurdles)
    {
      if (e->cfg.hurdle_window < 4)
        e->cfg.hurdle_window = 4;
      e->hring = zj_xcalloc ((size_t) e->cfg.hurdle_window, sizeof (double));
      e->hsort = zj_xcalloc ((size_t) e->cfg.hurdle_window, sizeof (double));
    }
  for (int i = 0; i < n_tasks; i++)
    e->task_ptrs[i] = &tasks[i];
  if (cfg->fec)
    e->fec = zj_fec_new (cfg->fec_cache_size, cfg->fec_forget_every);
  zj_program_init (&e->baseline);
  zj_program_init (&e->prepared.prog);
  if (cfg->budget)
    {
      if (!sp || zj_generate_algorithm (cfg->budget_baseline, sp, rng,
                                        &e->baseline, err) != 0)
        {
          if (!sp)
            zj_error_set (err, "train_budget needs a search space");
          zj_evaluator_free (e);
          return NULL;
        }
      e->budget_F = -1;
    }
  if (cfg->dedup)
    {
      e->dedup = zj_xcalloc ((size_t) cfg->dedup_slots, sizeof (dedup_slot));
      e->dedup_keys = zj_xcalloc ((size_t) cfg->dedup_slots, sizeof (uint64_t));
      for (int i = 0; i < cfg->dedup_slots; i++)
        zj_program_init (&e->dedup[i].prog);
    }
  return e;
}

#if HAVE_JIT
static void tier_flush (zj_evaluator *e);
static void bl_flush (zj_evaluator *e);
#endif

void
zj_evaluator_free (zj_evaluator *e)
{
  if (!e)
    return;
#if HAVE_JIT
  if (e->tiered)
    tier_flush (e);
  bl_flush (e);
#endif
  for (int i = 0; i < 33; i++)
    zj_workspace_free (e->ws[i]);
#if HAVE_JIT
  zj_baseline_free (e->bl);
#endif
  if (e->dedup)
    {
      for (int i = 0; i < e->cfg.dedup_slots; i++)
        zj_program_free (&e->dedup[i].prog);
      free (e->dedup);
      free (e->dedup_keys);
    }
  zj_fec_free (e->fec);
  zj_program_free (&e->baseline);
  zj_program_free (&e->prepared.prog);
  free (e->fit);
  free (e->bfit);
  free (e->train_err);
  free (e->valid_err);
  free (e->res);
  free (e->n_real);
  free (e->keys);
  free (e->miss);
  free (e->run);
  free (e->task_ptrs);
  free (e->run_ptrs);
  free (e->skip);
  free (e->hring);
  free (e->hsort);
  free (e);
}

static zj_workspace *
workspace_for (zj_evaluator *e, int F)
{
  if (!e->ws[F])
    {
      zj_shape s = e->shape;
      s.F = F;
      e->ws[F] = zj_workspace_new (&s);
#if HAVE_JIT
      if (e->bl)
        zj_baseline_attach (e->bl, e->ws[F]);
#endif
    }
  return e->ws[F];
}

/* Which tier ran the last batched evaluation at F (for the cost model). */
static int
batch_tier (zj_evaluator *e, int F)
{
  return e->ws[F] && e->ws[F]->native_used ? ZJ_RUN_BASELINE : ZJ_RUN_INTERP;
}

static int
run_batch (zj_evaluator *e, const zj_prepared *pp, const zj_task **ts, int nt,
           const zj_eval_opts *o, zj_eval_result *res, double *fit)
{
  return zj_interp_eval_batch (pp, ts, nt, o, workspace_for (e, ts[0]->F),
                               res, fit);
}

/* Training steps the budget allows for task t: all or none. */
static long
budget_steps (zj_evaluator *e, const zj_program *p, const zj_task *t)
{
  const long N = (long) t->n_train * t->epochs;
  if (!e->cfg.budget)
    return N;
  if (e->budget_F != t->F)
    {
      e->base_setup_cost = zj_fn_cost (&e->baseline.fn[ZJ_SETUP], t->F);
      e->base_train_cost = zj_fn_cost (&e->baseline.fn[ZJ_PREDICT], t->F)
                           + zj_fn_cost (&e->baseline.fn[ZJ_LEARN], t->F);
      e->budget_F = t->F;
    }
  const double train = zj_fn_cost (&p->fn[ZJ_PREDICT], t->F)
                       + zj_fn_cost (&p->fn[ZJ_LEARN], t->F);
  const double cost = zj_fn_cost (&p->fn[ZJ_SETUP], t->F) + (double) N * train;
  const double limit = e->cfg.budget_factor
                       * (e->base_setup_cost + (double) N * e->base_train_cost);
  return cost <= limit ? N : 0;
}

static bool
has_random_ops (const zj_program *p)
{
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    for (int i = 0; i < p->fn[c].n; i++)
      if (zj_op_is_random (p->fn[c].ins[i].op))
        return true;
  return false;
}

/* ------------------------------------------------------------- tiering */
static double
now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}

static double
task_examples (const zj_evaluator *e, int i)
{
  return (double) e->n_real[i] + e->tasks[i].n_valid;
}

#if HAVE_JIT
static bool
tier_native (zj_evaluator *e, const zj_prepared *pp)
{
  return e->tiered && zj_tier_poll (e->tier, &e->tc, pp,
                                    e->tasks[0].eval_type);
}

static bool
tier_pending (const zj_evaluator *e)
{
  return e->tiered && e->tc.pending;
}

/* One task, natively if the code is there (polled at this boundary). */
static double
tier_eval_task (zj_evaluator *e, const zj_prepared *pp, const zj_task *t,
                const zj_eval_opts *o, zj_rng *rng, zj_eval_result *r)
{
  zj_workspace *ws = workspace_for (e, t->F);
  if (!e->tiered)
    {
      const double f = zj_interp_eval_task (pp, t, o, rng, ws, r);
      if (e->bl)
        e->pend_ex_interp += (uint64_t) (r->train_steps + r->n_valid_err);
      return f;
    }
  const bool native = tier_native (e, pp);
  const bool timed = native || e->run_tick++ % TIME_EVERY == 0;
  const double t0 = timed ? now_ns () : 0.0;
  const double f = native
                   ? zj_jit_eval_task (e->tc.native, pp, t, o, rng, ws, r)
                   : zj_interp_eval_task (pp, t, o, rng, ws, r);
  const double ex = (double) r->train_steps + r->n_valid_err
                   + (o->record_errors ? 0 : t->n_valid);
  *(native ? &e->pend_ex_native : &e->pend_ex_interp) += (uint64_t) ex;
  zj_tier_add_run (e->tier, native ? ZJ_RUN_OPTIMIZED : ZJ_RUN_INTERP, ex,
                   e->tc.work,
                   timed ? now_ns () - t0 : 0.0);
  return f;
}
#else
static bool
tier_native (zj_evaluator *e, const zj_prepared *pp)
{
  (void) e; (void) pp;
  return false;
}

static bool
tier_pending (const zj_evaluator *e)
{
  (void) e;
  return false;
}

static double
tier_eval_task (zj_evaluator *e, const zj_prepared *pp, const zj_task *t,
                const zj_eval_opts *o, zj_rng *rng, zj_eval_result *r)
{
  return zj_interp_eval_task (pp, t, o, rng, workspace_for (e, t->F), r);
}
#endif

/* ------------------------------------------------------------- hurdles */
static int
cmp_double (const void *a, const void *b)
{
  const double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* Records score; true if the candidate passes (always until a quarter of
   the window is filled).  The threshold is refreshed every quarter window
   (at most HURDLE_REFRESH) scores: sorting per candidate would cost more
   than a demo evaluation. */
static bool
hurdle_pass (zj_evaluator *e, double score)
{
  const long W = e->cfg.hurdle_window;
  const long n = e->hcount < W ? e->hcount : W;
  const bool ready = n >= (W + 3) / 4;
  const bool pass = !ready || score >= e->hthreshold;
  e->hring[e->hcount++ % W] = score;
  const long refresh = W / 4 < HURDLE_REFRESH ? (W + 3) / 4 : HURDLE_REFRESH;
  if (e->hcount % refresh == 0)
    {
      const long m = e->hcount < W ? e->hcount : W;
      memcpy (e->hsort, e->hring, (size_t) m * sizeof (double));
      qsort (e->hsort, (size_t) m, sizeof (double), cmp_double);
      long k = (long) (e->cfg.hurdle_percentile / 100.0 * (double) (m - 1));
      k = k < 0 ? 0 : k >= m ? m - 1 : k;
      e->hthreshold = e->hsort[k];
    }
  return pass;
}

/* ---------------------------------------------------------- evaluation */
/* FEC mini-runs of every task: batched in the interpreter, natively one
   by one, or one by one with the FEC generator restarted per task. */
static void
fec_runs (zj_evaluator *e, const zj_prepared *pp, zj_eval_opts *o, bool batch)
{
  const int n = e->n_tasks;
  o->n_all_train = e->cfg.fec_train;
  o->n_valid = e->cfg.fec_valid;
  o->record_errors = ZJ_FEC_MAX_ERRORS;
  for (int i = 0; i < n; i++)
    {
      e->res[i].train_err = e->train_err + (size_t) i * ZJ_FEC_MAX_ERRORS;
      e->res[i].valid_err = e->valid_err + (size_t) i * ZJ_FEC_MAX_ERRORS;
    }
  const bool native = tier_native (e, pp);
  const bool timed = e->tiered && e->run_tick++ % TIME_EVERY == 0;
  const double t0 = timed ? now_ns () : 0.0;
  if (!native && batch
      && run_batch (e, pp, e->task_ptrs, n, o, e->res, e->fit) == 0)
    {
#if HAVE_JIT
      const int tier = batch_tier (e, e->tasks[0].F);
      double ex = 0.0;
      for (int i = 0; i < n; i++)
        ex += (double) e->res[i].train_steps + e->res[i].n_valid_err;
      if (tier == ZJ_RUN_BASELINE)
        e->pend_ex_base += (uint64_t) ex;
      if (e->tiered || e->bl)
        e->pend_ex_interp += (uint64_t) ex;
      if (e->tiered)
        {
          zj_tier_add_run (e->tier, tier, ex, e->tc.work,
                           timed ? now_ns () - t0 : 0.0);
        }
#endif
      return;
    }
  (void) t0;
  for (int i = 0; i < n; i++)
    {
      /* The FEC generator restarts from its fixed seed every time. */
      zj_rng_seed (&e->fec_rng, 235732282);
      tier_eval_task (e, pp, &e->tasks[i], o, &e->fec_rng, &e->res[i]);
    }
}

/* Real evaluations of the tasks in idx[0..n): batched when possible and
   no compile is pending or ready, else task by task in order. */
static void
real_runs (zj_evaluator *e, const zj_prepared *pp, zj_eval_opts *o,
           const int *idx, int n, bool batch)
{
  o->n_valid = -1;
  o->record_errors = 0;
  bool done = false;
  if (batch && n > 1 && !tier_pending (e) && !tier_native (e, pp))
    {
      bool same_n = true;
      for (int k = 0; k < n; k++)
        {
          e->run_ptrs[k] = &e->tasks[idx[k]];
          e->res[k] = (zj_eval_result) { 0 };
          same_n = same_n && e->n_real[idx[k]] == e->n_real[idx[0]];
        }
      o->n_all_train = e->n_real[idx[0]];
      const bool timed = e->tiered && e->run_tick++ % TIME_EVERY == 0;
      const double t0 = timed ? now_ns () : 0.0;
      if (same_n
          && run_batch (e, pp, e->run_ptrs, n, o, e->res, e->bfit) == 0)
        {
          double ex = 0.0;
          for (int k = 0; k < n; k++)
            {
              const int i = idx[k];
              e->fit[i] = e->bfit[k];
              e->train_steps += e->res[k].train_steps;
              e->cnt.examples += e->res[k].train_steps + e->tasks[i].n_valid;
              ex += (double) e->res[k].train_steps + e->tasks[i].n_valid;
            }
          e->cnt.task_evals += n;
#if HAVE_JIT
          const int tier = batch_tier (e, e->run_ptrs[0]->F);
          if (tier == ZJ_RUN_BASELINE)
            e->pend_ex_base += (uint64_t) ex;
          if (e->tiered || e->bl)
            e->pend_ex_interp += (uint64_t) ex;
          if (e->tiered)
            {
              zj_tier_add_run (e->tier, tier, ex, e->tc.work,
                               timed ? now_ns () - t0 : 0.0);
            }
#else
          (void) ex; (void) t0; (void) timed;
#endif
          done = true;
        }
    }
  if (!done)
    for (int k = 0; k < n; k++)
      {
        const int i = idx[k];
        zj_eval_result r = { 0 };
        o->n_all_train = e->n_real[i];
        e->fit[i] = tier_eval_task (e, pp, &e->tasks[i], o, e->rng, &r);
        e->cnt.task_evals++;
        e->train_steps += r.train_steps;
        e->cnt.examples += r.train_steps + e->tasks[i].n_valid;
      }
}

/* Under "auto": may queue a compile before the real evaluations. */
static void
tier_consider (zj_evaluator *e, const zj_prepared *pp, const int *run,
               int n_run)
{
  /* A later evaluation of the structure (other constants) will mostly
     miss the FEC: all tasks are its expected work. */
  double ex = 0.0, all = 0.0;
  for (int k = 0; k < n_run; k++)
    ex += task_examples (e, run[k]);
  for (int i = 0; i < e->n_tasks; i++)
    all += task_examples (e, i);
  e->last_examples = e->cfg.final_stage ? 0.0 : all;
#if HAVE_JIT
  if (e->tiered && n_run > 0)
    zj_tier_consider (e->tier, &e->tc, pp, e->tasks[0].eval_type, ex,
                      e->last_examples, e->cfg.final_stage ? 0.0 : -1.0);
#else
  (void) pp;
#endif
}

/* Real evaluations of the FEC misses in run[0..n_run), through the hurdle
   when it is on: first the hurdle tasks, then (if passed) the rest. */
static void
hurdled_runs (zj_evaluator *e, const zj_prepared *pp, zj_eval_opts *o,
              int n_run, bool batch)
{
  const int H = e->cfg.hurdle_tasks;
  if (!e->cfg.hurdles || H < 1 || e->n_tasks <= H)
    {
      real_runs (e, pp, o, e->run, n_run, batch);
      return;
    }
  int n_first = 0;
  while (n_first < n_run && e->run[n_first] < H)
    n_first++;
  real_runs (e, pp, o, e->run, n_first, batch);
  double score = 0.0;
  for (int i = 0; i < H; i++)
    score += e->fit[i];
  if (hurdle_pass (e, score / H))
    real_runs (e, pp, o, e->run + n_first, n_run - n_first, batch);
  else
    {
      e->cnt.hurdled++;
      for (int k = n_first; k < n_run; k++)
        e->skip[e->run[k]] = true;
    }
}

/* Evaluate p on every task: FEC lookups for all tasks first, then the
   real evaluations of the misses (batched across tasks when the program
   draws no random numbers, else one by one in task order with the shared
   generator), then the inserts.  Batched or not, natively or not, each
   task's result and the cache's state are the same. */
static void
eval_tasks (zj_evaluator *e, const zj_prepared *pp, const zj_program *p,
            bool batch)
{
  const int n = e->n_tasks;
  zj_eval_opts o;
  zj_eval_opts_default (&o);
  o.max_abs_error = e->cfg.max_abs_error;
  int n_miss = 0;
  for (int i = 0; i < n; i++)
    {
      e->n_real[i] = budget_steps (e, p, &e->tasks[i]);
      e->res[i] = (zj_eval_result) { 0 };
      e->skip[i] = false;
    }
  if (e->fec)
    {
      fec_runs (e, pp, &o, batch);
      for (int i = 0; i < n; i++)
        {
          const zj_eval_result *r = &e->res[i];
          e->train_steps += r->train_steps;
          e->cnt.examples += r->train_steps + r->n_valid_err;
          e->keys[i] = zj_fec_hash (r->train_err, r->n_train_err, r->valid_err,
                                    r->n_valid_err, e->tasks[i].index,
                                    e->n_real[i]);
          zj_fec_prefetch (e->fec, e->keys[i]);
        }
      for (int i = 0; i < n; i++)
        {
          if (zj_fec_lookup (e->fec, e->keys[i], &e->fit[i]))
            e->cnt.fec_hits++;
          else
            {
              e->cnt.fec_misses++;
              e->miss[n_miss++] = i;
            }
        }
    }
  else
    for (int i = 0; i < n; i++)
      e->miss[n_miss++] = i;
  /* Real evaluations of the misses; budget-starved tasks score 0. */
  int n_run = 0;
  for (int k = 0; k < n_miss; k++)
    {
      const int i = e->miss[k];
      e->fit[i] = 0.0;
      if (e->n_real[i] > 0)
        e->run[n_run++] = i;
    }
  tier_consider (e, pp, e->run, n_run);
  hurdled_runs (e, pp, &o, n_run, batch);
  if (e->fec)
    for (int k = 0; k < n_miss; k++)
      if (!e->skip[e->miss[k]])
        zj_fec_insert (e->fec, e->keys[e->miss[k]], e->fit[e->miss[k]]);
}

static void
tier_begin (zj_evaluator *e, const zj_prepared *pp)
{
#if HAVE_JIT
  if (e->tiered)
    {
      /* Bounds for the tier's "cannot pay" test: every task's examples,
         and expected evaluations of at most CHILDREN_MAX (a tournament's
         winner has about T children; searches use T = 10). */
      double all = 0.0;
      for (int i = 0; i < e->n_tasks; i++)
        all += task_examples (e, i);
      zj_tier_begin (e->tier, &e->tc, pp, e->tasks[0].eval_type, all,
                     CHILDREN_MAX);
      e->last_hash = e->tc.hash;
      e->pend_lookups++;
    }
#else
  (void) e; (void) pp;
#endif
}

#if HAVE_JIT
/* Baseline counters since the last report, as zj_tier_stats fields. */
static void
bl_delta (const zj_evaluator *e, zj_tier_stats *d)
{
  memset (d, 0, sizeof *d);
  if (!e->bl)
    return;
  zj_baseline_stats s;
  zj_baseline_stats_get (e->bl, &s);
  d->base_kernels = s.kernels - e->bl_done.kernels;
  d->base_hits = s.hits - e->bl_done.hits;
  d->base_skips = s.skips - e->bl_done.skips;
  d->base_failures = s.failures - e->bl_done.failures;
  d->base_ready_ms = (s.ready_ns - e->bl_done.ready_ns) * 1e-6;
  d->examples_base = (double) e->pend_ex_base;
}

static void
bl_flush (zj_evaluator *e)
{
  if (!e->bl || !e->tier)
    return;
  if (!e->tiered)       /* --jit=baseline: no tier_flush reports these */
    {
      zj_tier_add_counts (e->tier, 0, 0, e->pend_ex_interp);
      e->pend_ex_interp = 0;
    }
  zj_tier_stats d;
  bl_delta (e, &d);
  zj_tier_add_base_counts (e->tier, &d);
  zj_baseline_stats_get (e->bl, &e->bl_done);
  e->pend_ex_base = 0;
}

static void
tier_flush (zj_evaluator *e)
{
  zj_tier_add_counts (e->tier, e->pend_lookups, e->pend_ex_native,
                      e->pend_ex_interp);
  e->pend_lookups = e->pend_ex_native = e->pend_ex_interp = 0;
  bl_flush (e);
}

static bool
bl_gate (void *tier, double examples, double work)
{
  return zj_tier_baseline_pays (tier, examples, work);
}

static void
bl_ready (void *tier, double ns)
{
  zj_tier_add_ready (tier, ns);
}
#endif

static void
tier_end (zj_evaluator *e)
{
#if HAVE_JIT
  if (e->tiered)
    {
      /* A candidate the tier found unable to pay even with the most
         children needs no rank (an O(P) scan per candidate). */
      e->want_rank = !e->tc.native && !e->tc.pending && !e->tc.skipped
                     && !e->cfg.final_stage
                     && (zj_tier_get_mode (e->tier) == ZJ_TIER_AUTO
                         || zj_tier_get_mode (e->tier) == ZJ_TIER_OPTIMIZED);
      zj_tier_end (e->tier, &e->tc);
      if (e->pend_lookups >= CHILD_BATCH)
        tier_flush (e);
    }
#else
  (void) e;
#endif
}

void
zj_evaluator_set_tier (zj_evaluator *e, struct zj_tier *tier)
{
  e->tier = NULL;
  e->tiered = false;
#if HAVE_JIT
  if (!tier || zj_tier_get_mode (tier) == ZJ_TIER_OFF || e->n_tasks < 1)
    return;
  e->tier = tier;
  const zj_tier_mode mode = zj_tier_get_mode (tier);
  if (zj_tier_mode_baseline (mode) && !e->bl)
    {
      e->bl = zj_baseline_new (false);
      zj_baseline_set_policy (e->bl, bl_gate, bl_ready, tier);
      for (int i = 0; i < 33; i++)
        if (e->ws[i])
          zj_baseline_attach (e->bl, e->ws[i]);
    }
  if (!zj_tier_mode_optimized (mode))
    return;
  /* One structure key per candidate: all tasks share F and eval type. */
  e->tiered = true;
  for (int i = 0; i < e->n_tasks; i++)
    if (e->tasks[i].F != e->shape.F
        || e->tasks[i].eval_type != e->tasks[0].eval_type)
      e->tiered = false;
#else
  (void) tier;
#endif
}

bool
zj_evaluator_tier_stats (const zj_evaluator *e, zj_tier_stats *s)
{
#if HAVE_JIT
  if (e->tier)
    {
      zj_tier_get_stats (e->tier, s);
      /* Plus this evaluator's counts not yet reported. */
      zj_tier_stats d;
      bl_delta (e, &d);
      s->base_kernels += d.base_kernels;
      s->base_hits += d.base_hits;
      s->base_skips += d.base_skips;
      s->base_failures += d.base_failures;
      s->base_ready_ms += d.base_ready_ms;
      s->examples_base += d.examples_base;
      s->lookups += (long) e->pend_lookups;
      s->examples_native += (double) e->pend_ex_native;
      s->examples_interp += (double) e->pend_ex_interp;
      return true;
    }
#endif
  memset (s, 0, sizeof *s);
  return false;
}

uint64_t
zj_evaluator_last_structure (const zj_evaluator *e)
{
  return e->last_hash;
}

bool
zj_evaluator_wants_rank (const zj_evaluator *e)
{
  return e->want_rank;
}

void
zj_evaluator_promote (zj_evaluator *e, double children)
{
#if HAVE_JIT
  if (!e->want_rank)
    return;
  e->want_rank = false;
  zj_tier_consider (e->tier, &e->tc, &e->prepared, e->tasks[0].eval_type,
                    0.0, e->last_examples, children);
#else
  (void) e; (void) children;
#endif
}

void
zj_evaluator_note_child (zj_evaluator *e, bool kept)
{
#if HAVE_JIT
  if (e->tiered)
    {
      e->kept[e->n_kept++] = kept;
      if (e->n_kept == CHILD_BATCH)
        {
          zj_tier_note_children (e->tier, e->kept, e->n_kept);
          e->n_kept = 0;
        }
    }
#else
  (void) e; (void) kept;
#endif
}

static inline uint64_t
fold64 (uint64_t h, uint64_t v)
{
  h = (h ^ v) * 0x9e3779b97f4a7c15ULL;
  return h ^ (h >> 29);
}

/* Key of the duplicate cache: every field of every instruction (the cache
   compares the whole program on a hit, so this only has to spread well). */
static uint64_t
program_key (const zj_program *p)
{
  uint64_t h = 0x5eed;
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    {
      h = fold64 (h, (uint64_t) p->fn[c].n);
      for (int i = 0; i < p->fn[c].n; i++)
        {
          const zj_instr *in = &p->fn[c].ins[i];
          uint64_t a, f01;
          uint32_t f2;
          memcpy (&a, &in->act, sizeof a);
          memcpy (&f01, in->fd, sizeof f01);
          memcpy (&f2, &in->fd[2], sizeof f2);
          h = fold64 (h, (uint64_t) in->op | (uint64_t) in->in1 << 16
                         | (uint64_t) in->in2 << 32 | (uint64_t) in->out << 48);
          h = fold64 (h, a);
          h = fold64 (h, f01 ^ ((uint64_t) f2 << 32 | f2));
        }
    }
  return zj_hash_mix (h, 0);
}

double
zj_evaluator_eval (zj_evaluator *e, const zj_program *p)
{
  e->cnt.evaluations++;
  e->last_hash = 0;
  e->want_rank = false;
  zj_error err;
  zj_prepared *pp = &e->prepared;
  if (zj_prepare_into (pp, p, &e->shape, true, &err) != 0)
    return 0.0;
  const zj_program *pruned = zj_prepared_program (pp);
  dedup_slot *slot = NULL;
  uint64_t key = 0;
  size_t si = 0;
  /* The budget depends on the unpruned program, so dedup only without it. */
  if (e->dedup && !e->cfg.budget && !has_random_ops (pruned))
    {
      key = program_key (pruned);
      si = key & (uint64_t) (e->cfg.dedup_slots - 1);
      slot = &e->dedup[si];
      if (e->dedup_keys[si] == key && slot->used
          && zj_program_equal (&slot->prog, pruned))
        {
          e->cnt.dedup_hits++;
          return slot->fitness;
        }
    }
  const bool random = has_random_ops (pruned);
  tier_begin (e, pp);
  eval_tasks (e, pp, p, e->cfg.batch && !random);
  tier_end (e);
  double f = zj_combine_fitness (e->fit, e->n_tasks, e->cfg.mode);
  if (slot)
    {
      e->dedup_keys[si] = key;
      slot->used = true;
      slot->fitness = f;
      zj_program_copy (&slot->prog, pruned);
    }
  return f;
}

const double *
zj_evaluator_task_fitness (const zj_evaluator *e)
{
  return e->fit;
}

long
zj_evaluator_train_steps (const zj_evaluator *e)
{
  return e->train_steps;
}

zj_eval_counters
zj_evaluator_counters (const zj_evaluator *e)
{
  return e->cnt;
}

const zj_fec *
zj_evaluator_fec (const zj_evaluator *e)
{
  return e->fec;
}
