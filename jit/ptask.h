/* ptask.h -- per-task step kernels: per-task stencils (stencil_ptask.c)
 * copied and patched for one task's Predict and Learn in the single-task
 * interpreter's layout, keyed by structure like the baseline tier's lane
 * kernels (doc/baseline_tier.md, "Per-task stencils").
 *
 * The single-task interpreter runs them through ws->tnat
 * (zj_interp_eval_task): Setup, the example loop, errors, aborts and
 * validation stay interpreted code, so results are the interpreter's bit
 * for bit.  The search reaches them through the tier door
 * (jit/tier_door.c) for lane evaluations whose Predict or Learn has a
 * matrix op the lanes serve badly (zj_ptask_wanted).
 */
#ifndef ZJ_PTASK_H
#define ZJ_PTASK_H

#include "internal.h"
#include "policy.h"

typedef struct zj_ptask zj_ptask;
struct zj_stencil_builds;

typedef struct zj_ptask_stats {
  long kernels;          /* step kernels emitted */
  long hits;             /* lookups that found their kernel */
  long fallbacks;        /* lookups left interpreted for lack of code */
  long failures;         /* per-task library loads that failed */
  double ready_ns;       /* total time making kernels ready */
  size_t bytes;          /* code emitted */
} zj_ptask_stats;

zj_ptask *zj_ptask_new (void);
void zj_ptask_free (zj_ptask *t);
/* Libraries built in the background through s (a search); without it a
   missing library is built and loaded synchronously. */
void zj_ptask_set_builds (zj_ptask *t, struct zj_stencil_builds *s);
void zj_ptask_set_notice (zj_ptask *t, zj_tier_notice fn, void *ctx);
void zj_ptask_stats_get (const zj_ptask *t, zj_ptask_stats *s);
const char *zj_ptask_error (const zj_ptask *t);

/* Whether every Predict and Learn op of p has a per-task stencil at F. */
bool zj_ptask_eligible (const zj_program *p, int F);
/* Whether a lane candidate p may run the short last chunk of its lanes
   per task (zj_door_split_rest): eligible and a matrix op in Predict or
   Learn. */
bool zj_ptask_split_wanted (const zj_program *p, const zj_shape *shape);
/* The static policy: p is eligible and its Predict or Learn has a matrix
   op other than a product the lane evaluation of nt tasks runs on its
   per-task matrix copies (ZJ_SV_MT, doc/baseline_tier.md). */
bool zj_ptask_wanted (const zj_program *p, const zj_shape *shape, int nt);
/* Whether the per-task library of F is ready (never waits: starts its
   build in the background when needed). */
bool zj_ptask_ready (zj_ptask *t, int F);
/* Native Predict and Learn of p for memory laid out by lay, with p's
   constants in nat->k (valid until the next call): false when p has an
   op without a per-task stencil, its library is not ready or failed, or
   executable memory ran out (counted). */
bool zj_ptask_get (zj_ptask *t, const zj_program *p, const zj_layout *lay,
                   zj_lnative *nat);

/* Tasks t[0..n) (n <= ZJ_PTASK_GROUP_MAX) on p's per-task kernel nat,
   their steps alternating: the results, errors, final memories (task i's
   in ws[i]) and generator state of n zj_interp_eval_task calls in order
   with ws->tnat = nat. */
#define ZJ_PTASK_GROUP_MAX 8
void zj_ptask_eval_group (const zj_prepared *pp, const zj_lnative *nat,
                          const zj_task *const *t, int n,
                          const zj_eval_opts *o, zj_rng *rng,
                          zj_workspace *const *ws,
                          zj_eval_result *const *res, double *f);
/* The same group run step by step, for a caller that interleaves it
   with its own work (the lane evaluation of a split: zj_door_rest_start):
   init takes the group (nothing runs, nothing is drawn); each step runs
   one example of every task still running, the first step all Setups
   first (so the generator's draws follow whatever the caller drew
   before it); finish runs the remaining steps and gives the fitnesses.
   init, steps and finish give the results of zj_ptask_eval_group, which
   is init then finish.  o, t, ws and res must outlive the run. */
typedef struct zj_ptask_run zj_ptask_run;
zj_ptask_run *zj_ptask_run_new (void);
void zj_ptask_run_free (zj_ptask_run *r);
void zj_ptask_run_init (zj_ptask_run *r, const zj_prepared *pp,
                        const zj_lnative *nat, const zj_task *const *t,
                        int n, const zj_eval_opts *o, zj_rng *rng,
                        zj_workspace *const *ws, zj_eval_result *const *res);
/* False once every task is done (then nothing ran). */
bool zj_ptask_run_step (zj_ptask_run *r);
/* Whether a step ran (the Setups have drawn). */
bool zj_ptask_run_started (const zj_ptask_run *r);
void zj_ptask_run_finish (zj_ptask_run *r, double *f);
/* Tasks a then b on p's per-task kernel nat (from zj_ptask_get for
   their layout), their examples alternating: the results, errors, final
   memory (a's in wsa, b's in wsb) and generator state of two
   zj_interp_eval_task calls with ws->tnat = nat. */
void zj_ptask_eval_pair (const zj_prepared *pp, const zj_lnative *nat,
                         const zj_task *a, const zj_task *b,
                         const zj_eval_opts *o, zj_rng *rng,
                         zj_workspace *wsa, zj_workspace *wsb,
                         zj_eval_result *ra, zj_eval_result *rb, double f[2]);

#endif
