/* evaluator_run.c -- steps 3 and 4 of an evaluation (evaluator.c): the
 * FEC's mini-runs, fingerprints and lookups of every task, then the real
 * runs of the misses -- in lanes, in per-task groups, in pairs or one by
 * one, a split's rest beside the lanes, through the hurdle when it is on
 * -- and the FEC's inserts (zj_ev_eval_tasks).
 */
#include "evaluator_internal.h"
#include <string.h>

#define FEC_SEED 235732282        /* the FEC generator restarts from it per task */

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

/* Examples task i runs in a real evaluation (train steps the budget
   allows, plus validation). */
static double
task_examples (const zj_evaluator *e, int i)
{
  return (double) e->n_real[i] + e->tasks[i].n_valid;
}

double
zj_ev_all_examples (const zj_evaluator *e)
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
void
zj_ev_eval_tasks (zj_evaluator *e, const zj_prepared *pp, bool batch)
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
