/* test_interp.c -- executor semantics of the interpreter. */
#include <criterion/criterion.h>
#include <math.h>
#include "testutil.h"

static zj_shape shape4 = { 4, 4, 3, 1 };

Test (interp, label_hidden_from_predict)
{
  /* Predict copies s0 into s1: with the label hidden, prediction is 0 and
     the error equals the label. */
  zj_program p;
  zj_program_init (&p);
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_SCALAR_SUM_OP, 0, 0, 1));
  double x[4] = { 1, 2, 3, 4 }, y[1] = { 0.5 };
  zj_task *t = zj_test_task (4, 1, x, y, 1, x, y, 1, ZJ_RMS_ERROR);
  zj_error err;
  zj_prepared *pp = zj_prepare (&p, &shape4, true, &err);
  cr_assert_not_null (pp);
  zj_workspace *ws = zj_workspace_new (&shape4);
  zj_rng rng;
  zj_rng_seed (&rng, 1);
  double f = zj_interp_eval_task (pp, t, NULL, &rng, ws, NULL);
  cr_assert_float_eq (f, 1.0 - (2.0 / M_PI) * atan (0.5), 1e-15);
  zj_task_free (t); free (t);
  zj_prepared_free (pp);
  zj_workspace_free (ws);
  zj_program_free (&p);
}
