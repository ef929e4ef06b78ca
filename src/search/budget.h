/* budget.h -- the train budget: a candidate whose estimated training cost
 * on a task exceeds factor times a baseline algorithm's gets no training
 * steps there (all or none).  Costs are src/search/cost.c's units.
 */
#ifndef ZJ_BUDGET_H
#define ZJ_BUDGET_H
#include <zerojit/zerojit.h>
#include <zerojit/search.h>

typedef struct zj_budget {
  bool on;
  double factor;
  zj_program baseline;
  int F;                       /* F of the cached baseline costs, -1 none */
  double setup_cost, train_cost;
} zj_budget;

/* Off: every task gets all its steps.  On: builds the baseline algorithm
   (which draws from rng) over sp; -1 with err set if it cannot. */
int zj_budget_init (zj_budget *b, bool on, zj_algorithm_id baseline,
                    double factor, const zj_search_space *sp, zj_rng *rng,
                    zj_error *err);
void zj_budget_free (zj_budget *b);
/* Training steps the budget allows p (unpruned) on t: all or none. */
long zj_budget_steps (zj_budget *b, const zj_program *p, const zj_task *t);
#endif
