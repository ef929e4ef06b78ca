/* test_shortcut.c -- the lane evaluator's exact training shortcut
 * (doc/shortcuts.md): with shortcuts on and off, every random program
 * gives the same fitness bits, train_steps, abort flags and final lane
 * memory (also in the baseline tier); hand-written programs take or skip
 * it as the doc says; a stateless Predict that can produce NaN is never
 * shortcut and aborts where it did.  The proof's rules are tested in
 * test_shortcut_rules.c.
 */
#include <criterion/criterion.h>
#include "testutil.h"
#include "shortcututil.h"
#if ZJ_TEST_WITH_JIT
# include <zerojit/jit.h>
# include "baseline.h"
#endif

/* ------------------------------------------------- on vs off, random */

/* Random programs whose Learn is emptied half the time (the shortcut's
   precondition), Setup given a few extra writes so Predict reads
   something set. */
static counts
random_on_off (int F, zj_eval_type et, int epochs, int nt, int n_programs,
               uint64_t seed)
{
  const zj_shape sh = { F, 5, 4, 3 };
  zj_task *ts = make_tasks (F, nt, 11, 6, epochs, et, true, seed);
  zj_workspace *ws_on = test_ws (&sh), *ws_off = test_ws (&sh);
  zj_rng r;
  zj_rng_seed (&r, seed * 3 + 1);
  zj_program p;
  zj_program_init (&p);
  counts c = { 0, 0, 0, 0 };
  for (int n = 0; n < n_programs; n++)
    {
      zj_test_random_program (&r, &sh, &p);
      if (n % 2 == 0)
        p.fn[ZJ_LEARN].n = 0;
      if (n % 3 == 0)
        /* Predict that leaves s1 alone (ACCURACY: a sigmoid chain). */
        p.fn[ZJ_PREDICT].n--;
      zj_prepared *pp = zj_test_prepare (&p, &sh, true);
      zj_eval_opts o;
      zj_eval_opts_default (&o);
      if (n % 5 == 1)
        o.n_all_train = 3 + n % 15;     /* partial chunks, maybe 2 */
      if (n % 7 == 2)
        o.n_valid = 2 + n % 3;
      if (n % 11 == 3)
        o.max_abs_error = 0.75;         /* ACCURACY: labels 0/1 may abort */
      char what[160];
      snprintf (what, sizeof what, "F=%d et=%d epochs=%d nt=%d program %d",
                F, (int) et, epochs, nt, n);
      check_on_off (pp, ts, nt, &o, ws_on, ws_off, what, &c);
      zj_prepared_free (pp);
    }
  zj_program_free (&p);
  zj_workspace_free (ws_on);
  zj_workspace_free (ws_off);
  zj_test_tasks_free (ts, nt);
  return c;
}

static void
on_off_suite (zj_eval_type et)
{
  static const int sizes[] = { 2, 4, 8, 16 };
  const int n = zj_test_scale (250, 2500);
  counts all = { 0, 0, 0, 0 };
  for (int i = 0; i < 4; i++)
    for (int epochs = 1; epochs <= 2; epochs++)
      for (int nt = 1; nt <= 10; nt += 3)
        {
          counts c = random_on_off (sizes[i], et, epochs, nt, n,
                                    1000 + 31 * (uint64_t) i + 7 * epochs + nt);
          all.evals += c.evals;
          all.shortcuts += c.shortcuts;
          all.eligible += c.eligible;
          all.aborted += c.aborted;
        }
  /* The comparison proves something only if shortcuts were taken, and
     refused for eligible programs (unproven lanes) too. */
  cr_log_info ("et=%d: %ld evaluations, %ld eligible, %ld shortcut, %ld "
               "aborted tasks\n", (int) et, all.evals, all.eligible,
               all.shortcuts, all.aborted);
  cr_assert_gt (all.shortcuts, all.evals / 50);
  cr_assert_gt (all.eligible, all.shortcuts);
  cr_assert_gt (all.aborted, 0);
}

Test (shortcut, on_off_identical_rms, .timeout = 600)
{
  on_off_suite (ZJ_RMS_ERROR);
}

Test (shortcut, on_off_identical_accuracy, .timeout = 600)
{
  on_off_suite (ZJ_ACCURACY);
}

#if ZJ_TEST_WITH_JIT
/* The baseline tier's native Predict runs the kept last steps the same
   way (leval's d->nat path). */
Test (shortcut, on_off_identical_baseline_tier, .timeout = 900)
{
  char dir[4096];
  snprintf (dir, sizeof dir, "%s/shortcut", ZJ_TEST_CACHE_DIR);
  setenv ("ZEROJIT_CACHE_DIR", dir, 1);
  zj_baseline *b = zj_baseline_new (false);
  const zj_shape sh = { 4, 5, 4, 3 };
  const int n = zj_test_scale (150, 1500);
  long shortcuts = 0;
  for (int e = 0; e < 2; e++)
    {
      const zj_eval_type et = e ? ZJ_ACCURACY : ZJ_RMS_ERROR;
      zj_task *ts = make_tasks (4, 5, 11, 6, 2, et, true, 99 + (uint64_t) e);
      zj_workspace *ws_on = test_ws (&sh), *ws_off = test_ws (&sh);
      zj_baseline_attach (b, ws_on);
      zj_baseline_attach (b, ws_off);
      zj_rng r;
      zj_rng_seed (&r, 5 + (uint64_t) e);
      zj_program p;
      zj_program_init (&p);
      counts c = { 0, 0, 0, 0 };
      long native = 0;
      for (int k = 0; k < n; k++)
        {
          zj_test_random_program (&r, &sh, &p);
          p.fn[ZJ_LEARN].n = 0;
          if (k % 3 == 0)
            p.fn[ZJ_PREDICT].n--;
          zj_prepared *pp = zj_test_prepare (&p, &sh, true);
          zj_eval_opts o;
          zj_eval_opts_default (&o);
          char what[64];
          snprintf (what, sizeof what, "baseline et=%d program %d", (int) et, k);
          check_on_off (pp, ts, 5, &o, ws_on, ws_off, what, &c);
          native += ws_on->native_used;
          zj_prepared_free (pp);
        }
      cr_assert_gt (native, n / 2, "the baseline tier ran %ld of %d", native, n);
      shortcuts += c.shortcuts;
      zj_program_free (&p);
      zj_workspace_free (ws_on);
      zj_workspace_free (ws_off);
      zj_test_tasks_free (ts, 5);
    }
  cr_assert_gt (shortcuts, n / 10);
  zj_baseline_free (b);
}
#endif

/* ACCURACY, Predict leaves s1 alone: s1 is the sigmoid iterated once per
   step, which reaches its fixed point after a few dozen steps.  Chunks
   longer than that stop the iteration early; the memory must still be
   the full run's, from Setup values of s1 across magnitudes. */
Test (shortcut, sigmoid_chain_reaches_the_full_runs_s1)
{
  const zj_shape sh = { 4, 5, 4, 3 };
  static const double s1_0[] = { 0.0, -0.0, 1.0, -1.0, 30.0, -800.0, 1e-300,
                                 0.65904606840740665, 5e300 };
  zj_workspace *ws_on = test_ws (&sh), *ws_off = test_ws (&sh);
  for (int ntr = 10; ntr <= 300; ntr += 29)
    {
      /* One epoch or two (a second chain from where the first ended). */
      zj_task *ts = make_tasks (4, 3, ntr, 4, 1 + ntr % 2, ZJ_ACCURACY,
                                false, (uint64_t) ntr);
      for (int k = 0; k < (int) (sizeof s1_0 / sizeof s1_0[0]); k++)
        {
          zj_program p;
          zj_program_init (&p);
          zj_instr c = zj_test_ins (ZJ_SCALAR_CONST_SET_OP, 0, 0, 1);
          c.act = s1_0[k];
          zj_fn_push (&p.fn[ZJ_SETUP], c);
          /* A Predict that does not touch s1 (pruned away: empty). */
          zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_VECTOR_INNER_PRODUCT_OP,
                                                      0, 0, 2));
          zj_prepared *pp = zj_test_prepare (&p, &sh, k % 2 == 0);
          cr_assert_eq (zj_shortcut_structural (&pp->prog, &sh, ZJ_ACCURACY),
                        ZJ_SC_SIGMOID_CHAIN);
          zj_eval_opts o;
          zj_eval_opts_default (&o);
          if (k == 3)
            o.n_all_train = ntr + ntr / 2;    /* a partial second chunk */
          char what[64];
          snprintf (what, sizeof what, "chain ntr=%d s1=%g", ntr, s1_0[k]);
          counts cn = { 0, 0, 0, 0 };
          check_on_off (pp, ts, 3, &o, ws_on, ws_off, what, &cn);
          cr_assert_eq (cn.shortcuts, 1, "%s: not shortcut", what);
          zj_prepared_free (pp);
          zj_program_free (&p);
        }
      zj_test_tasks_free (ts, 3);
    }
  zj_workspace_free (ws_on);
  zj_workspace_free (ws_off);
}

/* A hand-written program on 3 tasks of 40 + 6 examples, 2 epochs, with
   shortcuts on and off; returns the shortcuts taken. */
static long
text_case (const char *text, zj_eval_type et, int expect_depth)
{
  const zj_shape sh = { 4, 5, 4, 3 };
  zj_program p;
  zj_program_init (&p);
  zj_error err;
  cr_assert_eq (zj_program_parse (text, "test", &p, &err), 0, "%s", err.msg);
  zj_prepared *pp = zj_test_prepare (&p, &sh, true);
  int depth = -2;
  const zj_shortcut_kind k = zj_shortcut_plan (&pp->prog, &sh, et, &depth);
  cr_assert_eq (k == ZJ_SC_NONE ? -1 : depth, expect_depth, "%s", text);
  zj_task *ts = make_tasks (4, 3, 40, 6, 2, et, false, 11);
  zj_workspace *ws_on = test_ws (&sh), *ws_off = test_ws (&sh);
  zj_eval_opts o;
  zj_eval_opts_default (&o);
  counts c = { 0, 0, 0, 0 };
  check_on_off (pp, ts, 3, &o, ws_on, ws_off, text, &c);
  zj_workspace_free (ws_on);
  zj_workspace_free (ws_off);
  zj_test_tasks_free (ts, 3);
  zj_prepared_free (pp);
  zj_program_free (&p);
  return c.shortcuts;
}

/* Learn feeding Predict without a cycle: the last depth + 1 steps of each
   chunk give its memory. */
Test (shortcut, acyclic_learn_runs_the_last_steps)
{
  /* s2 (Learn: label * 0.5) is read by the next step's Predict: depth 1. */
  static const char *d1 =
    "def Setup():\n  s4 = 0.5\n  v1[0.3] = 0.25\n"
    "def Predict():\n  s3 = s2 * s4\n  s1 = dot(v0, v1)\n  s1 = s1 + s3\n"
    "def Learn():\n  s2 = s0 * s4\n";
  cr_assert_eq (text_case (d1, ZJ_RMS_ERROR, 1), 1);
  cr_assert_eq (text_case (d1, ZJ_ACCURACY, 1), 1);
  /* Two links: s1 reads the previous Learn's s3, which came from that
     step's s2, which read the Learn before's v2: depth 2. */
  static const char *d2 =
    "def Setup():\n  s4 = 0.5\n"
    "def Predict():\n  s2 = dot(v2, v0)\n  s1 = s2 + s3\n"
    "def Learn():\n  v2 = s0 * v0\n  s3 = s2 * s4\n";
  cr_assert_eq (text_case (d2, ZJ_RMS_ERROR, 2), 1);
  /* Accumulation (v1 += ...): a cycle, never shortcut. */
  static const char *cyc =
    "def Setup():\n  s2 = 0.01\n"
    "def Predict():\n  s1 = dot(v1, v0)\n"
    "def Learn():\n  s3 = s0 - s1\n  s3 = s2 * s3\n  v2 = s3 * v0\n"
    "  v1 = v1 + v2\n";
  cr_assert_eq (text_case (cyc, ZJ_RMS_ERROR, -1), 0);
}

/* The proof costs a few hundred steps' work: evaluations shorter than
   ZJ_SC_MIN_STEPS training steps do not try it. */
Test (shortcut, short_evaluations_do_not_try)
{
  const zj_shape sh = { 4, 5, 4, 3 };
  zj_program p;
  zj_program_init (&p);
  zj_error err;
  cr_assert_eq (zj_program_parse ("def Setup():\n  s4 = 0.5\n"
                                  "def Predict():\n  s1 = dot(v0, v1)\n"
                                  "  s1 = s1 + s4\ndef Learn():\n", "test", &p,
                                  &err), 0, "%s", err.msg);
  zj_prepared *pp = zj_prepare (&p, &sh, true, &err);
  zj_workspace *ws = zj_workspace_new (&sh);
  cr_assert_eq (ws->sc_min_steps, ZJ_SC_MIN_STEPS);
  zj_eval_opts o;
  zj_eval_opts_default (&o);
  for (int big = 0; big < 2; big++)
    {
      const int ntr = big ? ZJ_SC_MIN_STEPS / 2 : ZJ_SC_MIN_STEPS / 2 - 1;
      zj_task *ts = make_tasks (4, 3, ntr, 5, 2, ZJ_RMS_ERROR, false, 3);
      const zj_task *ptrs[3] = { &ts[0], &ts[1], &ts[2] };
      zj_eval_result r[3] = { { 0 } };
      double f[3];
      const unsigned long before = ws->n_shortcuts;
      cr_assert_eq (zj_interp_eval_lanes (pp, ptrs, 3, &o, NULL, 0, ws, r, f), 0);
      cr_assert_eq (ws->n_shortcuts - before, (unsigned long) big,
                    "%d training steps", 2 * ntr);
      cr_assert_eq (r[1].train_steps, 2 * ntr);
      zj_test_tasks_free (ts, 3);
    }
  zj_workspace_free (ws);
  zj_prepared_free (pp);
  zj_program_free (&p);
}

/* Validation runs Predict without Learn, so a later epoch trains on from
   a state no training step leaves: here s1 = arccos(s1) over validation
   examples reaches NaN and the second epoch aborts at its first step.
   The proof must see that state (it gives up on arccos beyond 1). */
Test (shortcut, validation_state_is_in_the_hull)
{
  static const char *text =
    "def Setup():\n  s1 = dot(v0, v0)\n"
    "def Predict():\n  s1 = arccos(s1)\n"
    "def Learn():\n  s1 = norm(v1)\n";
  cr_assert_eq (text_case (text, ZJ_RMS_ERROR, 0), 0);
}

/* ------------------------------------------- never shortcut a NaN */

/* Predict: s2 = mean(v0); s3 = <op>(s2); s1 = s3 + s4 (s4 from Setup),
   Learn empty: stateless.  Training example `bad` (of 20) makes s3 NaN
   (log of a negative mean, or 0/0 from a zero example). */
static void
nan_case (int op, zj_eval_type et)
{
  const int F = 4, ntr = 20, nva = 5, bad = 13, nt = 3;
  const zj_shape sh = { F, 5, 2, 1 };
  zj_task *ts = make_tasks (F, nt, ntr, nva, 2, et, false, 77);
  for (int k = 0; k < nt; k++)
    for (int i = 0; i < ntr; i++)
      for (int f = 0; f < F; f++)
        {
          double *x = &ts[k].train_x[(size_t) i * F + f];
          /* Positive means everywhere but at `bad` in task 1. */
          *x = k == 1 && i == bad ? (op == ZJ_SCALAR_LOG_OP ? -0.5 : 0.0)
                                  : 0.25 + fabs (*x);
        }
  for (int k = 0; k < nt; k++)
    for (int i = 0; i < nva * F; i++)
      ts[k].valid_x[i] = 0.25 + fabs (ts[k].valid_x[i]);
  zj_program p;
  zj_program_init (&p);
  zj_instr c4 = zj_test_ins (ZJ_SCALAR_CONST_SET_OP, 0, 0, 4);
  c4.act = 0.125;
  zj_fn_push (&p.fn[ZJ_SETUP], c4);
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_VECTOR_MEAN_OP, 0, 0, 2));
  zj_fn_push (&p.fn[ZJ_PREDICT],
              op == ZJ_SCALAR_LOG_OP ? zj_test_ins (op, 2, 0, 3)
                                     : zj_test_ins (op, 2, 2, 3));
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_SCALAR_SUM_OP, 3, 4, 1));
  zj_prepared *pp = zj_test_prepare (&p, &sh, true);
  cr_assert_neq (zj_shortcut_structural (&pp->prog, &sh, et), ZJ_SC_NONE);
  zj_workspace *ws_on = test_ws (&sh), *ws_off = test_ws (&sh);
  zj_eval_opts o;
  zj_eval_opts_default (&o);
  counts c = { 0, 0, 0, 0 };
  check_on_off (pp, ts, nt, &o, ws_on, ws_off, "nan case", &c);
  cr_assert_eq (c.eligible, 1);
  cr_assert_eq (c.shortcuts, 0, "a Predict that can give NaN was shortcut");
  /* Task 1 aborts at its bad example, as the single-task reference. */
  zj_workspace *ws1 = zj_workspace_new (&sh);
  zj_eval_result rs = { 0 };
  zj_rng unused;
  zj_rng_seed (&unused, 1);
  zj_interp_eval_task (pp, &ts[1], &o, &unused, ws1, &rs);
  cr_assert (rs.aborted);
  cr_assert_eq (rs.train_steps, bad + 1);
  const zj_task *ptrs[3] = { &ts[0], &ts[1], &ts[2] };
  zj_eval_result rl[3] = { { 0 } };
  double fl[3];
  cr_assert_eq (zj_interp_eval_lanes (pp, ptrs, nt, &o, NULL, 0, ws_on, rl,
                                      fl), 0);
  cr_assert (rl[1].aborted);
  cr_assert_eq (rl[1].train_steps, bad + 1);
  cr_assert (!rl[0].aborted && !rl[2].aborted);
  cr_assert_eq (rl[0].train_steps, 2 * ntr);
  /* Without task 1, the same program is shortcut and gives the same. */
  const zj_task *good[2] = { &ts[0], &ts[2] };
  zj_eval_result rg[2] = { { 0 } };
  double fg[2];
  const unsigned long before = ws_on->n_shortcuts;
  cr_assert_eq (zj_interp_eval_lanes (pp, good, 2, &o, NULL, 0, ws_on, rg,
                                      fg), 0);
  cr_assert_eq (ws_on->n_shortcuts, before + 1);
  cr_assert_eq (rg[0].train_steps, 2 * ntr);
  cr_assert (memcmp (&fg[0], &fl[0], sizeof fg[0]) == 0);
  cr_assert (memcmp (&fg[1], &fl[2], sizeof fg[1]) == 0);
  zj_workspace_free (ws1);
  zj_workspace_free (ws_on);
  zj_workspace_free (ws_off);
  zj_prepared_free (pp);
  zj_program_free (&p);
  zj_test_tasks_free (ts, nt);
}

Test (shortcut, log_of_negative_is_not_shortcut)
{
  nan_case (ZJ_SCALAR_LOG_OP, ZJ_RMS_ERROR);
  nan_case (ZJ_SCALAR_LOG_OP, ZJ_ACCURACY);
}

Test (shortcut, zero_over_zero_is_not_shortcut)
{
  nan_case (ZJ_SCALAR_DIVISION_OP, ZJ_RMS_ERROR);
  nan_case (ZJ_SCALAR_DIVISION_OP, ZJ_ACCURACY);
}

