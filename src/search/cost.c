/* cost.c -- static cost model of ops for the train budget (doc/semantics.md, "Combining tasks").
 *
 * The original uses per-op constants measured on its own build; we derive
 * a cost from what an op touches at features size F, in units of one
 * scalar arithmetic operation (see doc/deviations.md).  Only ratios
 * against the baseline algorithm matter, and those follow the same shape:
 * elementwise ops scale with the output size, products with the work, and
 * transcendental/random ops weigh more per element.
 */
#include "internal.h"
#include "cost.h"

static double
kind_size (zj_kind k, int F)
{
  return k == ZJ_KIND_S ? 1.0 : k == ZJ_KIND_V ? (double) F
       : k == ZJ_KIND_M ? (double) F * F : 0.0;
}

double
zj_op_cost (int op, int F)
{
  const double dispatch = 2.0;     /* every instruction, no-ops included */
  const zj_op_info *o = &zj_ops[op];
  const double f = (double) F;
  switch (op)
    {
    case ZJ_NO_OP:
      return dispatch;
    case ZJ_MATRIX_VECTOR_PRODUCT_OP:
      return dispatch + 2.0 * f * f;
    case ZJ_MATRIX_MATRIX_PRODUCT_OP:
      return dispatch + 2.0 * f * f * f;
    case ZJ_SCALAR_SIN_OP: case ZJ_SCALAR_COS_OP: case ZJ_SCALAR_TAN_OP:
    case ZJ_SCALAR_ARCSIN_OP: case ZJ_SCALAR_ARCCOS_OP:
    case ZJ_SCALAR_ARCTAN_OP: case ZJ_SCALAR_EXP_OP: case ZJ_SCALAR_LOG_OP:
      return dispatch + 20.0;
    default:
      break;
    }
  double work = kind_size (o->out, F);
  if (o->in1 != ZJ_KIND_N && kind_size (o->in1, F) > work)
    work = kind_size (o->in1, F);   /* reductions read more than they write */
  if (o->data == ZJ_DATA_UNIF || o->data == ZJ_DATA_GAUSS)
    work *= 10.0;
  if (o->data == ZJ_DATA_VSET || o->data == ZJ_DATA_MSET)
    work = 1.0;
  return dispatch + work;
}

double
zj_fn_cost (const zj_fn *fn, int F)
{
  double c = 0.0;
  for (int i = 0; i < fn->n; i++)
    c += zj_op_cost (fn->ins[i].op, F);
  return c;
}
