/* evaluator.c -- evaluate a program on every task and combine.
 *
 * Order of work for one program (zj_evaluator_eval):
 * 1. prepare: check and prune it; the train budget's steps per task
 *    (budget.c).  A child (zj_evaluator_eval_child) whose parent's prune
 *    tells its own (zj_prune_reuse: the mutation left the liveness
 *    alone) is pruned by that memo, and one that prunes to its parent's
 *    program takes its duplicate-cache key too;
 * 2. dedup: if it has no random ops and the very same pruned program
 *    (structure and constants) was evaluated recently, reuse that fitness:
 *    nothing executes, no random number is drawn (dedup.c);
 * 3. FEC: per task a mini-run whose errors fingerprint the program's
 *    behaviour; cached fingerprints give the fitness (fec.c);
 * 4. run: the real evaluations of the misses with the shared generator,
 *    through the hurdle when it is on (hurdle.c);
 * 5. combine the tasks' fitnesses (fitness.c).
 *
 * Native code is reached only through the tier door (tier_door.h): a
 * candidate runs native code when its structure's code is ready;
 * otherwise the interpreter runs and the tier may queue a compile, picked
 * up at the next task boundary.  The order of FEC lookups/inserts and of
 * random draws is the same either way, and native code is bit-identical,
 * so results never depend on the tier.
 */
#include "internal.h"
#include "evaluator.h"
#include "budget.h"
#include "dedup.h"
#include "stash.h"
#include "hurdle.h"
#include "ckpt.h"
#include "identity.h"
#include "tier_door.h"
#include <stdlib.h>
#include <string.h>

#define ZJ_FEC_MAX_ERRORS 100
#define FEC_SEED 235732282        /* the FEC generator restarts from it per task */

struct zj_evaluator {
  zj_evaluator_cfg cfg;
  const zj_task *tasks;
  int n_tasks;
  zj_shape shape;
  zj_rng *rng;
  zj_rng fec_rng;
  zj_fec *fec;
  zj_workspace *ws[33];        /* by F */
  zj_workspace *ws2[33];       /* by F: the first task of a native pair */
  /* By F: the tasks of a per-task group but its last (zj_door_eval_group). */
  zj_workspace *wsg[33][ZJ_DOOR_GROUP_MAX - 1];
  double *fit;
  /* Per-task scratch, n_tasks each (errors: ZJ_FEC_MAX_ERRORS per task). */
  double *train_err, *valid_err, *bfit;
  zj_eval_result *res;
  long *n_real;
  uint64_t *keys;
  int *miss, *run;
  const zj_task **task_ptrs, **run_ptrs;
  /* zj_lane_task_key of each task (the tasks never change while the
     evaluator lives), and of run_ptrs'. */
  uint64_t *task_keys, *run_keys;
  zj_lane_record fec_rec;      /* the FEC runs' errors, if left lane-major */
  zj_budget budget;
  zj_prepared prepared;        /* reused; the last candidate's, for promote */
  zj_dedup *dedup;             /* NULL: off */
  long train_steps;
  zj_eval_counters cnt;
  bool *skip;                  /* per task: stopped by the hurdle */
  zj_hurdle hurdle;
  zj_door *door;               /* NULL: interpreter only */
  double all_ex;               /* all_examples () of the candidate under
                                  evaluation (n_real is set before it) */
  bool want_rank;              /* last evaluation may promote */
  uint64_t last_hash;
  bool store_pending;          /* the evaluation ends in zj_dedup_store */
  uint64_t store_key;
  /* Names the lanes the FEC's batched mini-runs keep for the real runs
     of the same evaluation (zj_lsnap_mode): one per evaluation. */
  uint64_t snap_id;
  long memo_prunes;            /* children prepared from a parent's memo */
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
    zj_hurdle_init (&e->hurdle, cfg->hurdle_window, cfg->hurdle_percentile);
  e->task_keys = zj_xcalloc (nt, sizeof (uint64_t));
  e->run_keys = zj_xcalloc (nt, sizeof (uint64_t));
  for (int i = 0; i < n_tasks; i++)
    {
      e->task_ptrs[i] = &tasks[i];
      e->task_keys[i] = zj_lane_task_key (&tasks[i]);
    }
  if (cfg->fec)
    e->fec = zj_stash_take_fec (cfg->stash, cfg->fec_cache_size,
                                cfg->fec_forget_every);
  zj_program_init (&e->prepared.prog);
  if (zj_budget_init (&e->budget, cfg->budget, cfg->budget_baseline,
                      cfg->budget_factor, sp, rng, err) != 0)
    {
      zj_evaluator_free (e);
      return NULL;
    }
  if (cfg->dedup)
    e->dedup = zj_stash_take_dedup (cfg->stash, cfg->dedup_slots);
  if (!cfg->budget)
    for (int i = 0; i < n_tasks; i++)
      e->n_real[i] = zj_budget_steps (&e->budget, NULL, &tasks[i]);
  return e;
}

void
zj_evaluator_free (zj_evaluator *e)
{
  if (!e)
    return;
  zj_door_close (e->door);
  for (int i = 0; i < 33; i++)
    {
      zj_workspace_free (e->ws[i]);
      zj_workspace_free (e->ws2[i]);
      for (int j = 0; j < ZJ_DOOR_GROUP_MAX - 1; j++)
        zj_workspace_free (e->wsg[i][j]);
    }
  zj_stash_put_dedup (e->cfg.stash, e->dedup);
  zj_stash_put_fec (e->cfg.stash, e->fec);
  zj_budget_free (&e->budget);
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
  free (e->task_keys);
  free (e->run_keys);
  free (e->skip);
  zj_hurdle_free (&e->hurdle);
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
      zj_door_attach (e->door, e->ws[F]);
    }
  return e->ws[F];
}

/* Several tasks at once in the lanes interpreter; -1 if not applicable.
   rng and reseed: what the task-by-task path gives each Setup. */
static int
run_batch (zj_evaluator *e, const zj_prepared *pp, const zj_task **ts,
           const uint64_t *keys, int nt, const zj_eval_opts *o, zj_rng *rng,
           uint64_t reseed, zj_eval_result *res, double *fit,
           zj_lane_record *rec, zj_lsnap_mode snap)
{
  zj_workspace *ws = workspace_for (e, ts[0]->F);
  const int rc = zj_interp_eval_lanes_snap (pp, ts, nt, o, rng, reseed, ws,
                                            res, fit, keys, rec, snap,
                                            e->snap_id);
  if (rc == 0 && o->record_errors <= 0)
    {
      e->cnt.lane_evals++;
      e->cnt.sc_eligible += ws->sc_eligible_used;
      e->cnt.shortcuts += ws->shortcut_used;
    }
  return rc;
}

/* One task, natively if the door has the code (polled at this boundary). */
static double
run_task (zj_evaluator *e, const zj_prepared *pp, const zj_task *t,
          const zj_eval_opts *o, zj_rng *rng, zj_eval_result *r)
{
  return zj_door_eval_task (e->door, pp, t, o, rng, workspace_for (e, t->F),
                            r);
}

static bool
has_random_ops (const zj_program *p)
{
  return zj_fn_is_random_inl (p, ZJ_SETUP)
         || zj_fn_is_random_inl (p, ZJ_PREDICT)
         || zj_fn_is_random_inl (p, ZJ_LEARN);
}

/* Examples task i runs in a real evaluation (train steps the budget
   allows, plus validation). */
static double
task_examples (const zj_evaluator *e, int i)
{
  return (double) e->n_real[i] + e->tasks[i].n_valid;
}

static double
all_examples (const zj_evaluator *e)
{
  double all = 0.0;
  for (int i = 0; i < e->n_tasks; i++)
    all += task_examples (e, i);
  return all;
}

/* ------------------------------------------------------------- 3. FEC */
/* FEC mini-runs of every task: batched in the interpreter, natively one
   by one, or one by one with the FEC generator restarted per task. */
static void
fec_runs (zj_evaluator *e, const zj_prepared *pp, zj_eval_opts *o, bool batch)
{
  const int n = e->n_tasks;
  o->n_all_train = e->cfg.fec_train;
  o->n_valid = e->cfg.fec_valid;
  o->record_errors = ZJ_FEC_MAX_ERRORS;
  /* The fingerprint is the errors; the mini-run's fitness is never read. */
  o->no_fitness = true;
  for (int i = 0; i < n; i++)
    {
      e->res[i].train_err = e->train_err + (size_t) i * ZJ_FEC_MAX_ERRORS;
      e->res[i].valid_err = e->valid_err + (size_t) i * ZJ_FEC_MAX_ERRORS;
    }
  const bool native = zj_door_native (e->door, pp)
                      || zj_door_per_task (e->door);
  const double t0 = zj_door_clock (e->door);
  e->fec_rec.train = NULL;
  if (!native && batch
      && run_batch (e, pp, e->task_ptrs, e->task_keys, n, o, &e->fec_rng,
                    FEC_SEED, e->res, e->fit, &e->fec_rec,
                    ZJ_LSNAP_TAKE) == 0)
    {
      double ex = 0.0;
      for (int i = 0; i < n; i++)
        ex += (double) e->res[i].train_steps + e->res[i].n_valid_err;
      zj_door_batch_done (e->door, t0, ex, e->ws[e->tasks[0].F]);
      return;
    }
  for (int i = 0; i < n; i++)
    {
      /* The FEC generator restarts from its fixed seed every time. */
      zj_rng_seed (&e->fec_rng, FEC_SEED);
      run_task (e, pp, &e->tasks[i], o, &e->fec_rng, &e->res[i]);
    }
}

/* FEC fingerprints and lookups of every task; the misses go to
   e->miss[0..return). */
static int
fec_lookups (zj_evaluator *e, const zj_prepared *pp, zj_eval_opts *o,
             bool batch)
{
  const int n = e->n_tasks;
  int n_miss = 0;
  if (!e->fec)
    {
      for (int i = 0; i < n; i++)
        e->miss[n_miss++] = i;
      return n_miss;
    }
  fec_runs (e, pp, o, batch);
  const zj_lane_record *lr = &e->fec_rec;
  if (lr->train)
    zj_fec_hash_lanes (lr->train, lr->valid, lr->stride, e->res, n, e->tasks,
                       e->n_real, e->keys);
  for (int i = 0; i < n; i++)
    {
      const zj_eval_result *r = &e->res[i];
      e->train_steps += r->train_steps;
      e->cnt.examples += r->train_steps + r->n_valid_err;
      if (!lr->train)
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
  return n_miss;
}

/* ------------------------------------------------------------- 4. run */
/* How many of the n tasks idx[0..n) form the next per-task group: a run
   of tasks with idx[0]'s step count and F, cut into equal groups of at
   most ZJ_DOOR_GROUP_MAX (10 tasks: 5 and 5, which measured as fast as
   8 and 2 and far faster than pairs: bench/RESULTS.md, session 10); 1
   when the candidate does not run per task. */
static int
group_size (const zj_evaluator *e, const int *idx, int n)
{
  if (n < 3 || !zj_door_per_task (e->door))
    return 1;
  int m = 1;
  while (m < n && e->n_real[idx[m]] == e->n_real[idx[0]]
         && e->tasks[idx[m]].F == e->tasks[idx[0]].F)
    m++;
  const int groups = (m + ZJ_DOOR_GROUP_MAX - 1) / ZJ_DOOR_GROUP_MAX;
  return (m + groups - 1) / groups;
}

/* The arrays of a per-task group of g tasks idx[0..g): tasks, results,
   and workspaces (the group's own, and for the last task workspace_for
   unless own_last: a split's rest runs beside a lane evaluation, which
   runs its Setups in workspace_for). */
typedef struct group_args {
  const zj_task *t[ZJ_DOOR_GROUP_MAX];
  zj_workspace *ws[ZJ_DOOR_GROUP_MAX];
  zj_eval_result r[ZJ_DOOR_GROUP_MAX], *rp[ZJ_DOOR_GROUP_MAX];
  double f[ZJ_DOOR_GROUP_MAX];
} group_args;

static void
group_args_init (zj_evaluator *e, group_args *a, const int *idx, int g,
                 bool own_last)
{
  ZJ_ASSERT (g <= ZJ_DOOR_GROUP_MAX - own_last);
  const int F = e->tasks[idx[0]].F;
  for (int j = 0; j < g; j++)
    {
      a->t[j] = &e->tasks[idx[j]];
      a->r[j] = (zj_eval_result) { 0 };
      a->rp[j] = &a->r[j];
      if (j == g - 1 && !own_last)
        a->ws[j] = workspace_for (e, F);
      else
        {
          if (!e->wsg[F][j])
            {
              zj_shape sh = e->shape;
              sh.F = F;
              e->wsg[F][j] = zj_workspace_new (&sh);
            }
          a->ws[j] = e->wsg[F][j];
        }
    }
}

/* The group's results into the evaluator's. */
static void
group_args_done (zj_evaluator *e, const group_args *a, const int *idx,
                 int g)
{
  for (int j = 0; j < g; j++)
    {
      e->fit[idx[j]] = a->f[j];
      e->cnt.task_evals++;
      e->train_steps += a->r[j].train_steps;
      e->cnt.examples += a->r[j].train_steps + a->t[j]->n_valid;
    }
}

/* The g tasks idx[0..g) as one per-task group (zj_door_eval_group), the
   last task's memory left in workspace_for as after one task after the
   other; false with nothing run when the door does not run them. */
static bool
run_group (zj_evaluator *e, const zj_prepared *pp, const zj_eval_opts *o,
           const int *idx, int g)
{
  group_args a;
  group_args_init (e, &a, idx, g, false);
  if (!zj_door_eval_group (e->door, pp, a.t, g, o, e->rng, a.ws, a.rp, a.f))
    return false;
  group_args_done (e, &a, idx, g);
  return true;
}

/* Real evaluations of the tasks in idx[0..n): batched when possible and
   no compile is pending or ready, else task by task in order. */
static void
real_runs (zj_evaluator *e, const zj_prepared *pp, zj_eval_opts *o,
           const int *idx, int n, bool batch)
{
  o->n_valid = -1;
  o->record_errors = 0;
  o->no_fitness = false;
  if (batch && n > 1 && !zj_door_pending (e->door)
      && !zj_door_native (e->door, pp) && !zj_door_per_task (e->door))
    {
      bool same_n = true;
      /* All tasks in their order: the lanes the FEC's mini-runs kept
         (if they did) are these runs' first steps. */
      bool all = n == e->n_tasks;
      for (int k = 0; k < n; k++)
        {
          all = all && idx[k] == k;
          e->run_ptrs[k] = &e->tasks[idx[k]];
          e->run_keys[k] = e->task_keys[idx[k]];
          e->res[k] = (zj_eval_result) { 0 };
          same_n = same_n && e->n_real[idx[k]] == e->n_real[idx[0]];
        }
      o->n_all_train = e->n_real[idx[0]];
      /* Eight lanes and a per-task rest: the tasks of a short last chunk
         of lanes on per-task stencils after the others in lanes, Setups
         still drawing in task order.  Not with the FEC, whose mini-runs
         keep all tasks' lanes for these runs to resume. */
      const int rest = same_n && !e->fec ? zj_door_split_rest (e->door, n)
                                         : 0;
      const int nl = n - rest;
      const double t0 = zj_door_clock (e->door);
      zj_workspace *lws = workspace_for (e, e->run_ptrs[0]->F);
      /* The rest beside the lanes (not when this run is timed: the
         lanes' cost must not include it). */
      group_args ra;
      if (rest)
        group_args_init (e, &ra, idx + nl, rest, true);
      const bool co = rest
                      && zj_door_rest_start (e->door, pp, ra.t, rest, o,
                                             e->rng, ra.ws, ra.rp, lws,
                                             nl, t0 == 0.0);
      if (same_n
          && run_batch (e, pp, e->run_ptrs, e->run_keys, nl, o, e->rng, 0,
                        e->res, e->bfit, NULL,
                        all && !rest && !e->cfg.no_resume ? ZJ_LSNAP_RESUME
                                                          : ZJ_LSNAP_NONE) == 0)
        {
          double ex = 0.0;
          for (int k = 0; k < nl; k++)
            {
              const int i = idx[k];
              e->fit[i] = e->bfit[k];
              e->train_steps += e->res[k].train_steps;
              e->cnt.examples += e->res[k].train_steps + e->tasks[i].n_valid;
              ex += (double) e->res[k].train_steps + e->tasks[i].n_valid;
            }
          e->cnt.task_evals += nl;
          zj_door_batch_done (e->door, t0, ex, lws);
          if (co)
            {
              zj_door_rest_end (e->door, lws, ra.f);
              group_args_done (e, &ra, idx + nl, rest);
              /* The last task's memory where one task after the other
                 leaves it. */
              memcpy (lws->mem, ra.ws[rest - 1]->mem,
                      lws->lay.total * sizeof (double));
            }
          else if (rest)
            /* No kernel after all: the rest one after the other. */
            for (int k = nl; k < n; k++)
              {
                zj_eval_result r = { 0 };
                const int i = idx[k];
                e->fit[i] = run_task (e, pp, &e->tasks[i], o, e->rng, &r);
                e->cnt.task_evals++;
                e->train_steps += r.train_steps;
                e->cnt.examples += r.train_steps + e->tasks[i].n_valid;
              }
          return;
        }
      if (co)
        /* The lanes did not apply: nothing ran, nothing was drawn. */
        zj_door_rest_cancel (e->door, lws);
    }
  for (int k = 0; k < n; k++)
    {
      const int i = idx[k];
      zj_eval_result r = { 0 };
      o->n_all_train = e->n_real[i];
      const int g = group_size (e, idx + k, n - k);
      if (g > 2 && run_group (e, pp, o, idx + k, g))
        {
          k += g - 1;
          continue;
        }
      if (k + 1 < n && e->n_real[idx[k + 1]] == e->n_real[i])
        {
          /* Two tasks in one native call when the code has a pair
             function: the same results as one after the other. */
          const int j = idx[k + 1], F = e->tasks[i].F;
          zj_eval_result r2 = { 0 };
          double f[2];
          if (!e->ws2[F])
            {
              zj_shape sh = e->shape;
              sh.F = F;
              e->ws2[F] = zj_workspace_new (&sh);
            }
          if (zj_door_eval_pair (e->door, pp, &e->tasks[i], &e->tasks[j], o, e->rng,
                                 e->ws2[F], workspace_for (e, F), &r, &r2, f))
            {
              e->fit[i] = f[0];
              e->fit[j] = f[1];
              e->cnt.task_evals += 2;
              e->train_steps += r.train_steps + r2.train_steps;
              e->cnt.examples += r.train_steps + e->tasks[i].n_valid
                                 + r2.train_steps + e->tasks[j].n_valid;
              k++;
              continue;
            }
        }
      e->fit[i] = run_task (e, pp, &e->tasks[i], o, e->rng, &r);
      e->cnt.task_evals++;
      e->train_steps += r.train_steps;
      e->cnt.examples += r.train_steps + e->tasks[i].n_valid;
    }
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
  if (zj_hurdle_pass (&e->hurdle, score / H))
    real_runs (e, pp, o, e->run + n_first, n_run - n_first, batch);
  else
    {
      e->cnt.hurdled++;
      for (int k = n_first; k < n_run; k++)
        e->skip[e->run[k]] = true;
    }
}

/* Evaluate p on every task: FEC lookups for all tasks first, then the
   real evaluations of the misses (batched across tasks when Predict and
   Learn draw no random numbers, else one by one in task order with the
   shared generator), then the inserts.  Batched or not, natively or not, each
   task's result and the cache's state are the same. */
static void
eval_tasks (zj_evaluator *e, const zj_prepared *pp, bool batch)
{
  const int n = e->n_tasks;
  zj_eval_opts o;
  zj_eval_opts_default (&o);
  o.max_abs_error = e->cfg.max_abs_error;
  o.no_shortcuts = e->cfg.no_shortcuts;
  for (int i = 0; i < n; i++)
    {
      e->res[i] = (zj_eval_result) { 0 };
      e->skip[i] = false;
    }
  const int n_miss = fec_lookups (e, pp, &o, batch);
  /* The mini-runs took a while: the slot the result goes to is in by
     now, and its arrays can be fetched during the real runs. */
  if (e->store_pending)
    zj_dedup_prefetch (e->dedup, e->store_key, 1);
  /* Likewise the FEC slots the misses' inserts will evict from (the
     recency order does not change before them). */
  if (e->fec)
    zj_fec_prefetch_victims (e->fec, n_miss);
  /* Real evaluations of the misses; budget-starved tasks score 0. */
  int n_run = 0;
  double ex_now = 0.0;
  for (int k = 0; k < n_miss; k++)
    {
      const int i = e->miss[k];
      e->fit[i] = 0.0;
      if (e->n_real[i] > 0)
        {
          e->run[n_run++] = i;
          ex_now += task_examples (e, i);
        }
    }
  /* A later evaluation of the structure (other constants) will mostly
     miss the FEC: all tasks are its expected work. */
  if (e->door)
    zj_door_consider (e->door, pp, ex_now,
                      e->cfg.final_stage ? 0.0 : e->all_ex,
                      e->cfg.final_stage);
  hurdled_runs (e, pp, &o, n_run, batch);
  if (e->fec)
    for (int k = 0; k < n_miss; k++)
      if (!e->skip[e->miss[k]])
        zj_fec_insert (e->fec, e->keys[e->miss[k]], e->fit[e->miss[k]]);
}

double
zj_evaluator_eval (zj_evaluator *e, const zj_program *p)
{
  return zj_evaluator_eval_child (e, p, NULL, NULL, NULL);
}

double
zj_evaluator_eval_child (zj_evaluator *e, const zj_program *p,
                         const zj_prune_memo *parent,
                         const zj_mut_site *site, zj_prune_memo *memo)
{
  e->cnt.evaluations++;
  e->last_hash = 0;
  e->want_rank = false;
  zj_prune_memo scratch;
  if (!memo)
    memo = &scratch;
  /* 1. prepare: in full, or from the parent's memo as far as it tells
     the child's prune (zj_prune_reuse; the same result either way). */
  const int reuse = parent ? zj_prune_reuse (p, &e->shape, parent, site, memo)
                           : ZJ_REUSE_NONE;
  const bool dedup_on = e->dedup && !e->cfg.budget;
  double f;
  /* A child that prunes to its parent's program, still in the duplicate
     cache where the parent left or found it (the tag): zj_dedup_find's
     hit, without building or comparing the program. */
  if (reuse == ZJ_REUSE_PRUNED && dedup_on
      && zj_dedup_find_tagged (e->dedup, memo->key, memo->tag, &f))
    {
      e->memo_prunes++;
      e->cnt.dedup_hits++;
      return f;
    }
  zj_prepared *pp = &e->prepared;
  if (reuse != ZJ_REUSE_NONE)
    {
      zj_prune_apply (p, memo, &pp->prog);
      e->memo_prunes++;
    }
  else if (zj_prune_checked_memo (p, &e->shape, &pp->prog, memo) != 0)
    return 0.0;
  pp->shape = e->shape;
  const zj_program *pruned = zj_prepared_program (pp);
  const bool random = has_random_ops (pruned);
  /* 2. dedup.  The budget depends on the unpruned program, so dedup only
     without it. */
  const bool dedup = dedup_on && !random;
  uint64_t key = 0;
  if (dedup)
    {
      if (!memo->keyed)
        {
          memo->key = zj_program_key (pruned);
          memo->keyed = memo->valid;
        }
      key = memo->key;
      if (zj_dedup_find (e->dedup, pruned, key, &f))
        {
          e->cnt.dedup_hits++;
          memo->tag = zj_dedup_slot_tag (e->dedup, key);
          return f;
        }
      zj_dedup_prefetch (e->dedup, key, 0);
    }
  /* Without a budget every task runs all its steps (set once, in
     zj_evaluator_new). */
  if (e->cfg.budget)
    for (int i = 0; i < e->n_tasks; i++)
      e->n_real[i] = zj_budget_steps (&e->budget, p, &e->tasks[i]);
  /* 3.-4. FEC and runs, natively where the door has code. */
  e->all_ex = all_examples (e);
  e->last_hash = zj_door_begin (e->door, pp, e->all_ex);
  /* Random ops in Setup only still batch: the lanes run each task's
     Setup on its own, in task order (zj_interp_eval_lanes). */
  const bool batch = e->cfg.batch && !zj_fn_is_random_inl (pruned, ZJ_PREDICT)
                     && !zj_fn_is_random_inl (pruned, ZJ_LEARN);
  e->store_pending = dedup;
  e->store_key = key;
  e->snap_id++;
  eval_tasks (e, pp, batch);
  e->want_rank = zj_door_end (e->door, e->cfg.final_stage);
  /* 5. combine */
  f = zj_combine_fitness (e->fit, e->n_tasks, e->cfg.mode);
  if (dedup)
    memo->tag = zj_dedup_store (e->dedup, pruned, key, f);
  return f;
}

/* ---------------------------------------------------------- the tier */
void
zj_evaluator_set_tier (zj_evaluator *e, struct zj_tier *tier)
{
  zj_door_close (e->door);
  e->door = zj_door_open (tier, e->tasks, e->n_tasks, e->shape.F);
  for (int i = 0; i < 33; i++)
    if (e->ws[i])
      zj_door_attach (e->door, e->ws[i]);
}

bool
zj_evaluator_tier_stats (const zj_evaluator *e, zj_tier_stats *s)
{
  return zj_door_stats (e->door, s);
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
  if (!e->want_rank)
    return;
  e->want_rank = false;
  zj_door_promote (e->door, &e->prepared, children);
}

void
zj_evaluator_note_child (zj_evaluator *e, bool kept)
{
  zj_door_note_child (e->door, kept);
}

/* ---------------------------------------------------------- counters */
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

long
zj_evaluator_memo_prunes (const zj_evaluator *e)
{
  return e->memo_prunes;
}

unsigned long
zj_evaluator_resumed (const zj_evaluator *e)
{
  unsigned long n = 0;
  for (int i = 0; i < 33; i++)
    n += e->ws[i] ? e->ws[i]->n_resumed : 0;
  return n;
}

const zj_fec *
zj_evaluator_fec (const zj_evaluator *e)
{
  return e->fec;
}

/* ---------------------------------------------------------- checkpoint */
void
zj_evaluator_export (const zj_evaluator *e, zj_ckpt_eval *x)
{
  memset (x, 0, sizeof *x);
  x->train_steps = e->train_steps;
  const long c[ZJ_CKPT_EVAL_COUNTERS] = {
    e->cnt.evaluations, e->cnt.dedup_hits, e->cnt.fec_hits,
    e->cnt.fec_misses, e->cnt.task_evals, e->cnt.examples, e->cnt.hurdled,
    e->cnt.lane_evals, e->cnt.sc_eligible, e->cnt.shortcuts };
  for (int i = 0; i < ZJ_CKPT_EVAL_COUNTERS; i++)
    x->cnt[i] = c[i];
  x->fec_capacity = -1;
  if (e->fec)
    zj_fec_export (e->fec, x);
  if (e->dedup)
    zj_dedup_export (e->dedup, x);
  if (e->hurdle.ring)
    {
      x->hcount = e->hurdle.count;
      x->hthreshold = e->hurdle.threshold;
      x->n_hring = (uint64_t) e->hurdle.window;
      x->hring = zj_xcalloc (x->n_hring, sizeof (double));
      memcpy (x->hring, e->hurdle.ring, x->n_hring * sizeof (double));
    }
}

int
zj_evaluator_import (zj_evaluator *e, const zj_ckpt_eval *x, zj_error *err)
{
  if ((x->fec_capacity >= 0) != (e->fec != NULL)
      || (x->dedup_slots > 0) != (e->dedup != NULL)
      || x->n_hring != (uint64_t) (e->hurdle.ring ? e->hurdle.window : 0))
    {
      zj_error_set (err, "evaluator caches (fec, duplicate cache, hurdles) do not match the flags and spec");
      return -1;
    }
  if (e->fec && zj_fec_import (e->fec, x, err) != 0)
    return -1;
  if (e->dedup && zj_dedup_import (e->dedup, x, &e->shape, err) != 0)
    return -1;
  if (e->hurdle.ring)
    {
      e->hurdle.count = x->hcount;
      e->hurdle.threshold = x->hthreshold;
      memcpy (e->hurdle.ring, x->hring, x->n_hring * sizeof (double));
    }
  e->train_steps = x->train_steps;
  e->cnt = (zj_eval_counters) { x->cnt[0], x->cnt[1], x->cnt[2], x->cnt[3],
                                x->cnt[4], x->cnt[5], x->cnt[6], x->cnt[7],
                                x->cnt[8], x->cnt[9] };
  return 0;
}

