/* cost.c -- static cost model of ops for the train budget (budget.c;
 * doc/semantics.md, "Combining tasks").
 *
 * The original uses per-op constants measured on its own build; we derive
 * a cost from what an op touches at features size F, in units of one
 * scalar arithmetic operation (see doc/deviations.md), written in ops.def's
 * cost column.  Only ratios
 * against the baseline algorithm matter, and those follow the same shape:
 * elementwise ops scale with the output size, products with the work, and
 * transcendental/random ops weigh more per element.
 */
#include "internal.h"
#include "cost.h"

double
zj_op_cost (int op, int F)
{
  const double dispatch = 2.0;     /* every instruction, no-ops included */
  const zj_op_info *o = &zj_ops[op];
  /* W: elements of the larger of output and first input (reductions read
     more than they write); ops.def's cost column is in F and W. */
  double W = (double) zj_kind_elems (o->out, F);
  if (o->in1 != ZJ_KIND_N && (double) zj_kind_elems (o->in1, F) > W)
    W = (double) zj_kind_elems (o->in1, F);
  switch (op)
    {
#define ZJ_OP(id, name, k1, k2, ko, data, rand, cost, form) \
    case id: return dispatch + (cost);
#include <zerojit/ops.def>
#undef ZJ_OP
    }
  (void) W;
  return dispatch;
}

double
zj_fn_cost (const zj_fn *fn, int F)
{
  double c = 0.0;
  for (int i = 0; i < fn->n; i++)
    c += zj_op_cost (fn->ins[i].op, F);
  return c;
}
