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

/* Three tiers: the (lane) interpreter, the baseline (copy-and-patch step
   kernels, ready in microseconds, jit/baseline.c) and the optimized tier
   (whole-evaluation libgccjit lowering, 100+ ms a compile, jit/tier.c). */
typedef enum zj_tier_mode {
  ZJ_TIER_OFF,                 /* interpreter only */
  ZJ_TIER_AUTO,                /* all three: baseline and optimized when they pay */
  ZJ_TIER_ALWAYS,              /* every candidate native: baseline code for
                                  each, optimized (async) where it pays */
  ZJ_TIER_BASELINE,            /* interpreter and baseline only */
  ZJ_TIER_OPTIMIZED,           /* interpreter and optimized (async) only */
  ZJ_TIER_OPTIMIZED_ALL        /* optimize every structure before running */
} zj_tier_mode;

/* What a zj_tier_notice tells. */
typedef enum zj_stencil_news {
  ZJ_STENCILS_BUILDING,        /* a build started */
  ZJ_STENCILS_READY,           /* it ended and the library is cached */
  ZJ_STENCILS_FAILED           /* it failed (why says why) */
} zj_stencil_news;

/* Told when one-time native set-up starts and when it ends: the baseline
   stencil library for feature size F, built with libgccjit in a second
   or so and then cached in the directory dir.  In a search the build
   runs in the background (secs: how long it took, at the end).  May be
   called from any evaluating thread; the search shows it to the user. */
typedef void (*zj_tier_notice) (void *ctx, int F, const char *dir,
                                zj_stencil_news news, double secs,
                                const char *why);

/* Whether a mode uses the baseline tier / compiles optimized code. */
static inline bool
zj_tier_mode_baseline (zj_tier_mode m)
{
  return m == ZJ_TIER_AUTO || m == ZJ_TIER_ALWAYS || m == ZJ_TIER_BASELINE;
}

static inline bool
zj_tier_mode_optimized (zj_tier_mode m)
{
  return m == ZJ_TIER_AUTO || m == ZJ_TIER_ALWAYS || m == ZJ_TIER_OPTIMIZED
         || m == ZJ_TIER_OPTIMIZED_ALL;
}

/* Whether a mode learns and compiles the optimized tier in the
   background, as the policy expects compiles to pay. */
static inline bool
zj_tier_mode_async (zj_tier_mode m)
{
  return m == ZJ_TIER_AUTO || m == ZJ_TIER_ALWAYS || m == ZJ_TIER_OPTIMIZED;
}

/* "off", "auto", "always", "baseline", "optimized", "optimized-all";
   0, or -1. */
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
  double base_margin;          /* baseline kernel when saving > this * cost (1.2) */
  double explore_frac;         /* evaluation time the baseline may spend learning (0.002) */
} zj_policy_knobs;

/* Which tier a measured run used. */
enum { ZJ_RUN_INTERP = 0, ZJ_RUN_OPTIMIZED = 1, ZJ_RUN_BASELINE = 2 };

/* Online cost model.  Compile time is fitted as fixed + per-instruction
   cost per batch (least squares over exponentially decayed sums); run
   times are ns per example per unit of zj_fn_cost work, per tier; the
   baseline's time to ready is a running mean per new step kernel. */
typedef struct zj_cost_model {
  double cs[5];                /* decayed sums n, x, y, xx, xy (x = instrs) */
  long compiles;
  double interp_ns, jit_ns;    /* ns per example per work unit (EWMA) */
  long interp_runs, jit_runs;
  double base_ns;              /* the same for baseline code */
  long base_runs;
  /* Per tier (ZJ_RUN_*), ns per example against work units: decayed
     least-squares sums n, x, y, xx, xy (x = work, y = ns per example),
     so that a fixed per-example cost is not charged per work unit: a
     ratio fitted on tiny programs made matrix programs look hundreds of
     times slower to interpret than they are. */
  double fit[3][5];
  long fit_runs[3];
  double base_ratio;           /* baseline / interpreter per example, as the
                                  doors' probes measured it (0: not yet) */
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
/* A measured run of tier ZJ_RUN_*: examples * work units took ns. */
void zj_cost_model_add_run (zj_cost_model *m, int tier, double examples,
                            double work, double ns);
/* ns per example per work unit of tier ZJ_RUN_* (priors until measured). */
double zj_cost_model_ns (const zj_cost_model *m, int tier);
/* ns per example of tier ZJ_RUN_* for a program of `work` units: the
   linear fit when the measured works spread enough, else work times
   zj_cost_model_ns; the optimized tier at its prior ratio until run.
   zj_cost_model_line gives the interpreter's as a + b * work. */
double zj_cost_model_ns_at (const zj_cost_model *m, int tier, double work);
void zj_cost_model_line (const zj_cost_model *m, double *a, double *b);
/* The baseline's per-example ratio to the interpreter, measured on the
   same structures (zj_base_model_ratio); the optimized tier's saving is
   counted against the faster of the two. */
void zj_cost_model_set_base_ratio (zj_cost_model *m, double ratio);
double zj_cost_model_fallback_ns (const zj_cost_model *m);
/* The same per example at `work` units. */
double zj_cost_model_fallback_at (const zj_cost_model *m, double work);
/* The baseline tier's economics, learned online by each evaluator's door
   (jit/tier_door.c) from measurements that compare like with like:
   - the per-example ratio of baseline code to the lane interpreter comes
     from probes: evaluations whose kernel already exists (a hit), timed,
     and run either on it or, one in two, interpreted; both samples are
     drawn from the same structures, unlike "runs that had a kernel" vs
     "runs that had none";
   - the examples a kernel serves after the evaluation that made it (its
     reuse) and its time to ready are measured as they happen;
   - the cost of looking a kernel up (decoding and hashing Predict and
     Learn) is measured on hits and charged to every consultation.
   All times in ns, examples counted per task (lane) as the evaluator does. */
typedef struct zj_base_model {
  double ex[2], ns[2];         /* decayed probe sums: [0] interp, [1] native */
  long probes[2];
  double ready_ns;             /* time to ready (EWMA) */
  long readies;
  double lookup_ns;            /* a consultation's cost (EWMA) */
  long lookups;
  double first_ns;             /* a new kernel's first run beyond its
                                  examples at the probes' native rate:
                                  cold code, first-touch pages (EWMA) */
  long firsts;
  double kernels, reuse_ex;    /* decayed: kernels made, examples they served later */
  double consults, hits;       /* decayed: kernel lookups, and those that hit */
  double ex_all, ns_all;       /* decayed sums of every timed interpreted run */
  /* The whole policy against none, on timed lane evaluations assigned by
     a coin: [0] control (interpreted, no lookup), [1] the policy (lookups,
     new kernels and their first runs included).  Each window of AB_WINDOW
     runs a side moves the margin: up when the policy lost, down when it
     clearly won.  Catches what the per-kernel model does not see. */
  double ab_ex[2], ab_ns[2];
  long ab_n[2];
  double margin_scale;         /* times knobs->base_margin (1 at start) */
  double explore_ns, run_ns;   /* spent exploring / evaluation time seen */
  /* Paired probes (zj_base_model_add_pair): decayed sums of examples
     and of the native and interpreted ns they took, each pair from one
     structure; a structure's costs vary 10x across a search, and
     unpaired sides that drew different structures gave ratios anywhere
     in 0.9-1.1 (or 4-7 when one side was sampled less). */
  double pair_ex, pair_ns[2];  /* [0] interpreted, [1] native */
  long pairs;
  bool settled;                /* native clearly wins: behave as baseline */
} zj_base_model;

/* What the door does with a lane evaluation of `examples` examples. */
typedef enum zj_base_choice {
  ZJ_BASE_SKIP,                /* interpret, do not even look a kernel up */
  ZJ_BASE_USE,                 /* use a kernel if one exists, make none */
  ZJ_BASE_MAKE,                /* use one, or make it (it pays) */
  ZJ_BASE_EXPLORE              /* make one although the model says no: learn */
} zj_base_choice;

void zj_base_model_init (zj_base_model *m);
/* A probe: a timed hit, interpreted (native false) or on its kernel. */
void zj_base_model_add_probe (zj_base_model *m, bool native, double examples,
                              double ns);
void zj_base_model_add_ready (zj_base_model *m, double ns);
void zj_base_model_add_lookup (zj_base_model *m, double ns);
/* A kernel's first run took extra_ns more than a later run of the same
   kernel over as many examples (its lookup and time to ready excluded;
   negative when the later run was slower: timing noise, which averages
   out, so the estimate is not pushed up by clipping it at zero). */
void zj_base_model_add_first (zj_base_model *m, double extra_ns);
/* A kernel was made; a lookup hit (serving examples) or missed. */
void zj_base_model_add_kernel (zj_base_model *m);
void zj_base_model_add_consult (zj_base_model *m, bool hit, double examples);
/* A timed lane evaluation that ran interpreted (any structure). */
void zj_base_model_add_interp (zj_base_model *m, double examples, double ns);
/* ns of evaluation time observed (the exploration budget's base) and ns
   spent on exploring. */
void zj_base_model_add_time (zj_base_model *m, double run_ns,
                             double explore_ns);
/* A timed lane evaluation of the A/B test (policy false: control). */
void zj_base_model_add_ab (zj_base_model *m, bool policy, double examples,
                           double ns);
/* A paired probe: a structure with a kernel ran `examples` examples
   interpreted in interp_ns, and its kernel's timed native runs of
   evaluations of that size took native_per_ex ns per example (the
   door's per-kernel note).  Comparing one structure with itself keeps
   the ratio unbiased however rarely either side is sampled.  Also
   settles (or unsettles) the model: see zj_base_model_sample_every. */
void zj_base_model_add_pair (zj_base_model *m, double examples,
                             double native_per_ex, double interp_ns);
/* How rarely timed lane evaluations are samples (controls, probes, A/B
   arms) under --jit=auto: 1 (every one) until ZJ_BASE_WARM_PAIRS
   paired probes; then one in ZJ_BASE_SAMPLE_WARM; one in
   ZJ_BASE_SAMPLE_SETTLED once settled.  Settled: at least
   ZJ_BASE_WARM_PAIRS pairs whose ratio is below ZJ_BASE_SETTLE_RATIO;
   it ends when the ratio rises above ZJ_BASE_UNSETTLE_RATIO.  Settled,
   zj_policy_base_choice counts the ratio as at most the settling one, so
   that kernels are made wherever they pay, as --jit=baseline makes them,
   however the estimate wanders below ZJ_BASE_UNSETTLE_RATIO. */
#define ZJ_BASE_WARM_PAIRS 32
#define ZJ_BASE_SAMPLE_WARM 4
#define ZJ_BASE_SAMPLE_SETTLED 16
#define ZJ_BASE_SETTLE_RATIO 0.95
#define ZJ_BASE_UNSETTLE_RATIO 0.99
unsigned zj_base_model_sample_every (const zj_base_model *m);
/* Baseline ns per example over the interpreter's: from the paired probes
   once there are enough, else from the unpaired ones, else a prior;
   *measured tells whether it was measured. */
double zj_base_model_ratio (const zj_base_model *m, bool *measured);
/* Interpreter ns per example on probed structures (prior until then). */
double zj_base_model_interp_ns (const zj_base_model *m);
/* Examples a kernel is expected to serve after the evaluation that made
   it. */
double zj_base_model_reuse (const zj_base_model *m);
/* The choice for an evaluation of `examples` examples: make a kernel iff
   the examples it is expected to run (this evaluation's plus its reuse)
   times the measured saving per example beat margin times the time to
   ready, its first run's extra cost and a lookup; look one up iff a hit would pay for the lookup;
   else skip, with exploration kept under explore_frac of the evaluation
   time seen so that a closed gate keeps learning.  forced: --jit=baseline
   (always MAKE). */
zj_base_choice zj_policy_base_choice (const zj_policy_knobs *k,
                                      const zj_base_model *m,
                                      double examples, bool forced);
/* The fused step kernels' economics (jit/fused.h), learned online from
   what the search measures, starting from priors fitted offline on
   bench/layout's programs at F=16 (bench/RESULTS.md, "Fused step
   kernels"):
   - a compile of `work` units (zj_fused_work) costs ZJ_FUSE_FIXED_MS +
     per_unit x work ms; per_unit starts at ZJ_FUSE_PRIOR_MS_PER_UNIT and
     moves towards the measured (ms - fixed) / work of the compiles done,
     weighted by their count against ZJ_FUSE_PRIOR_N prior compiles;
   - a fused kernel saves saving_ns ns per work unit per example over its
     stencil kernel: the prior ZJ_FUSE_PRIOR_NS_PER_UNIT, moved the same
     way towards timed lane evaluations of one structure on its stencils
     and then on its fused kernel.
   Samples with a non-positive or non-finite time, work or example count
   are ignored. */
#define ZJ_FUSE_FIXED_MS 40.0
#define ZJ_FUSE_PRIOR_MS_PER_UNIT 0.45
#define ZJ_FUSE_PRIOR_NS_PER_UNIT 0.04
#define ZJ_FUSE_PRIOR_N 2.0
#define ZJ_FUSE_MARGIN 1.5
typedef struct zj_fuse_model {
  double ms_excess, work;      /* sums over compiles: ms beyond the fixed
                                  cost, and work units */
  long compiles;
  double saving_sum;           /* sum of measured ns per unit per example */
  long savings;
} zj_fuse_model;

void zj_fuse_model_init (zj_fuse_model *m);
/* n fused kernels of `work` units together took ms to compile. */
void zj_fuse_model_add_compile (zj_fuse_model *m, int n, double work,
                                double ms);
/* One structure of `work` units ran stencil_ns and then fused_ns ns per
   example (each from a timed lane evaluation). */
void zj_fuse_model_add_saving (zj_fuse_model *m, double work,
                               double stencil_ns, double fused_ns);
/* The learned figures: compile ms per work unit, saving ns per work unit
   per example (<= 0: fusing does not pay). */
double zj_fuse_model_ms_per_unit (const zj_fuse_model *m);
double zj_fuse_model_ns_per_unit (const zj_fuse_model *m);
/* Expected compile ms of a kernel of `work` units. */
double zj_fuse_model_compile_ms (const zj_fuse_model *m, double work);
/* Expected ms saved, less the compile, by fusing a structure of `work`
   units whose past `uses` evaluations of `examples` examples are the
   guess of its future ones. */
double zj_fuse_model_net_ms (const zj_fuse_model *m, double work,
                             double examples, long uses);
/* Whether fusing it pays: uses x examples x saving >= ZJ_FUSE_MARGIN x
   compile. */
bool zj_fuse_model_pays (const zj_fuse_model *m, double work,
                         double examples, long uses);
/* The fewest uses at which it pays (LONG_MAX: never). */
long zj_fuse_model_uses (const zj_fuse_model *m, double work,
                         double examples);
void zj_cost_model_add_child (zj_cost_model *m, bool kept);
double zj_cost_model_keep_rate (const zj_cost_model *m);

/* Counters of the tiered evaluator (jit/tier.c), for progress lines. */
typedef struct zj_tier_stats {
  zj_tier_mode mode;
  long lookups;                /* tiered evaluations */
  long base_kernels;           /* baseline step kernels made ready */
  long base_hits;              /* lane evaluations that reused one */
  long base_skips;             /* ... that the policy left interpreted */
  long base_failures;          /* stencil libraries that failed to load */
  long base_fallbacks;         /* lane evaluations interpreted for lack of
                                  code (library building or failed) */
  long base_waits;             /* ... of them while its library was still
                                  building in the background */
  double base_ready_ms;        /* time spent making kernels ready */
  double base_ratio;           /* baseline / interpreter ns per example on
                                  the same structures (0: not measured) */
  double base_margin;          /* under auto, the A/B test's scale of the
                                  baseline's margin (zj_base_model) at the
                                  last report of a door: above 1, the
                                  policy lost a window and makes fewer
                                  kernels (0: not probing) */
  double examples_base;        /* examples run on baseline code */
  long fused_requests;         /* fused step kernels queued (jit/fused.h) */
  long fused_compiles;         /* ... compiled */
  long fused_failures;         /* ... whose compile failed (stencils kept) */
  double fused_ms;             /* their compile worker wall time */
  long fused_hits;             /* lane evaluations that ran one */
  double examples_fused;       /* examples run on fused code */
  long ptask_kernels;          /* per-task step kernels made (jit/ptask.h) */
  long ptask_hits;             /* candidates that reused one */
  long ptask_failures;         /* per-task libraries that failed to load */
  double ptask_ready_ms;       /* time spent making them ready */
  double examples_ptask;       /* examples run on per-task stencils */
  long split_evals;            /* lane evaluations whose short last chunk
                                  ran per task (zj_door_split_rest) */
  long quiet;                  /* candidates the doors let pass quietly,
                                  where nothing paid (jit/tier_door.c) */
  double fused_ms_per_unit;    /* learned compile ms per work unit */
  double fused_ns_per_unit;    /* learned saving, ns per unit per example */
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
