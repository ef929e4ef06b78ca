/* policy_internal.h -- priors shared by the files of the tiering policy:
 * the tiers' cost model (policy.c) assumes the baseline's ratio to the
 * interpreter until it is measured, and the baseline's model
 * (policy_baseline.c) starts from it and from its time to ready.  Not
 * part of the library's interface.
 */
#ifndef ZJ_POLICY_INTERNAL_H
#define ZJ_POLICY_INTERNAL_H

/* Baseline priors: bench/bench_baseline measures 0.94-1.21x the lane
   interpreter (median ~1.04) and ~5 us to ready, searches 8-16 us
   (bench/RESULTS.md); a prior ratio of 0.9 made the demo build ~30,000
   kernels that never paid for themselves (0.91x). */
#define PRIOR_BASE_RATIO 0.97
#define PRIOR_READY_NS 10000.0

#endif
