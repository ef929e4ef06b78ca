/* cost.h -- static op costs for the train budget. */
#ifndef ZJ_COST_H
#define ZJ_COST_H
#include <zerojit/zerojit.h>
double zj_op_cost (int op, int F);
double zj_fn_cost (const zj_fn *fn, int F);
#endif
