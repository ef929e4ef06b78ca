/* policy.h -- the tiering policy: interpret a candidate or compile it,
 * decided from its expected remaining evaluation work.
 *
 * Pure decision logic with no libgccjit call, built even without the JIT
 * so that it can be unit-tested with synthetic costs.  The cost model is
 * fed online by the tier (jit/tier.c) with measured compile times and
 * per-example run times; every function here is deterministic given those
 * inputs.
 */
#ifndef ZJ_POLICY_H
#define ZJ_POLICY_H
#include <stdbool.h>
#include <stdio.h>

typedef enum zj_tier_mode {
  ZJ_TIER_OFF,                 /* interpreter only */
  ZJ_TIER_AUTO,                /* interpreter, compile what pays (async) */
  ZJ_TIER_ALWAYS               /* compile every structure before running */
} zj_tier_mode;

/* "off", "auto", "always"; 0, or -1 for anything else. */
int zj_tier_mode_parse (const char *s, zj_tier_mode *m);
const char *zj_tier_mode_name (zj_tier_mode m);

/* Lifetime signals that may enter the estimate (stage, rank and keep on
   by default; the benchmark switches them on and off to show what each
   pays). */
enum {
  ZJ_SIG_STAGE = 1,            /* work left in the current evaluation */
  ZJ_SIG_RANK = 2,             /* tournament wins expected from the rank */
  ZJ_SIG_KEEP = 4,             /* measured rate of structure-keeping children */
  ZJ_SIG_HITS = 8,             /* repeated evaluations of the structure */
  ZJ_SIG_ALL = 15
};

typedef struct zj_policy_knobs {
  int signals;                 /* ZJ_SIG_* mask */
  double margin;               /* compile when saving > margin * cost (1.5) */
  double compile_weight;       /* compile wall ms charged per ms (1.0) */
  int batch_max;               /* programs per compile batch (8) */
  double keep_prior;           /* keep rate assumed without ZJ_SIG_KEEP (0.25) */
} zj_policy_knobs;

/* Online cost model.  Compile time is fitted as fixed + per-instruction
   cost per batch (least squares over exponentially decayed sums); run
   times are ns per example per unit of zj_fn_cost work, per tier. */
typedef struct zj_cost_model {
  double cs[5];                /* decayed sums n, x, y, xx, xy (x = instrs) */
  long compiles;
  double interp_ns, jit_ns;    /* ns per example per work unit (EWMA) */
  long interp_runs, jit_runs;
  double children, kept;       /* decayed counts for the keep rate */
} zj_cost_model;

/* What the tier knows about one candidate at a decision point. */
typedef struct zj_candidate {
  double instrs;               /* live instructions: compile size */
  double work;                 /* work units per example */
  double examples_now;         /* examples left in this evaluation */
  double examples_per_eval;    /* examples of one search evaluation */
  double children;             /* expected children (from rank), < 0 unknown */
  double repeats;              /* earlier evaluations of this structure */
  int queued;                  /* compile requests already waiting */
} zj_candidate;

typedef struct zj_decision {
  bool compile;
  double saving_ms, cost_ms;   /* expected saving and charged compile cost */
  double future_evals;         /* expected further evaluations */
} zj_decision;

void zj_policy_knobs_default (zj_policy_knobs *k);
void zj_cost_model_init (zj_cost_model *m);
/* One compile of n programs with instrs instructions in total. */
void zj_cost_model_add_compile (zj_cost_model *m, int n, double instrs,
                                double ms);
/* Expected ms for one program of instrs instructions in a batch of n. */
double zj_cost_model_compile_ms (const zj_cost_model *m, double instrs, int n);
/* A measured run: examples * work units took ns nanoseconds. */
void zj_cost_model_add_run (zj_cost_model *m, bool native, double examples,
                            double work, double ns);
/* ns per example per work unit of the interpreter / native code. */
double zj_cost_model_ns (const zj_cost_model *m, bool native);
void zj_cost_model_add_child (zj_cost_model *m, bool kept);
double zj_cost_model_keep_rate (const zj_cost_model *m);

/* Counters of the tiered evaluator (jit/tier.c), for progress lines. */
typedef struct zj_tier_stats {
  zj_tier_mode mode;
  long lookups;                /* tiered evaluations */
  long native_evals;           /* ... that found native code ready */
  long switched;               /* ... that switched to native mid-way */
  long requests;               /* compile requests queued */
  long compiles, batches, failures;
  double compile_ms;           /* compile worker wall time */
  double examples_native, examples_interp;
} zj_tier_stats;

/* Writes ", key=value" fields (json: "\"key\": value") of s. */
void zj_tier_stats_print (const zj_tier_stats *s, bool json, FILE *out);

/* Expected tournament wins over an individual's remaining life, for rank
   r (0 = best) among P with tournaments of size T: P * P(win one). */
double zj_policy_children (int rank, int P, int T);

/* The decision: compile iff the expected saving over the structure's
   expected remaining evaluations beats margin times the compile cost. */
zj_decision zj_policy_decide (const zj_policy_knobs *k,
                              const zj_cost_model *m, const zj_candidate *c);
#endif
