/* evaluator.h -- fitness of a program over a list of tasks
 * (doc/semantics.md, "Combining tasks" and "FEC"), with the functional
 * equivalence cache (fec.c), the train budget (budget.c), hurdles
 * (hurdle.c) and an exact-duplicate cache (dedup.c) in front of them all;
 * native code through the tier door (tier_door.h).
 */
#ifndef ZJ_EVALUATOR_H
#define ZJ_EVALUATOR_H
#include <zerojit/zerojit.h>
#include <zerojit/spec.h>
#include <zerojit/search.h>
#include "internal.h"         /* zj_prune_memo, zj_mut_site */
#include "fec.h"
#include "policy.h"

struct zj_tier;
struct zj_stash;

typedef struct zj_evaluator_cfg {
  zj_combination mode;
  double max_abs_error;
  bool fec;
  int fec_train, fec_valid, fec_cache_size, fec_forget_every;
  bool budget;
  zj_algorithm_id budget_baseline;
  double budget_factor;
  bool dedup;                  /* exact-duplicate cache */
  int dedup_slots;             /* power of two */
  bool batch;                  /* run tasks together when possible */
  /* Progressive hurdles (off by default): after the first hurdle_tasks
     tasks, a candidate whose mean fitness on them is below the
     hurdle_percentile of recent candidates' stops; its other tasks score 0. */
  bool hurdles;
  int hurdle_tasks;            /* 1 */
  double hurdle_percentile;    /* 50 */
  int hurdle_window;           /* recent candidates considered (512) */
  bool final_stage;            /* select/final evaluation: no future evals */
  bool no_shortcuts;           /* zj_eval_opts.no_shortcuts (default off) */
  /* Real runs after an FEC miss start from Setup instead of from the
     mini-run's lanes (zj_lsnap_mode; same results): for tests. */
  bool no_resume;
  /* The search's spare tables (stash.h): the duplicate cache and the FEC
     come from it and go back to it; NULL: the evaluator's own. */
  struct zj_stash *stash;
} zj_evaluator_cfg;

typedef struct zj_eval_counters {
  long evaluations;            /* calls of zj_evaluator_eval */
  long dedup_hits;             /* answered without executing anything */
  long fec_hits, fec_misses;
  long task_evals;             /* full (non-FEC) task evaluations */
  long examples;               /* train + validation examples executed */
  long hurdled;                /* candidates stopped by a hurdle */
  /* Lane (batched) evaluations that record nothing, those whose program
     has a training-shortcut plan, and those that took it
     (doc/shortcuts.md). */
  long lane_evals, sc_eligible, shortcuts;
} zj_eval_counters;

typedef struct zj_evaluator zj_evaluator;

/* tasks are borrowed; rng is the shared search generator (borrowed).
   sp supplies the shape's address counts and size_init for the budget
   baseline; it may be NULL when cfg->budget is false. */
zj_evaluator *zj_evaluator_new (const zj_evaluator_cfg *cfg,
                                const zj_task *tasks, int n_tasks,
                                const zj_shape *shape,
                                const zj_search_space *sp, zj_rng *rng,
                                zj_error *err);
void zj_evaluator_free (zj_evaluator *e);

/* Combined fitness in [0,1]; 0 for programs that do not fit the shape. */
double zj_evaluator_eval (zj_evaluator *e, const zj_program *p);
/* zj_evaluator_eval of a child: p is the program whose prune parent (or
   NULL, and then site too) describes but for site (zj_mutate_site).  memo (may be NULL, may
   be parent) receives p's own; a memo is only a shortcut to the prune
   and to the duplicate cache's key, so the result is
   zj_evaluator_eval's. */
double zj_evaluator_eval_child (zj_evaluator *e, const zj_program *p,
                                const zj_prune_memo *parent,
                                const zj_mut_site *site, zj_prune_memo *memo);
/* Children zj_evaluator_eval_child prepared from their parent's memo. */
long zj_evaluator_memo_prunes (const zj_evaluator *e);
/* Per-task fitnesses of the last evaluation (n_tasks of them). */
const double *zj_evaluator_task_fitness (const zj_evaluator *e);
long zj_evaluator_train_steps (const zj_evaluator *e);
zj_eval_counters zj_evaluator_counters (const zj_evaluator *e);
/* Real runs that continued from the FEC mini-run's lanes (zj_lsnap_mode). */
unsigned long zj_evaluator_resumed (const zj_evaluator *e);
const zj_fec *zj_evaluator_fec (const zj_evaluator *e);

/* Tiered execution (jit/tier.c): tier is borrowed and may be shared by
   several evaluators; NULL (the default) runs the interpreter only.
   Results never depend on the tier. */
void zj_evaluator_set_tier (zj_evaluator *e, struct zj_tier *tier);
/* Tier counters; false when no tier is in use. */
bool zj_evaluator_tier_stats (const zj_evaluator *e, zj_tier_stats *s);
/* Structure hash of the last evaluated program, 0 if it was not looked
   up (no tier, or an exact-duplicate hit). */
uint64_t zj_evaluator_last_structure (const zj_evaluator *e);
/* True if the last evaluation may still profit from a compile; then the
   caller may pass the expected children from its rank to promote. */
bool zj_evaluator_wants_rank (const zj_evaluator *e);
void zj_evaluator_promote (zj_evaluator *e, double children);
/* A child was evaluated; kept: same structure as its parent. */
void zj_evaluator_note_child (zj_evaluator *e, bool kept);

/* Checkpoint (ckpt.h): the state that shapes later evaluations (train
   steps, counters, FEC, duplicate cache, hurdle window), out of an
   evaluator or into one freshly built from the same flags and spec. */
struct zj_ckpt_eval;
void zj_evaluator_export (const zj_evaluator *e, struct zj_ckpt_eval *x);
int zj_evaluator_import (zj_evaluator *e, const struct zj_ckpt_eval *x,
                         zj_error *err);

void zj_evaluator_cfg_default (zj_evaluator_cfg *cfg);
void zj_evaluator_cfg_from_spec (zj_evaluator_cfg *cfg,
                                 const zj_search_spec *spec);
#endif
