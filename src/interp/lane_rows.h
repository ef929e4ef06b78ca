/* lane_rows.h -- the lane evaluator's per-task-set caches (lane_rows.c). */
#ifndef ZJ_LANE_ROWS_H
#define ZJ_LANE_ROWS_H

#include "internal.h"

/* The rows of this task set laid out in L lanes, built the second time the
   set is seen (NULL the first time: rows are then built per block).
   tkeys: the tasks' zj_lane_task_key values, or NULL to compute them. */
const zj_lane_rows *zj_lane_rows_get (zj_workspace *ws,
                                      const zj_task *const *ts, int nt, int L,
                                      const uint64_t *tkeys);
/* Per task: the range of each training feature, of the training labels
   and of each validation feature ([lo, hi] pairs, 2 * F + 1 of them). */
const double *zj_lane_ranges_get (zj_workspace *ws, const zj_task *const *ts,
                                  int nt, int L, const uint64_t *tkeys);

#endif
