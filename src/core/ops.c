/* ops.c -- the op table, derived from ops.def. */
#define ZJ_OPS_IMPL 1    /* the exported zj_op_is_random, not the macro */
#include "internal.h"
#include <string.h>

#define K_N ZJ_KIND_N
#define K_S ZJ_KIND_S
#define K_V ZJ_KIND_V
#define K_M ZJ_KIND_M
#define ARITY(k1, k2) ((K_##k1 != K_N) + (K_##k2 != K_N))

const zj_op_info zj_ops[ZJ_NUM_OPS] = {
#define ZJ_OP(id, name, k1, k2, ko, data, rand, cost, form) \
  [id] = { #name, K_##k1, K_##k2, K_##ko, ZJ_DATA_##data, form, ARITY (k1, k2), \
           rand },
#include <zerojit/ops.def>
#undef ZJ_OP
};

#define R_NIL ZJ_FIELD_NIL
#define R_IDX ZJ_FIELD_IDX
#define R_VAL ZJ_FIELD_VAL
#define R_SD ZJ_FIELD_SD
#define R_LOHI ZJ_FIELD_LOHI
#define IS(r, role) (R_##r == ZJ_FIELD_##role)
#define USED(r) (R_##r != ZJ_FIELD_NIL)
const zj_data_info zj_data_kinds[ZJ_NUM_DATA_KINDS] = {
#define ZJ_DATA(name, f0, f1, f2) \
  [ZJ_DATA_##name] = { { R_##f0, R_##f1, R_##f2 }, \
                       USED (f0) + USED (f1) + USED (f2), \
                       IS (f0, IDX) + IS (f1, IDX) + IS (f2, IDX), \
                       ZJ_DATA_##name == ZJ_DATA_ACT },
#include <zerojit/ops.def>
#undef ZJ_DATA
};

const char *const zj_component_names[ZJ_NUM_COMPONENTS] = {
  "Setup", "Predict", "Learn"
};

int
zj_op_lookup (const char *name)
{
  for (int i = 0; i < ZJ_NUM_OPS; i++)
    if (strcmp (zj_ops[i].name, name) == 0)
      return i;
  return -1;
}

bool
zj_op_is_random (int op)
{
  return zj_op_is_random_inl (op);
}
