/* ops.c -- the op table, derived from ops.def. */
#include "internal.h"
#include <string.h>

#define K_N ZJ_KIND_N
#define K_S ZJ_KIND_S
#define K_V ZJ_KIND_V
#define K_M ZJ_KIND_M
#define ARITY(k1, k2) ((K_##k1 != K_N) + (K_##k2 != K_N))

const zj_op_info zj_ops[ZJ_NUM_OPS] = {
#define ZJ_OP(id, name, k1, k2, ko, data, form) \
  [id] = { #name, K_##k1, K_##k2, K_##ko, ZJ_DATA_##data, form, ARITY (k1, k2) },
#include <zerojit/ops.def>
#undef ZJ_OP
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
  return op >= 0 && op < ZJ_NUM_OPS
         && (zj_ops[op].data == ZJ_DATA_UNIF || zj_ops[op].data == ZJ_DATA_GAUSS);
}
