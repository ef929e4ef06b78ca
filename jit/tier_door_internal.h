/* tier_door_internal.h -- the door's state, shared by jit/tier_door.c
 * (candidates, the baseline's hook and policy, counters) and
 * jit/tier_door_run.c (task-by-task runs: optimized code, per-task
 * stencils, groups and a split's rest).
 */
#ifndef ZJ_TIER_DOOR_INTERNAL_H
#define ZJ_TIER_DOOR_INTERNAL_H

#include "jit_internal.h"
#include "tier.h"
#include "tier_door.h"
#include "baseline.h"
#include "fused.h"
#include "ptask.h"

/* Interpreter runs timed for the tier's cost model: one in TIME_EVERY
   (clock reads and the model's lock cost ~4% of a demo search when done
   for every run); native runs are always timed.  Children are reported
   to the tier CHILD_BATCH at a time, and so are the lookup and example
   counters (every CHILD_BATCH candidates). */
#define TIME_EVERY 8
#define CHILD_BATCH 16
/* Bound for the tier's "cannot pay" test at the start of an evaluation:
   expected evaluations of at most CHILDREN_MAX (a tournament's winner has
   about T children; searches use T = 10). */
#define CHILDREN_MAX 64.0
/* Fused step kernels (fused.h) under --jit=auto: a structure's is asked
   of the compile thread when a lane evaluation of at least
   FUSE_MIN_EXAMPLES examples finds its stencil kernel used at least
   FUSE_AFTER times and the fusing model says it pays (zj_fuse_model,
   policy.h: learned online from the search's fused compiles and from
   timed evaluations of one structure on its stencils and then fused;
   ZEROJIT_FUSE_AFTER=N instead fuses at N uses whatever it costs; 0
   turns fusing off; ZEROJIT_FUSE_WAIT=1 makes the evaluation that asks
   wait until the kernel is compiled, so that tests do not depend on how
   fast the machine compiles). */
#define FUSE_AFTER 16
/* Per-task candidates run in groups (zj_door_eval_group; a run of two
   tasks with equal step counts as a pair, zj_ptask_eval_pair): a task's
   step is one serial chain (Predict, sigmoid, Learn), and alternating
   the tasks' Predicts and then the rest of their steps overlaps them:
   1.2-1.3x on the matrix programs at F = 16 for pairs, 1.3-1.4x more
   for groups of 5 with one sigmoid call (bench/RESULTS.md, sessions 9
   and 10). */
#define PTASK_PAIRS 1
#define FUSE_MIN_EXAMPLES 20000.0
/* The longest per-task rest of a split (zj_door_split_rest).  zerojit
   bench, ns per task-example with AVX-512 (8-lane chunks), F=16:
   paper_best 10 tasks in lanes 37.24, 8 in lanes 24.69, 2 per task
   49.46, so per example 372 ns all in lanes against 197.5 + 98.9 = 296
   split (1.26x); matvec 1.2-1.5x; see bench/RESULTS.md, session 10,
   "Eight lanes and a per-task rest".  The second chunk costs about 175
   ns per example whatever it holds, ~49 ns per task on per-task stencils:
   a rest of 1 to 3 tasks pays, 4 (~198 ns) does not. */
#define SPLIT_REST_MAX 3
/* Quiet candidates under --jit=auto.  Where native code cannot pay (the
   demo: a few microseconds per evaluation) the door's work per candidate
   -- the per-task test, the tier's work sum and gate, the baseline
   policy, clocks and model updates -- cost ~2.5% more instructions and,
   its code evicting the interpreter's from the instruction cache, ~4-6%
   of CPU time (bench/RESULTS.md, session 10).  After QUIET_CALM
   candidates in a row in which nothing was to be done (the tier skipped
   them, no per-task kernel wanted, the baseline policy said skip on each
   lane evaluation), only one candidate in QUIET_WAKE takes the full path
   and the others pass with a few tests: run by the interpreter,
   untimed.  A woken candidate that finds anything to do ends the quiet
   until QUIET_CALM calm candidates again.  The cost is that a candidate
   that would pay can wait up to QUIET_WAKE - 1 candidates to be seen;
   only searches in which none has paid for QUIET_CALM candidates run
   quiet.  Only evaluations of fewer than QUIET_MAX_EXAMPLES examples
   pass quietly: on longer ones (the paper setting's 90,000) the door's
   work is a small share, and the baseline tier's kernels and probes are
   worth every candidate.  ZEROJIT_QUIET=0 turns it off. */
#define QUIET_CALM 64
#define QUIET_WAKE 16
#define QUIET_MAX_EXAMPLES 20000.0

struct zj_door {
  zj_tier *tier;
  zj_eval_type et;
  bool tiered;                 /* tasks uniform in F and eval type */
  zj_tier_cand tc;             /* the current candidate */
  uint16_t *key;               /* its structure key (nkey of cap words) */
  size_t nkey, key_cap;
  double last_examples;        /* examples of a future evaluation */
  unsigned run_tick;           /* interpreter runs, for TIME_EVERY */
  bool kept[CHILD_BATCH];      /* children not yet reported to the tier */
  int n_kept;
  /* Tier counters not yet reported (see zj_tier_add_counts). */
  uint64_t pend_lookups, pend_ex_native, pend_ex_interp;
  /* Baseline tier (--jit=baseline|auto): this evaluator's step kernels,
     serving the workspaces attached to it; counters already reported. */
  zj_baseline *bl;
  zj_workspace *attached[33];
  int n_attached;
  zj_baseline_stats bl_done;
  uint64_t pend_ex_base, pend_ex_fused;
  bool fused_run;              /* the lane evaluation under way ran fused code */
  bool fuse_forced;            /* ZEROJIT_FUSE_AFTER given: fuse at N uses */
  bool fuse_wait;              /* ZEROJIT_FUSE_WAIT given (tests) */
  double *note;                /* timed hit: its kernel's stencil ns per
                                  example (zj_baseline_last_note) */
  double fuse_work;            /* ... and its work units, when fused */
  /* The baseline's economics as this door measures them (policy.h), and
     what happened in the current lane evaluation. */
  zj_lnative_hook bl_hook;     /* the baseline's own hook (ctx d->bl) */
  zj_policy_knobs knobs;
  zj_base_model bm;
  bool forced;                 /* --jit=baseline: a kernel for every run */
  bool probing;                /* --jit=auto: probes run */
  bool timed;                  /* the lane evaluation under way is timed */
  bool sampled;                /* ... and a sample: may be a control or a
                                  probe, and counts in the A/B test */
  double *pnote;               /* sampled hit: its kernel's notes
                                  (zj_baseline_last_probe) ... */
  double cpu0;                 /* ... and the thread's CPU clock after
                                  the lookup */
  bool allow_make;             /* the gate's answer for it */
  int outcome;                 /* O_* */
  double hook_ns;              /* its lookup time (timed runs) */
  double made_ns;              /* its kernel's time to ready, if made */
  uint64_t probe_state;        /* xorshift state of the probes' coin */
  unsigned warm;               /* ZJ_RUN_* bits: first timed run seen */
  /* Per-task stencils (jit/ptask.h, --jit=baseline|auto): candidates
     whose Predict or Learn has a matrix op the lanes serve badly
     (zj_ptask_wanted) run task by task on them.  ZEROJIT_PTASK=0 turns
     this off. */
  zj_ptask *pt;
  int n_tasks;
  bool pt_want;                /* the candidate runs per task */
  bool pt_have;                /* ... and pt_nat holds its kernel */
  zj_lnative pt_nat;
  zj_ptask_stats pt_done;      /* counters already reported */
  uint64_t pend_ex_ptask;
  /* Eight lanes and a per-task rest (zj_door_split_rest): a lane
     candidate with a matrix op whose task count leaves a short last
     chunk runs that chunk's tasks on per-task stencils, beside the lanes
     (zj_door_rest_start).  ZEROJIT_SPLIT=0 turns this off, =after runs
     the rest after the lanes. */
  bool split_on;
  bool split_beside;           /* the rest beside the lanes (not
                                  ZEROJIT_SPLIT=after) */
  bool split_want;             /* the current candidate may split */
  uint64_t pend_split;         /* split evaluations not yet reported */
  /* The rest under way (zj_door_rest_start .. _end), run as a companion
     of the lane evaluation when interleaved. */
  zj_ptask_run *rest;
  bool rest_on;
  int rest_n;
  const zj_eval_opts *rest_o;
  const zj_task *rest_t[ZJ_DOOR_GROUP_MAX];
  zj_eval_result *rest_r[ZJ_DOOR_GROUP_MAX];
  zj_companion rest_co;
  /* Quiet candidates (QUIET_*). */
  bool can_quiet;              /* --jit=auto and not ZEROJIT_QUIET=0 */
  bool quiet;                  /* the current candidate passes quietly */
  bool busy;                   /* the current (woken) one had work */
  unsigned calm;               /* woken candidates in a row without work */
  unsigned quiet_tick;
  uint64_t pend_quiet;         /* quiet candidates not yet reported */
};

/* What the hook did in the lane evaluation under way. */
enum { O_NONE, O_SKIP, O_MISS, O_HIT, O_MADE, O_PROBE, O_CONTROL };

/* A timed run of the given tier (ZJ_RUN_*) for the tier's cost model. */
void zj_door_report_run (zj_door *d, int tier, double examples, double ns);

#endif
