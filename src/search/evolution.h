/* evolution.h -- regularized evolution (doc/semantics.md,
 * "Regularized evolution") plus a hall of
 * fame and a JSON progress log.
 */
#ifndef ZJ_EVOLUTION_H
#define ZJ_EVOLUTION_H
#include <zerojit/zerojit.h>
#include <zerojit/search.h>
#include "evaluator.h"
#include "stop.h"

/* What a status line shows while a search runs: written by the search
   thread after every evaluation, read by any thread (relaxed atomics:
   each field is one value, no invariant spans two). */
typedef struct zj_live_stats {
  _Atomic long individuals;
  _Atomic long train_steps;
  _Atomic double best;         /* best fitness evaluated so far */
} zj_live_stats;

typedef struct zj_evolution_cfg {
  int population_size, tournament_size;
  zj_algorithm_id initial_population;
  int64_t progress_every;
  FILE *progress_out;          /* progress lines; NULL = silent */
  bool tier_fields;            /* the tier's counters on every line */
  /* One progress-log line: the JSON fields without braces; NULL = none. */
  void (*log_line) (void *ctx, const char *fields);
  void *log_ctx;
  /* Checked before every evaluation; NULL = never. */
  const zj_stop *cancel, *interrupt;
  /* An interrupt with this reason (e.g. SIGTERM under --checkpoint) is
     left to `boundary` at the next generation boundary instead of
     stopping at the next evaluation; 0 = none. */
  int park_reason;
  zj_live_stats *live;         /* NULL = not reported */
  /* Called between generations, where the population's state alone
     determines its future (checkpoints are taken there); returning true
     ends the run like cancel.  NULL = never. */
  bool (*boundary) (void *ctx);
  void *boundary_ctx;
  bool tag_island;             /* JSON log lines say "island": island */
  int island;
} zj_evolution_cfg;

typedef struct zj_population zj_population;

zj_population *zj_population_new (const zj_evolution_cfg *cfg,
                                  const zj_search_space *sp,
                                  zj_evaluator *ev, zj_rng *rng);
void zj_population_free (zj_population *pop);

/* Fill every slot (generate, Mutate(0), evaluate) and print progress;
   a stop leaves the remaining slots empty (never chosen as the best). */
int zj_population_init (zj_population *pop, zj_error *err);
/* Whole generations until max_train_steps more training steps have run
   (or max_individuals individuals exist in total, when > 0). */
void zj_population_run (zj_population *pop, int64_t max_train_steps,
                        int64_t max_individuals);

long zj_population_individuals (const zj_population *pop);
/* Best of the current population (first on ties). */
const zj_program *zj_population_best (const zj_population *pop, double *fitness);
/* Best ever evaluated (hall of fame). */
const zj_program *zj_population_hall_of_fame (const zj_population *pop,
                                              double *fitness);

/* Migration (migration.c): the population size, slot i's program and
   fitness, and replacing slot i by an immigrant (its fitness travels
   with it; the slot keeps its place in the aging order). */
int zj_population_size (const zj_population *pop);
const zj_program *zj_population_slot (const zj_population *pop, int i,
                                      double *fitness);
void zj_population_replace (zj_population *pop, int i, const zj_program *p,
                            double fitness);
/* Exchange slot i's program and fitness with *p and *fitness, without
   copying: an emigrant leaves (and a second swap puts it back). */
void zj_population_swap (zj_population *pop, int i, zj_program *p,
                         double *fitness);
/* zj_population_replace by a swap: *p gets slot i's old program. */
void zj_population_take (zj_population *pop, int i, zj_program *p,
                         double fitness);

/* One tournament: `size` draws of a slot in [0, P) from rng; the first
   draw wins unless a later one is strictly fitter (the first of the
   fittest).  -1 if size < 1. */
int zj_tournament_pick (const double *fit, int P, int size, zj_rng *rng);

/* Checkpoint (ckpt.h): the slots, fitnesses, counters and hall of fame,
   out of a population between generations, or into one just created (not
   initialised) with the same configuration. */
struct zj_ckpt_pop;
void zj_population_export (const zj_population *pop, struct zj_ckpt_pop *x);
int zj_population_import (zj_population *pop, const struct zj_ckpt_pop *x,
                          const zj_shape *shape, zj_error *err);
#endif
