/* tier_door_run.c -- the door's task-by-task runs (src/search/
 * tier_door.h): one task on optimized code, per-task stencils or the
 * interpreter; two tasks as a pair; a per-task candidate's groups; and
 * the per-task rest of a split lane evaluation.
 */
#include "config.h"
#include "tier_door_internal.h"
#include "kernels_lanes.h"

/* Examples of one task's evaluation, as the budget counts them. */
static double
task_examples (const zj_eval_opts *o, const zj_task *t,
               const zj_eval_result *r)
{
  return (double) r->train_steps + r->n_valid_err
         + (o->record_errors ? 0 : t->n_valid);
}

/* Examples that tasks t[0..n) ran on per-task stencils: interpreted
   examples for the tier (not runs of its cost model), and the ptask
   share. */
static void
count_ptask (zj_door *d, const zj_eval_opts *o, const zj_task *const *t,
             zj_eval_result *const *r, int n)
{
  double ex = 0.0;
  for (int i = 0; i < n; i++)
    ex += task_examples (o, t[i], r[i]);
  d->pend_ex_interp += (uint64_t) ex;
  d->pend_ex_ptask += (uint64_t) ex;
}

/* The candidate's per-task kernel, looked up once per candidate. */
static bool
pt_kernel (zj_door *d, const zj_prepared *pp, const zj_layout *lay)
{
  return d->pt_have
         || (d->pt_have = zj_ptask_get (d->pt, &pp->prog, lay, &d->pt_nat));
}

double
zj_door_eval_task (zj_door *d, const zj_prepared *pp, const zj_task *t,
                   const zj_eval_opts *o, zj_rng *rng, zj_workspace *ws,
                   zj_eval_result *r)
{
  if (!d || !d->tiered)
    return zj_interp_eval_task (pp, t, o, rng, ws, r);
  const bool native = zj_door_native (d, pp);
  const bool timed = native || (!d->quiet && d->run_tick++ % TIME_EVERY == 0);
  const double t0 = timed ? zj_now_ns () : 0.0;
  /* Per-task stencils: the kernel is looked up once per candidate (a
     miss that cannot be served leaves the candidate interpreted). */
  if (!native && d->pt_want && !pt_kernel (d, pp, &ws->lay))
    d->pt_want = false;
  const bool pt = !native && d->pt_have;
  ws->tnat = pt ? &d->pt_nat : NULL;
  /* The entry was found by this candidate's structure key: no check. */
  const double f = native
                   ? zj_jit_run_task (d->tc.native, pp, t, o, rng, ws, r)
                   : zj_interp_eval_task (pp, t, o, rng, ws, r);
  ws->tnat = NULL;
  const double ex = task_examples (o, t, r);
  *(native ? &d->pend_ex_native : &d->pend_ex_interp) += (uint64_t) ex;
  if (pt)
    {
      /* Not a run of the interpreter for the cost model. */
      d->pend_ex_ptask += (uint64_t) ex;
      return f;
    }
  zj_door_report_run (d, native ? ZJ_RUN_OPTIMIZED : ZJ_RUN_INTERP, ex,
              timed ? zj_now_ns () - t0 : 0.0);
  return f;
}

bool
zj_door_eval_pair (zj_door *d, const zj_prepared *pp, const zj_task *a,
                   const zj_task *b, const zj_eval_opts *o, zj_rng *rng,
                   zj_workspace *wsa, zj_workspace *wsb, zj_eval_result *ra,
                   zj_eval_result *rb, double f[2])
{
  if (!d || !d->tiered)
    return false;
  if (!zj_door_native (d, pp) && d->pt_want && PTASK_PAIRS)
    {
      /* Per-task stencils, the two tasks' examples alternating. */
      if (!pt_kernel (d, pp, &wsa->lay))
        {
          d->pt_want = false;
          return false;
        }
      zj_ptask_eval_pair (pp, &d->pt_nat, a, b, o, rng, wsa, wsb, ra, rb, f);
      const zj_task *const t[2] = { a, b };
      zj_eval_result *const r[2] = { ra, rb };
      count_ptask (d, o, t, r, 2);
      return true;
    }
  if (!zj_door_native (d, pp) || !d->tc.native->fn2)
    return false;
  const double t0 = zj_now_ns ();   /* native runs are always timed */
  zj_jit_eval_pair (d->tc.native, pp, a, b, o, rng, wsa, wsb, ra, rb, f);
  const double ex = task_examples (o, a, ra) + task_examples (o, b, rb);
  d->pend_ex_native += (uint64_t) ex;
  zj_door_report_run (d, ZJ_RUN_OPTIMIZED, ex, zj_now_ns () - t0);
  return true;
}

_Static_assert (ZJ_DOOR_GROUP_MAX <= ZJ_PTASK_GROUP_MAX,
                "the evaluator's groups must fit zj_ptask_eval_group");

bool
zj_door_eval_group (zj_door *d, const zj_prepared *pp,
                    const zj_task *const *t, int n, const zj_eval_opts *o,
                    zj_rng *rng, zj_workspace *const *ws,
                    zj_eval_result *const *r, double *f)
{
  ZJ_ASSERT (n >= 2 && n <= ZJ_DOOR_GROUP_MAX);
  if (!d || !d->tiered || zj_door_native (d, pp) || !d->pt_want)
    return false;
  if (!pt_kernel (d, pp, &ws[0]->lay))
    {
      d->pt_want = false;
      return false;
    }
  zj_ptask_eval_group (pp, &d->pt_nat, t, n, o, rng, ws, r, f);
  count_ptask (d, o, t, r, n);
  return true;
}

int
zj_door_split_rest (const zj_door *d, int n)
{
  if (!d || !d->split_want || n <= ZJ_LW)
    return 0;
  const int rest = n % ZJ_LW;
  return rest <= SPLIT_REST_MAX ? rest : 0;
}

/* The door's companion step (zj_companion): one example of the rest. */
static bool
rest_step (void *ctx)
{
  return zj_ptask_run_step (ctx);
}

bool
zj_door_rest_start (zj_door *d, const zj_prepared *pp,
                    const zj_task *const *t, int n, const zj_eval_opts *o,
                    zj_rng *rng, zj_workspace *const *ws,
                    zj_eval_result *const *r, zj_workspace *lanes_ws,
                    int lanes_nt, bool interleave)
{
  ZJ_ASSERT (n >= 1 && n <= ZJ_DOOR_GROUP_MAX);
  if (!d || !d->split_want)
    return false;
  ZJ_ASSERT (!d->rest_on);
  if (!pt_kernel (d, pp, &ws[0]->lay))
    {
      d->split_want = false;
      return false;
    }
  if (!d->rest && !(d->rest = zj_ptask_run_new ()))
    return false;
  zj_ptask_run_init (d->rest, pp, &d->pt_nat, t, n, o, rng, ws, r);
  d->rest_on = true;
  d->rest_n = n;
  d->rest_o = o;
  for (int i = 0; i < n; i++)
    {
      d->rest_t[i] = t[i];
      d->rest_r[i] = r[i];
    }
  /* Beside one chunk of lanes only: beside two (17-19 tasks at F = 16)
     it measured 3-19% slower than after them, 10 tasks 5% faster, 9
     tasks 1% (bench/bench_split; the two-chunk lanes and their per-task
     matrix copies fill L1 already). */
  if (interleave && d->split_beside && lanes_nt <= ZJ_LW)
    {
      d->rest_co = (zj_companion) { rest_step, d->rest };
      lanes_ws->co = &d->rest_co;
    }
  return true;
}

void
zj_door_rest_end (zj_door *d, zj_workspace *lanes_ws, double *f)
{
  ZJ_ASSERT (d && d->rest_on);
  lanes_ws->co = NULL;
  zj_ptask_run_finish (d->rest, f);
  d->rest_on = false;
  count_ptask (d, d->rest_o, d->rest_t, d->rest_r, d->rest_n);
  d->pend_split++;
}

void
zj_door_rest_cancel (zj_door *d, zj_workspace *lanes_ws)
{
  ZJ_ASSERT (d && d->rest_on && !zj_ptask_run_started (d->rest));
  lanes_ws->co = NULL;
  d->rest_on = false;
}

