/* evaluator.h -- fitness of a program over a list of tasks (reference 3.5,
 * 3.7, 7), with the functional equivalence cache, the train budget and an
 * exact-duplicate cache in front of both.
 */
#ifndef ZJ_EVALUATOR_H
#define ZJ_EVALUATOR_H
#include <zerojit/zerojit.h>
#include <zerojit/spec.h>
#include <zerojit/search.h>
#include "fec.h"

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
} zj_evaluator_cfg;

typedef struct zj_eval_counters {
  long evaluations;            /* calls of zj_evaluator_eval */
  long dedup_hits;             /* answered without executing anything */
  long fec_hits, fec_misses;
  long task_evals;             /* full (non-FEC) task evaluations */
  long examples;               /* train + validation examples executed */
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
/* Per-task fitnesses of the last evaluation (n_tasks of them). */
const double *zj_evaluator_task_fitness (const zj_evaluator *e);
long zj_evaluator_train_steps (const zj_evaluator *e);
zj_eval_counters zj_evaluator_counters (const zj_evaluator *e);
const zj_fec *zj_evaluator_fec (const zj_evaluator *e);

void zj_evaluator_cfg_default (zj_evaluator_cfg *cfg);
void zj_evaluator_cfg_from_spec (zj_evaluator_cfg *cfg,
                                 const zj_search_spec *spec);
#endif
