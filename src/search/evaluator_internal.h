/* evaluator_internal.h -- the evaluator's state, shared by
 * src/search/evaluator.c (configuration, life, steps 1, 2 and 5 of an
 * evaluation, tier, counters and checkpoints) and
 * src/search/evaluator_run.c (steps 3 and 4: the FEC's mini-runs and
 * lookups, the real runs of the misses).  Not part of the library's
 * interface.
 */
#ifndef ZJ_EVALUATOR_INTERNAL_H
#define ZJ_EVALUATOR_INTERNAL_H

#include "internal.h"
#include "evaluator.h"
#include "budget.h"
#include "dedup.h"
#include "hurdle.h"
#include "tier_door.h"

#define ZJ_FEC_MAX_ERRORS 100

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
  double all_ex;               /* zj_ev_all_examples () of the candidate under
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

/* evaluator_run.c */
double zj_ev_all_examples (const zj_evaluator *e);
void zj_ev_eval_tasks (zj_evaluator *e, const zj_prepared *pp, bool batch);

#endif
