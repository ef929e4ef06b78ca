/* tier_door.h -- the evaluator's one door to native code.
 *
 * The evaluator runs every candidate through these calls and never asks
 * whether the JIT was built: with it (jit/tier_door.c) a door wraps the
 * shared tier (jit/tier.c) with this evaluator's per-candidate state and
 * its batched counters; without it (src/search/tier_door_none.c) every
 * call interprets or does nothing.  A NULL door is valid everywhere and
 * means "interpreter only".  Native code is bit-identical to the
 * interpreter, so nothing here changes a search's results.
 */
#ifndef ZJ_TIER_DOOR_H
#define ZJ_TIER_DOOR_H
#include <zerojit/zerojit.h>
#include "policy.h"

struct zj_tier;
typedef struct zj_door zj_door;

/* The tier itself, shared by the evaluators of an experiment: *tier is
   NULL for mode off and in builds without the JIT.  -1 with err set if it
   cannot start.  notice (may be NULL) hears of one-time set-up work,
   with notice_ctx. */
int zj_door_tier_new (zj_tier_mode mode, const zj_policy_knobs *knobs,
                      int opt_level, const char *opt_flags, zj_tier_notice notice, void *notice_ctx,
                      struct zj_tier **tier, zj_error *err);
void zj_door_tier_free (struct zj_tier *tier);
/* Its counters; false (and *s zeroed) for a NULL tier. */
bool zj_door_tier_stats (struct zj_tier *tier, zj_tier_stats *s);

/* A door for an evaluator of tasks[0..n_tasks) at feature size F; NULL
   when there is no tier (none built, none given, or mode off).  tier and
   tasks are borrowed. */
zj_door *zj_door_open (struct zj_tier *tier, const zj_task *tasks,
                       int n_tasks, int F);
/* Reports the counters not yet reported, then frees. */
void zj_door_close (zj_door *d);

/* Start of a candidate's evaluation: computes its structure key and hash
   once (identity.h) and looks the structure up.  examples_all bounds the
   examples of this and of each later evaluation.  Returns the structure
   hash, 0 when the door does not tier this evaluator. */
uint64_t zj_door_begin (zj_door *d, const zj_prepared *pp,
                        double examples_all);
/* Task boundary: true if native code runs the next task. */
bool zj_door_native (zj_door *d, const zj_prepared *pp);
/* True while the candidate's compile is queued or running. */
bool zj_door_pending (const zj_door *d);
/* True when the candidate's tasks run one by one on per-task stencils
   (jit/ptask.h) instead of in lanes: set by zj_door_begin. */
bool zj_door_per_task (const zj_door *d);
/* One task, natively if the code is there, else interpreted (timed now
   and then for the tier's cost model). */
double zj_door_eval_task (zj_door *d, const zj_prepared *pp,
                          const zj_task *t, const zj_eval_opts *o,
                          zj_rng *rng, zj_workspace *ws, zj_eval_result *r);
/* Tasks a then b natively, their training steps interleaved when the
   code allows (zj_jit_eval_pair): same results as two zj_door_eval_task
   calls, a's memory left in wsa and b's in wsb.  False, with nothing
   run, when native code does not run them. */
bool zj_door_eval_pair (zj_door *d, const zj_prepared *pp, const zj_task *a,
                        const zj_task *b, const zj_eval_opts *o, zj_rng *rng,
                        zj_workspace *wsa, zj_workspace *wsb,
                        zj_eval_result *ra, zj_eval_result *rb, double f[2]);
/* Tasks t[0..n) (2 <= n <= ZJ_DOOR_GROUP_MAX, one n_all_train) on
   per-task stencils, their steps alternating (zj_ptask_eval_group): the
   results, memories (task i's in ws[i]) and generator state of n
   zj_door_eval_task calls in order.  False, with nothing run, unless
   the candidate runs per task (zj_door_per_task) and its kernel is
   there. */
#define ZJ_DOOR_GROUP_MAX 8
bool zj_door_eval_group (zj_door *d, const zj_prepared *pp,
                         const zj_task *const *t, int n,
                         const zj_eval_opts *o, zj_rng *rng,
                         zj_workspace *const *ws, zj_eval_result *const *r,
                         double *f);
/* Eight lanes and a per-task rest: how many of the last of n tasks in
   a lane evaluation of the current candidate run on per-task stencils
   (zj_door_eval_rest) after the others ran in lanes; 0 for no split.
   Nonzero only for a lane candidate with a matrix op whose n leaves a
   short last chunk of lanes, under --jit=baseline|auto (not
   ZEROJIT_SPLIT=0). */
int zj_door_split_rest (const zj_door *d, int n);
/* The rest: tasks t[0..n) (1 <= n <= ZJ_DOOR_GROUP_MAX, one
   n_all_train) on per-task stencils, as one group (zj_ptask_run).
   start takes them; with interleave, when the lanes (lanes_nt tasks) are
   one chunk, the next lane evaluation on lanes_ws runs their examples
   alongside its own (lanes_ws->co: the rest's serial chains, SLEEF's exp
   on each, fill the lanes' stalls), and end
   runs whatever the lanes left and gives f.  The results, memories (task
   i's in ws[i]) and generator state are those of n zj_door_eval_task
   calls in order after the lane evaluation: the rest's Setups draw at
   its first step, which comes after the lanes' Setups.  start returns
   false, with nothing started, when the candidate may not split or its
   kernel is missing; cancel drops a started rest that never ran (the
   lane evaluation did not apply).  o, t, ws and r must stay valid until
   end. */
bool zj_door_rest_start (zj_door *d, const zj_prepared *pp,
                         const zj_task *const *t, int n,
                         const zj_eval_opts *o, zj_rng *rng,
                         zj_workspace *const *ws, zj_eval_result *const *r,
                         zj_workspace *lanes_ws, int lanes_nt,
                         bool interleave);
void zj_door_rest_end (zj_door *d, zj_workspace *lanes_ws, double *f);
void zj_door_rest_cancel (zj_door *d, zj_workspace *lanes_ws);
/* A run of several tasks at once in lanes (interpreted, or on baseline
   code when ws got it): zj_door_clock before (0 when this run is not
   timed), zj_door_batch_done after it succeeded. */
double zj_door_clock (zj_door *d);
void zj_door_batch_done (zj_door *d, double t0, double examples,
                         const zj_workspace *ws);
/* Lets the baseline tier (--jit=baseline|auto) serve ws's lane
   evaluations until the door closes. */
void zj_door_attach (zj_door *d, zj_workspace *ws);
/* Before the real evaluations: may queue a compile, given examples_now
   left in this evaluation and examples_per_eval of a future one (0 in
   a select/final evaluation, which has no future). */
void zj_door_consider (zj_door *d, const zj_prepared *pp,
                       double examples_now, double examples_per_eval,
                       bool final_stage);
/* End of the evaluation; true if the candidate may still profit from a
   compile once its expected children are known (zj_door_promote). */
bool zj_door_end (zj_door *d, bool final_stage);
void zj_door_promote (zj_door *d, const zj_prepared *pp, double children);
/* A child was evaluated; kept: same structure as its parent. */
void zj_door_note_child (zj_door *d, bool kept);
/* The tier's counters plus this door's unreported ones; false (and *s
   zeroed) without a tier. */
bool zj_door_stats (const zj_door *d, zj_tier_stats *s);
#endif
