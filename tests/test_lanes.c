/* test_lanes.c -- the lane interpreter (tasks in SIMD lanes) gives every
 * task bit for bit the result of a separate evaluation: fitness, steps,
 * abort flag and recorded errors, for random programs over all
 * deterministic ops, every F, both eval types, any number of tasks. */
#include <criterion/criterion.h>
#include "testutil.h"
#include "laneutil.h"

static void
compare_n (int F, zj_eval_type et, int epochs, int nt, int ntr, int n_programs,
           uint64_t seed)
{
  const zj_shape sh = { F, 5, 4, 3 };
  zj_task *ts = make_tasks (F, nt, ntr, 7, epochs, et, seed);
  zj_workspace *ws1 = zj_workspace_new (&sh), *ws2 = zj_workspace_new (&sh);
  zj_rng r;
  zj_rng_seed (&r, seed * 7 + 1);
  zj_program p;
  zj_program_init (&p);
  counts c = { 0, 0, 0 };
  for (int n = 0; n < n_programs; n++)
    {
      zj_test_random_program (&r, &sh, &p);
      zj_prepared *pp = zj_test_prepare (&p, &sh, n % 2 == 0);
      zj_eval_opts o;
      zj_eval_opts_default (&o);
      /* Sometimes a cap, sometimes no recording (the search's real runs,
         which take the fused training path). */
      o.record_errors = n % 4 == 3 ? 8 : n % 5 == 2 ? 0 : NREC;
      if (n % 3 == 1)
        o.n_all_train = 5 + n % (ntr + 5);   /* FEC-like mini-run, maybe 2 epochs */
      if (n % 3 == 2)
        o.n_valid = 3 + n % 4;
      char what[96];
      snprintf (what, sizeof what, "F=%d et=%d nt=%d program %d", F, (int) et, nt, n);
      check_program (pp, ts, nt, &o, ws1, ws2, what, &c);
      zj_prepared_free (pp);
    }
  /* The suite must exercise aborts of both kinds, or it proves little. */
  if (et == ZJ_RMS_ERROR && nt >= 4)
    cr_assert_gt (c.aborted, 0);
  if (et == ZJ_RMS_ERROR && nt >= 5 && epochs > 1)
    cr_assert_gt (c.vaborted, 0);
  zj_program_free (&p);
  zj_workspace_free (ws1);
  zj_workspace_free (ws2);
  zj_test_tasks_free (ts, nt);
}

static void
compare (int F, zj_eval_type et, int epochs, int nt, int n_programs,
         uint64_t seed)
{
  compare_n (F, et, epochs, nt, 12, n_programs, seed);
}

Test (lanes, equals_separate_evaluations_rms)
{
  const int Fs[] = { 2, 4, 8, 16, 32 };
  const int nts[] = { 10, 5, 13, 3, 1 };
  for (int i = 0; i < 5; i++)
    {
      compare (Fs[i], ZJ_RMS_ERROR, 3, nts[i], i < 3 ? 250 : 120, 100 + (uint64_t) i);
      compare (Fs[i], ZJ_RMS_ERROR, 2, 10 - 2 * i + (i == 4), 60, 200 + (uint64_t) i);
    }
  /* Epochs longer than the block of steps whose examples are gathered at
     once (32 and 70 steps). */
  compare_n (4, ZJ_RMS_ERROR, 2, 10, 70, 80, 300);
  compare_n (2, ZJ_RMS_ERROR, 3, 6, 33, 60, 301);
  /* More tasks than two vectors of lanes hold (run-time lane count). */
  compare (4, ZJ_RMS_ERROR, 2, 19, 80, 302);
  compare (16, ZJ_RMS_ERROR, 1, 17, 40, 303);
}

Test (lanes, equals_separate_evaluations_accuracy)
{
  compare (2, ZJ_ACCURACY, 2, 7, 200, 5);
  compare (4, ZJ_ACCURACY, 2, 10, 250, 7);
  compare (8, ZJ_ACCURACY, 1, 1, 100, 9);
  compare (16, ZJ_ACCURACY, 1, 13, 100, 8);
  compare (32, ZJ_ACCURACY, 2, 4, 40, 11);
  compare (8, ZJ_ACCURACY, 2, 18, 60, 12);
}

/* The search's real runs record no errors, so training steps run fused
   inside the dispatch loop; a lane that aborts mid-block (task 3's huge
   labels) drops back to the per-task path for that step. */
Test (lanes, fused_training_steps_equal_separate_evaluations)
{
  const int F = 4, nt = 10;
  const zj_shape sh = { F, 5, 4, 3 };
  zj_task *ts = make_tasks (F, nt, 40, 7, 2, ZJ_RMS_ERROR, 44);
  zj_program p;
  zj_program_init (&p);
  zj_instr k = zj_test_ins (ZJ_SCALAR_CONST_SET_OP, 0, 0, 2);
  k.act = 0.05;
  zj_fn_push (&p.fn[ZJ_SETUP], k);
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_VECTOR_INNER_PRODUCT_OP, 1, 0, 1));
  push_sgd_learn (&p, 3);
  zj_prepared *pp = zj_test_prepare (&p, &sh, true);
  zj_workspace *ws1 = zj_workspace_new (&sh), *ws2 = zj_workspace_new (&sh);
  zj_eval_opts o;
  zj_eval_opts_default (&o);
  counts c = { 0, 0, 0 };
  check_program (pp, ts, nt, &o, ws1, ws2, "SGD, no recording", &c);
  o.n_all_train = 50;        /* stops inside the second epoch's block */
  check_program (pp, ts, nt, &o, ws1, ws2, "SGD, 50 steps", &c);
  cr_assert_geq (c.aborted, 2);   /* tasks 3 and 7 */
  zj_prepared_free (pp);
  zj_program_free (&p);
  zj_workspace_free (ws1);
  zj_workspace_free (ws2);
  zj_test_tasks_free (ts, nt);
}

/* A Predict that scales v0 in place: Learn must see the features again,
   not the scaled copy. */
Test (lanes, predict_writing_features_is_undone_before_learn)
{
  const int F = 8, nt = 6;
  const zj_shape sh = { F, 5, 4, 3 };
  zj_task *ts = make_tasks (F, nt, 12, 7, 2, ZJ_RMS_ERROR, 43);
  zj_program p;
  zj_program_init (&p);
  zj_instr k = zj_test_ins (ZJ_SCALAR_CONST_SET_OP, 0, 0, 2);
  k.act = 0.5;
  zj_fn_push (&p.fn[ZJ_SETUP], k);
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_SCALAR_VECTOR_PRODUCT_OP, 2, 0, 0));
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_VECTOR_INNER_PRODUCT_OP, 0, 1, 1));
  push_sgd_learn (&p, 4);
  zj_prepared *pp = zj_test_prepare (&p, &sh, true);
  cr_assert_eq (zj_prepared_program (pp)->fn[ZJ_PREDICT].n, 2);
  zj_workspace *ws1 = zj_workspace_new (&sh), *ws2 = zj_workspace_new (&sh);
  zj_eval_opts o;
  zj_eval_opts_default (&o);
  o.record_errors = NREC;
  counts c = { 0, 0, 0 };
  check_program (pp, ts, nt, &o, ws1, ws2, "predict scales v0", &c);
  cr_assert_eq (c.evals, nt);
  zj_prepared_free (pp);
  zj_program_free (&p);
  zj_workspace_free (ws1);
  zj_workspace_free (ws2);
  zj_test_tasks_free (ts, nt);
}

/* Predict keeps a counter in s3, so a lane whose validation pass aborts
   must keep the counter's value at the abort into the next epoch. */
Test (lanes, validation_abort_freezes_lane)
{
  const int F = 4, nt = 5;
  const zj_shape sh = { F, 5, 4, 3 };
  zj_task *ts = make_tasks (F, nt, 12, 7, 3, ZJ_RMS_ERROR, 42);
  zj_program p;
  zj_program_init (&p);
  zj_instr k = zj_test_ins (ZJ_SCALAR_CONST_SET_OP, 0, 0, 2);
  k.act = 0.01;
  zj_fn_push (&p.fn[ZJ_SETUP], k);
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_SCALAR_SUM_OP, 3, 2, 3));
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_VECTOR_INNER_PRODUCT_OP, 0, 1, 1));
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_SCALAR_SUM_OP, 1, 3, 1));
  push_sgd_learn (&p, 4);
  zj_prepared *pp = zj_test_prepare (&p, &sh, true);
  zj_workspace *ws1 = zj_workspace_new (&sh), *ws2 = zj_workspace_new (&sh);
  zj_eval_opts o;
  zj_eval_opts_default (&o);
  o.record_errors = NREC;
  counts c = { 0, 0, 0 };
  check_program (pp, ts, nt, &o, ws1, ws2, "counter program", &c);
  cr_assert_eq (c.aborted, 1);    /* task 3 (huge labels) */
  cr_assert_eq (c.vaborted, 1);   /* task 4 */
  zj_prepared_free (pp);
  zj_program_free (&p);
  zj_workspace_free (ws1);
  zj_workspace_free (ws2);
  zj_test_tasks_free (ts, nt);
}

Test (lanes, refuses_random_ops_mixed_tasks_and_other_sizes)
{
  const zj_shape sh = { 4, 5, 4, 3 };
  zj_task *ts = make_tasks (4, 2, 12, 7, 1, ZJ_RMS_ERROR, 1);
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
  cr_assert_eq (zj_interp_eval_lanes (pp, ptrs, 2, NULL, NULL, 0, ws, r, f), -1);
  zj_rng rng;
  zj_rng_seed (&rng, 1);
  cr_assert_eq (zj_interp_eval_lanes (pp, ptrs, 2, NULL, &rng, 0, ws, r, f), -1);
  zj_prepared_free (pp);
  /* In Setup: only with a generator. */
  zj_program_clear (&p);
  zj_fn_push (&p.fn[ZJ_SETUP], g);
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_SCALAR_SUM_OP, 1, 1, 1));
  pp = zj_prepare (&p, &sh, true, &err);
  cr_assert_eq (zj_interp_eval_lanes (pp, ptrs, 2, NULL, NULL, 0, ws, r, f), -1);
  cr_assert_eq (zj_interp_eval_lanes (pp, ptrs, 2, NULL, &rng, 0, ws, r, f), 0);
  zj_prepared_free (pp);
  zj_program_clear (&p);
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_SCALAR_SUM_OP, 2, 2, 1));
  pp = zj_prepare (&p, &sh, true, &err);
  ts[1].n_valid = 6;
  cr_assert_eq (zj_interp_eval_lanes (pp, ptrs, 2, NULL, NULL, 0, ws, r, f), -1);
  ts[1].n_valid = 7;
  ts[1].eval_type = ZJ_ACCURACY;
  cr_assert_eq (zj_interp_eval_lanes (pp, ptrs, 2, NULL, NULL, 0, ws, r, f), -1);
  ts[1].eval_type = ZJ_RMS_ERROR;
  cr_assert_eq (zj_interp_eval_lanes (pp, ptrs, 2, NULL, NULL, 0, ws, r, f), 0);
  cr_assert_eq (zj_interp_eval_lanes (pp, ptrs, 0, NULL, NULL, 0, ws, r, f), 0);
  zj_prepared_free (pp);
  zj_program_free (&p);
  zj_workspace_free (ws);
  zj_test_tasks_free (ts, 2);
}

/* Random ops in Setup only: the lanes run each task's Setup on the shared
   generator in task order (or restarted from a seed per task, as the FEC
   does), so every task and the generator end as after separate
   evaluations in order.  Random programs over all deterministic ops, with
   a random Setup op prepended; both eval types. */
static void
random_setup_case (zj_eval_type et, int F, int nt, uint64_t reseed,
                   uint64_t seed)
{
  const zj_shape sh = { F, 5, 4, 3 };
  zj_task *ts = make_tasks (F, nt, 12, 7, 2, et, seed);
  zj_workspace *ws1 = zj_workspace_new (&sh), *ws2 = zj_workspace_new (&sh);
  zj_rng r;
  zj_rng_seed (&r, seed + 5);
  static const int rops[] = { ZJ_SCALAR_GAUSSIAN_SET_OP, ZJ_VECTOR_UNIFORM_SET_OP,
                              ZJ_MATRIX_GAUSSIAN_SET_OP, ZJ_VECTOR_GAUSSIAN_SET_OP };
  int random_draws = 0;
  for (int n = 0; n < 60; n++)
    {
      zj_program p;
      zj_program_init (&p);
      zj_test_random_program (&r, &sh, &p);
      zj_instr g;
      zj_random_instruction (&r, rops[n % 4], &sh, &g);
      zj_fn_push (&p.fn[ZJ_SETUP], g);
      /* Half the programs draw first in Setup (later instructions may
         overwrite the draw), half last. */
      if (n % 2)
        {
          zj_instr tmp = p.fn[ZJ_SETUP].ins[0];
          p.fn[ZJ_SETUP].ins[0] = p.fn[ZJ_SETUP].ins[p.fn[ZJ_SETUP].n - 1];
          p.fn[ZJ_SETUP].ins[p.fn[ZJ_SETUP].n - 1] = tmp;
        }
      zj_prepared *pp = zj_test_prepare (&p, &sh, n % 3 == 0);
      zj_eval_opts o;
      zj_eval_opts_default (&o);
      o.record_errors = n % 2 ? NREC : 0;
      const zj_task *ptrs[MAX_NT];
      zj_eval_result rl[MAX_NT], rs;
      double fl[MAX_NT], te[MAX_NT][NREC], ve[MAX_NT][NREC], te1[NREC], ve1[NREC];
      for (int k = 0; k < nt; k++)
        {
          ptrs[k] = &ts[k];
          rl[k] = (zj_eval_result) { .train_err = te[k], .valid_err = ve[k] };
        }
      zj_rng g1, g2;
      zj_rng_seed (&g1, seed + (uint64_t) n);
      g2 = g1;
      cr_assert_eq (zj_interp_eval_lanes (pp, ptrs, nt, &o, &g2, reseed, ws2,
                                          rl, fl), 0);
      for (int k = 0; k < nt; k++)
        {
          rs = (zj_eval_result) { .train_err = te1, .valid_err = ve1 };
          if (reseed)
            zj_rng_seed (&g1, reseed);
          const double fs = zj_interp_eval_task (pp, &ts[k], &o, &g1, ws1, &rs);
          cr_assert (memcmp (&fs, &fl[k], sizeof fs) == 0,
                     "program %d task %d: %.17g vs %.17g", n, k, fs, fl[k]);
          cr_assert_eq (rs.train_steps, rl[k].train_steps);
          cr_assert_eq (rs.aborted, rl[k].aborted);
          cr_assert_eq (rs.n_train_err, rl[k].n_train_err);
          cr_assert_eq (rs.n_valid_err, rl[k].n_valid_err);
          cr_assert (memcmp (te1, te[k], sizeof (double) * (size_t) rs.n_train_err) == 0);
          cr_assert (memcmp (ve1, ve[k], sizeof (double) * (size_t) rs.n_valid_err) == 0);
        }
      /* The shared generator is where separate evaluations leave it. */
      const uint64_t a = zj_rng_next (&g1), b = zj_rng_next (&g2);
      cr_assert_eq (a, b, "program %d: generator state differs", n);
      random_draws += zj_fn_is_random (&pp->prog, ZJ_SETUP);
      zj_prepared_free (pp);
      zj_program_free (&p);
    }
  cr_assert_gt (random_draws, 20);   /* pruning kept the random op often */
  zj_workspace_free (ws1);
  zj_workspace_free (ws2);
  zj_test_tasks_free (ts, nt);
}

Test (lanes, random_setup_equals_separate_evaluations)
{
  random_setup_case (ZJ_RMS_ERROR, 4, 10, 0, 41);
  random_setup_case (ZJ_ACCURACY, 16, 10, 0, 42);
  random_setup_case (ZJ_RMS_ERROR, 8, 5, 235732282, 43);
  random_setup_case (ZJ_ACCURACY, 2, 13, 235732282, 44);
}

/* ACCURACY's training sigmoid is skipped when nothing reads its result
   (zj_s1_sigmoid_dead) and the abort check becomes a NaN test of the raw
   logit.  Features up to ~1000 make raw logits far beyond max_abs_error,
   so a check that compared them with the labels would abort tasks the
   sigmoid keeps alive; NaN predictions must still abort.  Every
   evaluation equals separate ones (which always take the sigmoid), with
   the shortcut on and off, and both kinds of evaluation occur. */
Test (lanes, dead_training_sigmoid_equals_separate_evaluations)
{
  const int F = 4, nt = 10;
  const zj_shape sh = { F, 5, 4, 3 };
  zj_task *ts = make_tasks (F, nt, 20, 7, 2, ZJ_ACCURACY, 91);
  for (int k = 0; k < nt; k += 2)
    for (int i = 0; i < ts[k].n_train * F; i++)
      ts[k].train_x[i] *= 300.0;
  zj_workspace *ws1 = zj_workspace_new (&sh), *ws2 = zj_workspace_new (&sh);
  zj_rng r;
  zj_rng_seed (&r, 92);
  zj_program p;
  zj_program_init (&p);
  counts dead = { 0, 0, 0 }, live = { 0, 0, 0 };
  int big = 0;
  for (int n = 0; n < 1500; n++)
    {
      zj_test_random_program (&r, &sh, &p);
      if (n % 3 == 0)
        {
          /* A logit that can be large: s1 = dot(v1, v0) with v1 = v0 of
             the step's Learn (v1 = v0 + v0 reads no s1). */
          p.fn[ZJ_PREDICT].n = 0;
          p.fn[ZJ_LEARN].n = 0;
          zj_fn_push (&p.fn[ZJ_PREDICT],
                      zj_test_ins (ZJ_VECTOR_INNER_PRODUCT_OP, 1, 0, 1));
          zj_fn_push (&p.fn[ZJ_LEARN], zj_test_ins (ZJ_VECTOR_SUM_OP, 0, 0, 1));
          big++;
        }
      zj_prepared *pp = zj_test_prepare (&p, &sh, true);
      const bool is_dead = zj_s1_sigmoid_dead (zj_prepared_program (pp));
      for (int off = 0; off < 2; off++)
        {
          zj_eval_opts o;
          zj_eval_opts_default (&o);
          o.record_errors = 0;
          o.no_shortcuts = off;
          char what[96];
          snprintf (what, sizeof what, "program %d dead=%d off=%d", n,
                    (int) is_dead, off);
          check_program (pp, ts, nt, &o, ws1, ws2, what,
                         is_dead ? &dead : &live);
        }
      zj_prepared_free (pp);
    }
  cr_assert_gt (big, 0);
  cr_assert_gt (dead.evals, 1000, "%d", dead.evals);
  cr_assert_gt (live.evals, 100, "%d", live.evals);
  cr_assert_gt (dead.aborted, 20, "%d", dead.aborted);
  zj_program_free (&p);
  zj_workspace_free (ws1);
  zj_workspace_free (ws2);
  zj_test_tasks_free (ts, nt);
}

/* Lane memory starts at zero in every evaluation: a program that names
   nothing predicts from a zero s1, whatever an earlier program left in
   the workspace. */
Test (lanes, memory_left_by_an_earlier_program_is_not_read)
{
  const int F = 4, NT = 10;
  const zj_shape sh = { F, 5, 4, 3 };
  zj_task *ts = make_tasks (F, NT, 12, 7, 1, ZJ_RMS_ERROR, 820);
  zj_workspace *ws1 = zj_workspace_new (&sh), *ws2 = zj_workspace_new (&sh);
  zj_eval_opts o;
  zj_eval_opts_default (&o);
  counts c = { 0, 0, 0 };
  zj_program p;
  zj_program_init (&p);
  /* Setup fills every scalar and a vector. */
  for (int a = 1; a < 5; a++)
    {
      zj_instr in = zj_test_ins (ZJ_SCALAR_CONST_SET_OP, 0, 0, a);
      in.act = 0.25 * a;
      zj_fn_push (&p.fn[ZJ_SETUP], in);
    }
  zj_fn_push (&p.fn[ZJ_SETUP], zj_test_ins (ZJ_SCALAR_VECTOR_PRODUCT_OP, 2, 0, 3));
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_VECTOR_INNER_PRODUCT_OP, 3, 0, 4));
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_SCALAR_SUM_OP, 4, 1, 1));
  zj_prepared *pp = zj_test_prepare (&p, &sh, false);
  check_program (pp, ts, NT, &o, ws1, ws2, "filling program", &c);
  zj_prepared_free (pp);
  /* Then programs that name no address, or only s0. */
  zj_program_clear (&p);
  pp = zj_test_prepare (&p, &sh, false);
  check_program (pp, ts, NT, &o, ws1, ws2, "empty program", &c);
  zj_prepared_free (pp);
  zj_fn_push (&p.fn[ZJ_LEARN], zj_test_ins (ZJ_SCALAR_SUM_OP, 0, 0, 0));
  pp = zj_test_prepare (&p, &sh, false);
  check_program (pp, ts, NT, &o, ws1, ws2, "s0 only", &c);
  zj_prepared_free (pp);
  zj_program_free (&p);
  zj_workspace_free (ws1);
  zj_workspace_free (ws2);
  zj_test_tasks_free (ts, NT);
}
