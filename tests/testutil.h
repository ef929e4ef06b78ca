/* testutil.h -- small helpers shared by the Criterion suites. */
#ifndef ZJ_TESTUTIL_H
#define ZJ_TESTUTIL_H
#include <zerojit/zerojit.h>
#include <string.h>
#include <stdlib.h>

static inline zj_instr
zj_test_ins (int op, int in1, int in2, int out)
{
  zj_instr i;
  memset (&i, 0, sizeof i);
  i.op = (uint16_t) op;
  i.in1 = (uint16_t) in1;
  i.in2 = (uint16_t) in2;
  i.out = (uint16_t) out;
  return i;
}

/* A task with given train/valid arrays (copied); order = identity per epoch. */
static inline zj_task *
zj_test_task (int F, int ntr, const double *trx, const double *try_,
              int nva, const double *vax, const double *vay, int epochs,
              zj_eval_type et)
{
  zj_task *t = calloc (1, sizeof *t);
  t->F = F; t->n_train = ntr; t->n_valid = nva; t->epochs = epochs;
  t->eval_type = et;
  t->train_x = malloc (sizeof (double) * (size_t) (ntr * F + 1));
  t->train_y = malloc (sizeof (double) * (size_t) (ntr + 1));
  t->valid_x = malloc (sizeof (double) * (size_t) (nva * F + 1));
  t->valid_y = malloc (sizeof (double) * (size_t) (nva + 1));
  memcpy (t->train_x, trx, sizeof (double) * (size_t) (ntr * F));
  memcpy (t->train_y, try_, sizeof (double) * (size_t) ntr);
  memcpy (t->valid_x, vax, sizeof (double) * (size_t) (nva * F));
  memcpy (t->valid_y, vay, sizeof (double) * (size_t) nva);
  t->order = malloc (sizeof (int) * (size_t) (ntr * epochs + 1));
  for (int e = 0; e < epochs; e++)
    for (int i = 0; i < ntr; i++)
      t->order[e * ntr + i] = i;
  return t;
}
#endif
