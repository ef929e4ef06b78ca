/* test_lanes_resume.c -- lanes kept after the FEC mini-run (TAKE) and
 * resumed by the real run (RESUME) give what a run from Setup gives. */
#include <criterion/criterion.h>
#include "testutil.h"
#include "laneutil.h"

/* The FEC mini-run keeps its lanes after its training steps (TAKE) and
   the real run continues from them (RESUME): every task must get bit for
   bit what a run from Setup gives (fitness, steps, abort flag), and the
   mini-run's own results must not change by keeping.  Random programs
   (Predict often writes memory its validation changes), tasks that abort
   during the mini-run, both eval types, several lane counts. */
static void
resume_case (int F, zj_eval_type et, int nt, int ntr, int epochs,
             int n_programs, uint64_t seed, long *resumed)
{
  const zj_shape sh = { F, 5, 4, 3 };
  zj_task *ts = make_tasks (F, nt, ntr, 7, epochs, et, seed);
  zj_workspace *wk = zj_workspace_new (&sh), *wf = zj_workspace_new (&sh);
  const zj_task *ptrs[MAX_NT];
  for (int k = 0; k < nt; k++)
    ptrs[k] = &ts[k];
  zj_rng r;
  zj_rng_seed (&r, seed * 3 + 7);
  zj_program p;
  zj_program_init (&p);
  for (int n = 0; n < n_programs; n++)
    {
      zj_test_random_program (&r, &sh, &p);
      zj_prepared *pp = zj_test_prepare (&p, &sh, true);
      /* The mini-run: as the FEC's, a few steps, recorded errors. */
      zj_eval_opts mo;
      zj_eval_opts_default (&mo);
      mo.n_all_train = 1 + n % ntr;
      mo.n_valid = 1 + n % 7;
      mo.record_errors = NREC;
      mo.no_fitness = true;
      double te[2][MAX_NT][NREC], ve[2][MAX_NT][NREC];
      zj_eval_result mr[2][MAX_NT];
      double mf[2][MAX_NT];
      for (int w = 0; w < 2; w++)
        for (int k = 0; k < nt; k++)
          mr[w][k] = (zj_eval_result) { .train_err = te[w][k],
                                        .valid_err = ve[w][k] };
      const uint64_t id = (uint64_t) n + 1;
      cr_assert_eq (zj_interp_eval_lanes_snap (pp, ptrs, nt, &mo, NULL, 0, wk,
                                               mr[0], mf[0], NULL, NULL,
                                               ZJ_LSNAP_TAKE, id), 0);
      cr_assert_eq (zj_interp_eval_lanes (pp, ptrs, nt, &mo, NULL, 0, wf,
                                          mr[1], mf[1]), 0);
      for (int k = 0; k < nt; k++)
        {
          cr_assert_eq (mr[0][k].train_steps, mr[1][k].train_steps);
          cr_assert_eq (mr[0][k].n_train_err, mr[1][k].n_train_err);
          cr_assert_eq (mr[0][k].n_valid_err, mr[1][k].n_valid_err);
          cr_assert (memcmp (te[0][k], te[1][k], sizeof (double)
                             * (size_t) mr[0][k].n_train_err) == 0);
          cr_assert (memcmp (ve[0][k], ve[1][k], sizeof (double)
                             * (size_t) mr[0][k].n_valid_err) == 0);
        }
      /* The real run: all steps (sometimes fewer, but at least the
         mini-run's), every validation example. */
      zj_eval_opts ro;
      zj_eval_opts_default (&ro);
      if (n % 4 == 1)
        ro.n_all_train = mo.n_all_train + n % 5;
      zj_eval_result rr[2][MAX_NT];
      double rf[2][MAX_NT];
      const unsigned long before = wk->n_resumed;
      cr_assert_eq (zj_interp_eval_lanes_snap (pp, ptrs, nt, &ro, NULL, 0, wk,
                                               rr[0], rf[0], NULL, NULL,
                                               ZJ_LSNAP_RESUME, id), 0);
      cr_assert_eq (zj_interp_eval_lanes (pp, ptrs, nt, &ro, NULL, 0, wf,
                                          rr[1], rf[1]), 0);
      *resumed += (long) (wk->n_resumed - before);
      for (int k = 0; k < nt; k++)
        {
          cr_assert (memcmp (&rf[0][k], &rf[1][k], sizeof (double)) == 0,
                     "F=%d et=%d program %d task %d: %.17g resumed, %.17g from Setup",
                     F, (int) et, n, k, rf[0][k], rf[1][k]);
          cr_assert_eq (rr[0][k].train_steps, rr[1][k].train_steps,
                        "program %d task %d", n, k);
          cr_assert_eq (rr[0][k].aborted, rr[1][k].aborted,
                        "program %d task %d", n, k);
        }
      /* The kept lanes served once: resuming again starts from Setup. */
      const unsigned long again = wk->n_resumed;
      cr_assert_eq (zj_interp_eval_lanes_snap (pp, ptrs, nt, &ro, NULL, 0, wk,
                                               rr[0], rf[0], NULL, NULL,
                                               ZJ_LSNAP_RESUME, id), 0);
      cr_assert_eq (wk->n_resumed, again);
      for (int k = 0; k < nt; k++)
        cr_assert (memcmp (&rf[0][k], &rf[1][k], sizeof (double)) == 0);
      zj_prepared_free (pp);
    }
  zj_program_free (&p);
  zj_workspace_free (wk);
  zj_workspace_free (wf);
  zj_test_tasks_free (ts, nt);
}

Test (lanes, resumed_real_run_equals_run_from_setup)
{
  /* RMS_ERROR: every real run resumes. */
  const struct { int F, nt, ntr, epochs, n; } rms[] = {
    { 4, 10, 20, 1, 300 }, { 4, 10, 12, 3, 200 }, { 2, 5, 40, 2, 150 },
    { 8, 3, 20, 1, 150 }, { 16, 13, 20, 2, 60 } };
  for (int i = 0; i < 5; i++)
    {
      long resumed = 0;
      resume_case (rms[i].F, ZJ_RMS_ERROR, rms[i].nt, rms[i].ntr,
                   rms[i].epochs, rms[i].n, 1100 + (uint64_t) i, &resumed);
      cr_assert_eq (resumed, rms[i].n, "case %d", i);
    }
  /* ACCURACY, labels 0/1: the real runs of programs whose training
     sigmoid is dead skip it (the recording mini-runs never do). */
  long resumed = 0;
  resume_case (4, ZJ_ACCURACY, 10, 20, 2, 200, 1105, &resumed);
  resume_case (8, ZJ_ACCURACY, 7, 33, 1, 100, 1106, &resumed);
  cr_assert_eq (resumed, 300);
}

/* Kept lanes are for the run named by the same id right after, on the
   same tasks: another id, other tasks, a call in between, random Setup
   ops (their draws come from another generator) all start from Setup. */
Test (lanes, kept_lanes_serve_only_the_named_next_run)
{
  const int F = 4, nt = 6;
  const zj_shape sh = { F, 5, 4, 3 };
  zj_task *ts = make_tasks (F, nt, 20, 7, 1, ZJ_RMS_ERROR, 1200);
  zj_workspace *ws = zj_workspace_new (&sh);
  const zj_task *ptrs[MAX_NT], *other[MAX_NT];
  for (int k = 0; k < nt; k++)
    {
      ptrs[k] = &ts[k];
      other[k] = &ts[nt - 1 - k];
    }
  zj_program p;
  zj_program_init (&p);
  zj_fn_push (&p.fn[ZJ_SETUP], zj_test_ins (ZJ_SCALAR_CONST_SET_OP, 0, 0, 2));
  p.fn[ZJ_SETUP].ins[0].act = 0.01;
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_VECTOR_INNER_PRODUCT_OP, 0, 1, 1));
  push_sgd_learn (&p, 3);
  zj_prepared *pp = zj_test_prepare (&p, &sh, true);
  zj_eval_opts mo, ro;
  zj_eval_opts_default (&mo);
  zj_eval_opts_default (&ro);
  mo.n_all_train = 10;
  mo.n_valid = 5;
  mo.record_errors = NREC;
  double te[MAX_NT][NREC], ve[MAX_NT][NREC], f[MAX_NT];
  zj_eval_result r[MAX_NT];
  for (int k = 0; k < nt; k++)
    r[k] = (zj_eval_result) { .train_err = te[k], .valid_err = ve[k] };
#define RUN(ptrs_, o_, mode_, id_) \
  cr_assert_eq (zj_interp_eval_lanes_snap (pp, ptrs_, nt, o_, NULL, 0, ws, \
                                           r, f, NULL, NULL, mode_, id_), 0)
  RUN (ptrs, &mo, ZJ_LSNAP_TAKE, 5);
  RUN (ptrs, &ro, ZJ_LSNAP_RESUME, 5);
  cr_assert_eq (ws->n_resumed, 1);
  RUN (ptrs, &mo, ZJ_LSNAP_TAKE, 5);
  RUN (ptrs, &ro, ZJ_LSNAP_RESUME, 6);           /* another id */
  RUN (ptrs, &mo, ZJ_LSNAP_TAKE, 7);
  RUN (other, &ro, ZJ_LSNAP_RESUME, 7);          /* other tasks */
  RUN (ptrs, &mo, ZJ_LSNAP_TAKE, 8);
  RUN (ptrs, &ro, ZJ_LSNAP_NONE, 0);             /* a call in between */
  RUN (ptrs, &ro, ZJ_LSNAP_RESUME, 8);
  RUN (ptrs, &mo, ZJ_LSNAP_TAKE, 9);
  RUN (ptrs, &mo, ZJ_LSNAP_RESUME, 9);           /* fewer steps: fits */
  cr_assert_eq (ws->n_resumed, 2);
  ro.n_all_train = 9;
  RUN (ptrs, &mo, ZJ_LSNAP_TAKE, 10);
  RUN (ptrs, &ro, ZJ_LSNAP_RESUME, 10);          /* fewer than kept */
  cr_assert_eq (ws->n_resumed, 2);
  /* Random Setup: nothing kept. */
  zj_fn_push (&p.fn[ZJ_SETUP], zj_test_ins (ZJ_VECTOR_GAUSSIAN_SET_OP, 0, 0, 1));
  p.fn[ZJ_SETUP].ins[1].fd[1] = 0.1f;
  zj_prepared *pr = zj_test_prepare (&p, &sh, false);
  zj_rng g;
  zj_rng_seed (&g, 3);
  cr_assert_eq (zj_interp_eval_lanes_snap (pr, ptrs, nt, &mo, &g, 9, ws, r, f,
                                           NULL, NULL, ZJ_LSNAP_TAKE, 11), 0);
  cr_assert_eq (zj_interp_eval_lanes_snap (pr, ptrs, nt, &ro, &g, 0, ws, r, f,
                                           NULL, NULL, ZJ_LSNAP_RESUME, 11), 0);
  cr_assert_eq (ws->n_resumed, 2);
#undef RUN
  zj_prepared_free (pr);
  zj_prepared_free (pp);
  zj_program_free (&p);
  zj_workspace_free (ws);
  zj_test_tasks_free (ts, nt);
}
