/* budget.c -- the train budget (see budget.h). */
#include "internal.h"
#include "budget.h"
#include "cost.h"
#include <string.h>

int
zj_budget_init (zj_budget *b, bool on, zj_algorithm_id baseline,
                double factor, const zj_search_space *sp, zj_rng *rng,
                zj_error *err)
{
  memset (b, 0, sizeof *b);
  zj_program_init (&b->baseline);
  b->on = on;
  b->factor = factor;
  b->F = -1;
  if (!on)
    return 0;
  if (!sp)
    {
      zj_error_set (err, "train_budget needs a search space");
      return -1;
    }
  return zj_generate_algorithm (baseline, sp, rng, &b->baseline, err);
}

void
zj_budget_free (zj_budget *b)
{
  zj_program_free (&b->baseline);
}

long
zj_budget_steps (zj_budget *b, const zj_program *p, const zj_task *t)
{
  const long N = (long) t->n_train * t->epochs;
  if (!b->on)
    return N;
  if (b->F != t->F)
    {
      b->setup_cost = zj_fn_cost (&b->baseline.fn[ZJ_SETUP], t->F);
      b->train_cost = zj_fn_cost (&b->baseline.fn[ZJ_PREDICT], t->F)
                      + zj_fn_cost (&b->baseline.fn[ZJ_LEARN], t->F);
      b->F = t->F;
    }
  const double train = zj_fn_cost (&p->fn[ZJ_PREDICT], t->F)
                       + zj_fn_cost (&p->fn[ZJ_LEARN], t->F);
  const double cost = zj_fn_cost (&p->fn[ZJ_SETUP], t->F) + (double) N * train;
  const double limit = b->factor
                       * (b->setup_cost + (double) N * b->train_cost);
  return cost <= limit ? N : 0;
}
