/* test_batch.c -- evaluating one program on several tasks at once gives
 * every task exactly the result of a separate evaluation. */
#include <criterion/criterion.h>
#include <math.h>
#include "testutil.h"
#include "internal.h"
#include <zerojit/search.h>

#define NT 5

/* NT tasks with the same counts: y = tanh-ish nonlinearity of x, with one
   task whose labels are huge so that programs abort on it. */
static zj_task *
make_tasks (int F, int ntr, int nva, int epochs, zj_eval_type et, uint64_t seed)
{
  zj_rng r;
  zj_rng_seed (&r, seed);
  zj_task *ts = calloc (NT, sizeof *ts);
  double *tx = malloc (sizeof (double) * (size_t) (ntr * F));
  double *vx = malloc (sizeof (double) * (size_t) (nva * F));
  double *ty = malloc (sizeof (double) * (size_t) ntr);
  double *vy = malloc (sizeof (double) * (size_t) nva);
  for (int k = 0; k < NT; k++)
    {
      const double scale = k == NT - 1 ? 1e3 : 1.0;
      for (int i = 0; i < ntr * F; i++) tx[i] = zj_rng_normal (&r);
      for (int i = 0; i < nva * F; i++) vx[i] = zj_rng_normal (&r);
      for (int i = 0; i < ntr; i++)
        ty[i] = et == ZJ_ACCURACY ? (tx[i * F] > 0) : scale * (tx[i * F] - tx[i * F + 1]);
      for (int i = 0; i < nva; i++)
        vy[i] = et == ZJ_ACCURACY ? (vx[i * F] > 0) : scale * (vx[i * F] - vx[i * F + 1]);
      zj_task *t = zj_test_task (F, ntr, tx, ty, nva, vx, vy, epochs, et);
      zj_test_shuffle_epochs (t, &r);   /* later epochs, per task */
      ts[k] = *t;
      ts[k].index = k;
      free (t);
    }
  free (tx); free (vx); free (ty); free (vy);
  return ts;
}

static void
compare (int F, zj_eval_type et, int epochs, int n_programs, uint64_t seed)
{
  const zj_shape sh = { F, 5, 4, 3 };
  zj_task *ts = make_tasks (F, 12, 7, epochs, et, seed);
  const zj_task *ptrs[NT];
  for (int k = 0; k < NT; k++)
    ptrs[k] = &ts[k];
  zj_workspace *ws1 = zj_workspace_new (&sh), *ws2 = zj_workspace_new (&sh);
  zj_rng r;
  zj_rng_seed (&r, seed * 7 + 1);
  zj_program p;
  zj_program_init (&p);
  double te1[NT][8], ve1[NT][8], te2[NT][8], ve2[NT][8];
  int aborted = 0;
  for (int n = 0; n < n_programs; n++)
    {
      zj_test_random_program (&r, &sh, &p);
      zj_error err;
      zj_prepared *pp = zj_prepare (&p, &sh, n % 2 == 0, &err);
      cr_assert_not_null (pp, "%s", err.msg);
      zj_eval_opts o;
      zj_eval_opts_default (&o);
      o.record_errors = 8;
      if (n % 3 == 1)
        o.n_all_train = 5;     /* FEC-like mini-run */
      if (n % 3 == 2)
        o.n_valid = 3;
      zj_eval_result rb[NT];
      double fb[NT];
      for (int k = 0; k < NT; k++)
        {
          rb[k] = (zj_eval_result) { 0 };
          rb[k].train_err = te2[k];
          rb[k].valid_err = ve2[k];
        }
      cr_assert_eq (zj_interp_eval_batch (pp, ptrs, NT, &o, NULL, 0, ws2, rb, fb), 0);
      for (int k = 0; k < NT; k++)
        {
          zj_eval_result rs = { 0 };
          rs.train_err = te1[k];
          rs.valid_err = ve1[k];
          zj_rng unused;
          zj_rng_seed (&unused, 1);
          double fs = zj_interp_eval_task (pp, &ts[k], &o, &unused, ws1, &rs);
          cr_assert (memcmp (&fs, &fb[k], sizeof fs) == 0,
                     "program %d task %d: %.17g vs %.17g", n, k, fs, fb[k]);
          cr_assert_eq (rs.train_steps, rb[k].train_steps, "program %d task %d", n, k);
          cr_assert_eq (rs.aborted, rb[k].aborted);
          cr_assert_eq (rs.n_train_err, rb[k].n_train_err);
          cr_assert_eq (rs.n_valid_err, rb[k].n_valid_err);
          cr_assert (memcmp (te1[k], te2[k], sizeof (double) * (size_t) rs.n_train_err) == 0);
          cr_assert (memcmp (ve1[k], ve2[k], sizeof (double) * (size_t) rs.n_valid_err) == 0);
          aborted += rs.aborted;
        }
      zj_prepared_free (pp);
    }
  /* The suite must exercise aborts, or it proves little. */
  if (et == ZJ_RMS_ERROR)
    cr_assert_gt (aborted, 0);
  zj_program_free (&p);
  zj_workspace_free (ws1);
  zj_workspace_free (ws2);
  for (int k = 0; k < NT; k++)
    zj_task_free (&ts[k]);
  free (ts);
}

Test (batch, equals_separate_evaluations_rms)
{
  const int Fs[] = { 2, 4, 8, 16, 32 };
  for (int i = 0; i < 5; i++)
    compare (Fs[i], ZJ_RMS_ERROR, 3, 300, 100 + (uint64_t) i);
}

Test (batch, equals_separate_evaluations_accuracy)
{
  compare (4, ZJ_ACCURACY, 2, 300, 7);
  compare (16, ZJ_ACCURACY, 1, 200, 8);
}

Test (batch, refuses_random_ops_and_mixed_tasks)
{
  const zj_shape sh = { 4, 5, 4, 3 };
  zj_task *ts = make_tasks (4, 12, 7, 1, ZJ_RMS_ERROR, 1);
  const zj_task *ptrs[2] = { &ts[0], &ts[1] };
  zj_workspace *ws = zj_workspace_new (&sh);
  zj_program p;
  zj_program_init (&p);
  zj_instr g = zj_test_ins (ZJ_SCALAR_GAUSSIAN_SET_OP, 0, 0, 1);
  g.fd[1] = 1.0f;
  zj_fn_push (&p.fn[ZJ_PREDICT], g);
  zj_error err;
  zj_prepared *pp = zj_prepare (&p, &sh, true, &err);
  zj_eval_result r[2];
  memset (r, 0, sizeof r);
  double f[2];
  cr_assert_eq (zj_interp_eval_batch (pp, ptrs, 2, NULL, NULL, 0, ws, r, f), -1);
  zj_prepared_free (pp);
  zj_program_clear (&p);
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_SCALAR_SUM_OP, 2, 2, 1));
  pp = zj_prepare (&p, &sh, true, &err);
  ts[1].n_valid = 6;
  cr_assert_eq (zj_interp_eval_batch (pp, ptrs, 2, NULL, NULL, 0, ws, r, f), -1);
  ts[1].n_valid = 7;
  zj_prepared_free (pp);
  zj_program_free (&p);
  zj_workspace_free (ws);
  for (int k = 0; k < NT; k++)
    zj_task_free (&ts[k]);
  free (ts);
}
