/* test_shortcut.c -- the lane evaluator's exact training shortcut
 * (doc/shortcuts.md): with shortcuts on and off, every random program
 * gives the same fitness bits, train_steps, abort flags and final lane
 * memory; a stateless Predict that can produce NaN is never shortcut and
 * aborts where it did; every interval rule encloses what the interpreter
 * computes; the structural test says what the doc says.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include "testutil.h"
#include "internal.h"
#include "shortcut.h"
#include "kernels_lanes.h"
#include <zerojit/search.h>
#if ZJ_TEST_WITH_JIT
# include <zerojit/jit.h>
# include "baseline.h"
#endif

#define MAX_NT 12

/* ------------------------------------------------------------ tasks */

/* nt tasks of ntr/nva examples: features uniform in (-1, 1), labels in
   [0, 1] (ACCURACY: 0/1).  With `huge`, task 2's labels are scaled by 1e4
   (beyond max_abs_error: its proofs fail, its training may abort). */
static zj_task *
make_tasks (int F, int nt, int ntr, int nva, int epochs, zj_eval_type et,
            bool huge, uint64_t seed)
{
  zj_rng r;
  zj_rng_seed (&r, seed);
  zj_task *ts = calloc ((size_t) nt, sizeof *ts);
  double *tx = malloc (sizeof (double) * (size_t) (ntr * F));
  double *vx = malloc (sizeof (double) * (size_t) (nva * F));
  double *ty = malloc (sizeof (double) * (size_t) ntr);
  double *vy = malloc (sizeof (double) * (size_t) nva);
  for (int k = 0; k < nt; k++)
    {
      const double scale = huge && k == 2 ? 1e4 : 1.0;
      for (int i = 0; i < ntr * F; i++) tx[i] = 2 * zj_rng_unit (&r) - 1;
      for (int i = 0; i < nva * F; i++) vx[i] = 2 * zj_rng_unit (&r) - 1;
      for (int i = 0; i < ntr; i++)
        ty[i] = et == ZJ_ACCURACY ? (tx[i * F] > 0)
                                  : scale * fabs (tx[i * F] * tx[i * F + 1]);
      for (int i = 0; i < nva; i++)
        vy[i] = et == ZJ_ACCURACY ? (vx[i * F] > 0)
                                  : scale * fabs (vx[i * F] * vx[i * F + 1]);
      zj_task *t = zj_test_task (F, ntr, tx, ty, nva, vx, vy, epochs, et);
      zj_test_shuffle_epochs (t, &r);
      ts[k] = *t;
      ts[k].index = k;
      free (t);
    }
  free (tx); free (vx); free (ty); free (vy);
  return ts;
}

/* ------------------------------------------------- on vs off, random */

/* A workspace that tries the shortcut on the tests' short tasks too. */
static zj_workspace *
test_ws (const zj_shape *sh)
{
  zj_workspace *ws = zj_workspace_new (sh);
  ws->sc_min_steps = 0;
  return ws;
}

/* Lane memory of the last evaluation in ws: total elements x L lanes. */
static const double *
lane_memory (const zj_workspace *ws)
{
  return ws->bmem;
}

typedef struct counts { long evals, shortcuts, eligible, aborted; } counts;

/* One program on the tasks with shortcuts on (ws_on) and off (ws_off):
   identical results and lane memory of the real lanes. */
static void
check_on_off (const zj_prepared *pp, const zj_task *ts, int nt,
              const zj_eval_opts *o, zj_workspace *ws_on,
              zj_workspace *ws_off, const char *what, counts *c)
{
  const zj_task *ptrs[MAX_NT];
  zj_eval_result r_on[MAX_NT], r_off[MAX_NT];
  double f_on[MAX_NT], f_off[MAX_NT];
  for (int k = 0; k < nt; k++)
    {
      ptrs[k] = &ts[k];
      r_on[k] = r_off[k] = (zj_eval_result) { 0 };
    }
  zj_eval_opts on = *o, off = *o;
  on.no_shortcuts = false;
  off.no_shortcuts = true;
  const unsigned long sc0 = ws_on->n_shortcuts, el0 = ws_on->n_sc_eligible;
  cr_assert_eq (zj_interp_eval_lanes (pp, ptrs, nt, &off, NULL, 0, ws_off,
                                      r_off, f_off), 0, "%s", what);
  cr_assert_eq (ws_off->n_shortcuts, 0, "%s: shortcut while off", what);
  cr_assert_eq (zj_interp_eval_lanes (pp, ptrs, nt, &on, NULL, 0, ws_on,
                                      r_on, f_on), 0, "%s", what);
  for (int k = 0; k < nt; k++)
    {
      cr_assert (memcmp (&f_on[k], &f_off[k], sizeof (double)) == 0,
                 "%s task %d: fitness %.17g vs %.17g", what, k, f_on[k],
                 f_off[k]);
      cr_assert (memcmp (&r_on[k].fitness, &r_off[k].fitness,
                         sizeof (double)) == 0, "%s task %d", what, k);
      cr_assert_eq (r_on[k].train_steps, r_off[k].train_steps,
                    "%s task %d: train_steps", what, k);
      cr_assert_eq (r_on[k].aborted, r_off[k].aborted, "%s task %d", what, k);
      c->aborted += r_on[k].aborted;
    }
  const zj_layout *lay = &ws_on->lay;
  const int L = (nt + ZJ_LW - 1) / ZJ_LW * ZJ_LW;
  const double *m_on = lane_memory (ws_on), *m_off = lane_memory (ws_off);
  /* The other ACCURACY shortcut (doc/shortcuts.md) leaves the raw logit
     in s1 where the training sigmoid's result is dead: s1 is compared
     only where it is not. */
  const bool skip_s1 = ts[0].eval_type == ZJ_ACCURACY
                       && zj_s1_sigmoid_dead (&pp->prog);
  for (size_t e = 0; e < lay->total; e++)
    for (int t = 0; t < nt; t++)
      {
        if (skip_s1 && e == lay->s_off + 1)
          continue;
        const double a = m_on[e * (size_t) L + (size_t) t];
        const double b = m_off[e * (size_t) L + (size_t) t];
        cr_assert (memcmp (&a, &b, sizeof a) == 0,
                   "%s: lane %d element %zu: %.17g vs %.17g", what, t, e, a, b);
      }
  c->evals++;
  c->shortcuts += (long) (ws_on->n_shortcuts - sc0);
  c->eligible += (long) (ws_on->n_sc_eligible - el0);
}

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
      zj_error err;
      zj_prepared *pp = zj_prepare (&p, &sh, true, &err);
      cr_assert_not_null (pp, "%s", err.msg);
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
          zj_error err;
          zj_prepared *pp = zj_prepare (&p, &sh, true, &err);
          cr_assert_not_null (pp, "%s", err.msg);
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
          zj_error err;
          zj_prepared *pp = zj_prepare (&p, &sh, k % 2 == 0, &err);
          cr_assert_not_null (pp, "%s", err.msg);
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
  zj_prepared *pp = zj_prepare (&p, &sh, true, &err);
  cr_assert_not_null (pp, "%s", err.msg);
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
  zj_error err;
  zj_prepared *pp = zj_prepare (&p, &sh, true, &err);
  cr_assert_not_null (pp, "%s", err.msg);
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

/* ------------------------------------------------ structural test */

static zj_shortcut_kind
kind_of (const char *predict, const char *learn, zj_eval_type et)
{
  zj_program p;
  zj_program_init (&p);
  char text[512];
  snprintf (text, sizeof text, "def Setup():\n  s3 = 0.5\ndef Predict():\n%s"
            "def Learn():\n%s", predict, learn);
  zj_error err;
  cr_assert_eq (zj_program_parse (text, "test", &p, &err), 0, "%s", err.msg);
  const zj_shape sh = { 4, 5, 4, 2 };
  const zj_shortcut_kind k = zj_shortcut_structural (&p, &sh, et);
  zj_program_free (&p);
  return k;
}

Test (shortcut, structural_rules)
{
  const zj_eval_type A = ZJ_ACCURACY, R = ZJ_RMS_ERROR;
  /* Reads of Setup's values and of the example: stateless. */
  cr_assert_eq (kind_of ("  s2 = dot(v0, v1)\n  s1 = s2 + s3\n", "", A),
                ZJ_SC_LAST_STEP);
  /* s2 read before it is written, and written: state. */
  cr_assert_eq (kind_of ("  s1 = s2 + s3\n  s2 = s1 * s3\n", "", R),
                ZJ_SC_NONE);
  /* Learn not empty. */
  cr_assert_eq (kind_of ("  s1 = s3 + s3\n", "  s3 = s3 + s0\n", R),
                ZJ_SC_NONE);
  /* s1 read before written: RMS no state, ACCURACY's sigmoid is one. */
  cr_assert_eq (kind_of ("  s2 = s1 + s3\n", "", R), ZJ_SC_LAST_STEP);
  cr_assert_eq (kind_of ("  s2 = s1 + s3\n  s1 = s2 + s3\n", "", A),
                ZJ_SC_NONE);
  cr_assert_eq (kind_of ("  s2 = s1 + s3\n", "", A), ZJ_SC_NONE);
  /* ACCURACY, s1 never touched by Predict: the sigmoid chain. */
  cr_assert_eq (kind_of ("  s2 = s3 + s3\n", "", A), ZJ_SC_SIGMOID_CHAIN);
  cr_assert_eq (kind_of ("", "", A), ZJ_SC_SIGMOID_CHAIN);
  cr_assert_eq (kind_of ("", "", R), ZJ_SC_LAST_STEP);
  /* A partial write does not kill: v1 keeps the previous step's others. */
  cr_assert_eq (kind_of ("  v1[0.3] = 0.5\n  s1 = dot(v1, v0)\n", "", R),
                ZJ_SC_NONE);
  /* A full write kills. */
  cr_assert_eq (kind_of ("  v1 = v0 + v0\n  s1 = dot(v1, v0)\n", "", R),
                ZJ_SC_LAST_STEP);
  /* v0 and s0 are the example's: writing then reading them is fine. */
  cr_assert_eq (kind_of ("  s1 = s0 + s3\n  s0 = s1 + s3\n", "", R),
                ZJ_SC_LAST_STEP);
  /* Random ops. */
  cr_assert_eq (kind_of ("  s2 = uniform(-1, 1)\n  s1 = s2 + s3\n", "", R),
                ZJ_SC_NONE);
}

/* ------------------------------------------------- interval rules */

#define NS 4
#define NV 3
#define NM 3

/* A float (const sets store floats) in (-2, 2), or in [0.25, 0.75] when
   `pos`. */
static double
rval (zj_rng *g, bool pos)
{
  if (pos)
    return (float) (0.25 + 0.5 * zj_rng_unit (g));
  const double m = 2 * zj_rng_unit (g) - 1;
  return (float) ldexp (m, -(int) zj_rng_below (g, 4) + 1);
}

/* The interpreter's result of `in` on memory x (single-task layout):
   Setup = const sets of every element, then in; no training. */
static void
run_concrete (const zj_instr *in, const zj_shape *sh, const zj_layout *lay,
              const double *x, double *out)
{
  const int F = sh->F;
  zj_program p;
  zj_program_init (&p);
  zj_fn *f = &p.fn[ZJ_SETUP];
  for (int a = 0; a < NS; a++)
    {
      zj_instr c = zj_test_ins (ZJ_SCALAR_CONST_SET_OP, 0, 0, a);
      c.act = x[lay->s_off + (size_t) a];
      zj_fn_push (f, c);
    }
  for (int a = 0; a < NV; a++)
    for (int i = 0; i < F; i++)
      {
        zj_instr c = zj_test_ins (ZJ_VECTOR_CONST_SET_OP, 0, 0, a);
        c.fd[0] = ((float) i + 0.5f) / (float) F;
        c.fd[1] = (float) x[lay->v_off + (size_t) (a * F + i)];
        zj_fn_push (f, c);
      }
  for (int a = 0; a < NM; a++)
    for (int r = 0; r < F; r++)
      for (int cc = 0; cc < F; cc++)
        {
          zj_instr c = zj_test_ins (ZJ_MATRIX_CONST_SET_OP, 0, 0, a);
          c.fd[0] = ((float) r + 0.5f) / (float) F;
          c.fd[1] = ((float) cc + 0.5f) / (float) F;
          c.fd[2] = (float) x[lay->m_off + (size_t) (a * F * F + cc * F + r)];
          zj_fn_push (f, c);
        }
  zj_fn_push (f, *in);
  zj_error err;
  zj_prepared *pp = zj_prepare (&p, sh, false, &err);
  cr_assert_not_null (pp, "%s", err.msg);
  zj_workspace *ws = zj_workspace_new (sh);
  double y[1] = { 0 }, fx[32] = { 0 };
  zj_task *t = zj_test_task (F, 0, fx, y, 0, fx, y, 1, ZJ_RMS_ERROR);
  zj_eval_result res = { 0 };
  zj_interp_eval_task (pp, t, NULL, NULL, ws, &res);
  size_t len;
  const double *mem = zj_workspace_memory (ws, &len);
  cr_assert_eq (len, lay->total);
  memcpy (out, mem, len * sizeof (double));
  zj_task_free (t);
  free (t);
  zj_workspace_free (ws);
  zj_prepared_free (pp);
  zj_program_free (&p);
}

/* Whether op's interval rule held on random intervals (false: gave up);
   every sampled concrete run lies in the rule's intervals. */
static bool
sound_once (int op, int F, bool pos, zj_rng *g)
{
  const zj_shape sh = { F, NS, NV, NM };
  zj_layout lay;
  zj_layout_init (&lay, &sh);
  zj_instr in;
  zj_random_instruction (g, op, &sh, &in);
  zj_ival *m = calloc (lay.total, sizeof *m);
  zj_ival *tmp = calloc ((size_t) 3 * F * F, sizeof *tmp);
  double *x = calloc (lay.total, sizeof *x), *y = calloc (lay.total, sizeof *y);
  for (size_t e = 0; e < lay.total; e++)
    {
      /* Padding between the banks stays 0. */
      const bool real = e < (size_t) NS
                        || (e >= lay.v_off && e < lay.v_off + (size_t) (NV * F))
                        || e >= lay.m_off;
      const double a = real ? rval (g, pos) : 0, b = real ? rval (g, pos) : 0;
      m[e].lo = a < b ? a : b;
      m[e].hi = a < b ? b : a;
    }
  zj_ival *im = calloc (lay.total, sizeof *im);
  memcpy (im, m, lay.total * sizeof *m);
  const bool ok = zj_ival_exec (&in, &lay, im, tmp);
  for (int s = 0; ok && s < 12; s++)
    {
      /* Endpoints (all low, all high, mixed) and points between. */
      for (size_t e = 0; e < lay.total; e++)
        {
          const int w = s == 0 ? 0 : s == 1 ? 1 : (int) zj_rng_below (g, 3);
          x[e] = w == 0 ? m[e].lo : w == 1 ? m[e].hi
                 : (float) (m[e].lo + (m[e].hi - m[e].lo) * zj_rng_unit (g));
          if (x[e] < m[e].lo || x[e] > m[e].hi)
            x[e] = m[e].lo;
        }
      run_concrete (&in, &sh, &lay, x, y);
      for (size_t e = 0; e < lay.total; e++)
        cr_assert (y[e] >= im[e].lo && y[e] <= im[e].hi,
                   "%s F=%d element %zu: %.17g outside [%.17g, %.17g]",
                   zj_ops[op].name, F, e, y[e], im[e].lo, im[e].hi);
    }
  free (m); free (im); free (tmp); free (x); free (y);
  return ok;
}

static bool
modelled (int op)
{
  return op != ZJ_SCALAR_TAN_OP && op != ZJ_MATRIX_ROW_ST_DEV_OP
         && op != ZJ_VECTOR_ST_DEV_OP && op != ZJ_MATRIX_ST_DEV_OP
         && !zj_ops[op].random;
}

Test (shortcut, interval_rules_enclose_the_interpreter, .timeout = 600)
{
  zj_rng g;
  zj_rng_seed (&g, 4242);
  const int reps = zj_test_scale (3, 12);
  for (int op = 0; op < ZJ_NUM_OPS; op++)
    {
      if (zj_ops[op].random)
        continue;
      for (int F = 4; F <= 8; F *= 2)
        for (int k = 0; k < reps; k++)
          {
            /* Inside every domain: a modelled op must not give up. */
            const bool ok = sound_once (op, F, true, &g);
            cr_assert_eq (ok, modelled (op), "%s: modelled %d, gave %d",
                          zj_ops[op].name, modelled (op), ok);
            sound_once (op, F, false, &g);   /* mixed signs: may give up */
          }
    }
}

static bool
exec1 (int op, zj_ival a, zj_ival b, zj_ival *out)
{
  const zj_shape sh = { 4, NS, NV, NM };
  zj_layout lay;
  zj_layout_init (&lay, &sh);
  zj_ival m[512], tmp[48];
  cr_assert (lay.total <= 512);
  for (size_t e = 0; e < lay.total; e++)
    m[e] = (zj_ival) { 1, 1 };
  m[lay.s_off + 1] = a;
  m[lay.s_off + 2] = b;
  const zj_instr in = zj_test_ins (op, 1, 2, 3);
  const bool ok = zj_ival_exec (&in, &lay, m, tmp);
  *out = m[lay.s_off + 3];
  return ok;
}

Test (shortcut, interval_rules_give_up_outside_domains)
{
  zj_ival r;
  /* Divisor interval holding 0, log of non-positive, asin beyond 1. */
  cr_assert (!exec1 (ZJ_SCALAR_DIVISION_OP, (zj_ival) { 1, 2 },
                     (zj_ival) { -0.5, 0.5 }, &r));
  cr_assert (!exec1 (ZJ_SCALAR_DIVISION_OP, (zj_ival) { 1, 2 },
                     (zj_ival) { 0, 0.5 }, &r));
  cr_assert (!exec1 (ZJ_SCALAR_RECIPROCAL_OP, (zj_ival) { -1, 1 },
                     (zj_ival) { 0, 0 }, &r));
  cr_assert (!exec1 (ZJ_SCALAR_LOG_OP, (zj_ival) { 0, 2 },
                     (zj_ival) { 0, 0 }, &r));
  cr_assert (!exec1 (ZJ_SCALAR_ARCSIN_OP, (zj_ival) { 0.5, 1.5 },
                     (zj_ival) { 0, 0 }, &r));
  cr_assert (!exec1 (ZJ_SCALAR_ARCCOS_OP, (zj_ival) { -1.5, 0 },
                     (zj_ival) { 0, 0 }, &r));
  cr_assert (!exec1 (ZJ_SCALAR_TAN_OP, (zj_ival) { 0, 0.1 },
                     (zj_ival) { 0, 0 }, &r));
  /* Overflow and non-finite inputs. */
  cr_assert (!exec1 (ZJ_SCALAR_PRODUCT_OP, (zj_ival) { 1e200, 1e200 },
                     (zj_ival) { 1e200, 1e200 }, &r));
  cr_assert (!exec1 (ZJ_SCALAR_EXP_OP, (zj_ival) { 0, 1000 },
                     (zj_ival) { 0, 0 }, &r));
  cr_assert (!exec1 (ZJ_SCALAR_SUM_OP, (zj_ival) { 0, INFINITY },
                     (zj_ival) { 0, 0 }, &r));
  cr_assert (!exec1 (ZJ_SCALAR_SUM_OP, (zj_ival) { NAN, 1 },
                     (zj_ival) { 0, 0 }, &r));
  /* IEEE operations on points are exact; products take all corners. */
  cr_assert (exec1 (ZJ_SCALAR_SUM_OP, (zj_ival) { 0.1, 0.1 },
                    (zj_ival) { 0.2, 0.2 }, &r));
  cr_assert (r.lo == 0.1 + 0.2 && r.hi == 0.1 + 0.2);
  cr_assert (exec1 (ZJ_SCALAR_PRODUCT_OP, (zj_ival) { -2, 3 },
                    (zj_ival) { -5, 4 }, &r));
  cr_assert (r.lo == -15 && r.hi == 12);
  cr_assert (exec1 (ZJ_SCALAR_DIFF_OP, (zj_ival) { 1, 2 },
                    (zj_ival) { -1, 3 }, &r));
  cr_assert (r.lo == -2 && r.hi == 3);
  cr_assert (exec1 (ZJ_SCALAR_DIVISION_OP, (zj_ival) { -1, 2 },
                    (zj_ival) { 0.5, 4 }, &r));
  cr_assert (r.lo == -2 && r.hi == 4);
  cr_assert (exec1 (ZJ_SCALAR_HEAVYSIDE_OP, (zj_ival) { 0, 1 },
                    (zj_ival) { 0, 0 }, &r));
  cr_assert (r.lo == 1 && r.hi == 1);      /* >= 0: 0 maps to 1 */
  cr_assert (exec1 (ZJ_SCALAR_ABS_OP, (zj_ival) { -3, 2 },
                    (zj_ival) { 0, 0 }, &r));
  cr_assert (r.lo == 0 && r.hi == 3);
}

/* ----------------------------------------------------- data ranges */
#include "lane_rows.h"

/* The proof's feature and label ranges against one column at a time:
   NaN widens a column to [-inf, inf], infinities are kept, and between
   -0.0 and 0.0 the first one seen stays (all at F = 4, 16 and 32, where
   the ranges run eight columns at a time or one by one). */
Test (shortcut, data_ranges_match_a_column_scan)
{
  static const int Fs[] = { 4, 16, 32 };
  for (int fi = 0; fi < 3; fi++)
    {
      const int F = Fs[fi], nt = 3, ntr = 37, nva = 11;
      zj_task *ts = make_tasks (F, nt, ntr, nva, 1, ZJ_RMS_ERROR, false,
                                 77 + (uint64_t) F);
      /* Column 1 of task 0: -0.0 then 0.0 as its only extremes' rivals;
         column 2: a NaN; column 3: +inf; the labels of task 1: -inf. */
      for (int e = 0; e < ntr; e++)
        ts[0].train_x[(size_t) e * F + 1] = e == 3 ? -0.0 : e == 5 ? 0.0 : 1.0;
      ts[0].train_x[(size_t) 7 * F + 2] = NAN;
      ts[0].train_x[(size_t) 9 * F + 3] = INFINITY;
      ts[1].train_y[4] = -INFINITY;
      ts[2].valid_x[(size_t) 2 * F + F - 1] = NAN;
      zj_shape sh = { .F = F, .ns = 4, .nv = 3, .nm = 1 };
      zj_workspace *ws = zj_workspace_new (&sh);
      const zj_task *ptrs[3] = { &ts[0], &ts[1], &ts[2] };
      const double *r = zj_lane_ranges_get (ws, ptrs, nt, 8, NULL);
      for (int t = 0; t < nt; t++)
        for (int c = 0; c < 2 * F + 1; c++)
          {
            const double *col;
            int n, stride;
            if (c < F)
              col = ts[t].train_x + c, n = ntr, stride = F;
            else if (c == F)
              col = ts[t].train_y, n = ntr, stride = 1;
            else
              col = ts[t].valid_x + (c - F - 1), n = nva, stride = F;
            double lo = INFINITY, hi = -INFINITY;
            bool nan = false;
            for (int e = 0; e < n; e++)
              {
                const double v = col[(size_t) e * stride];
                if (isnan (v))
                  nan = true;
                else
                  {
                    if (v < lo) lo = v;
                    if (v > hi) hi = v;
                  }
              }
            if (nan)
              lo = -INFINITY, hi = INFINITY;
            const double *q = r + (size_t) t * (2 * F + 1) * 2 + 2 * c;
            cr_assert (memcmp (&q[0], &lo, sizeof lo) == 0
                       && memcmp (&q[1], &hi, sizeof hi) == 0,
                       "F=%d task %d column %d: [%g, %g], expected [%g, %g]",
                       F, t, c, q[0], q[1], lo, hi);
          }
      /* The cases above are really there. */
      const double *q0 = r;
      cr_assert (signbit (q0[2 * 1]) && q0[2 * 1] == 0.0,
                 "F=%d: -0.0 seen first must stay the minimum", F);
      cr_assert (q0[2 * 2] == -INFINITY && q0[2 * 2 + 1] == INFINITY);
      cr_assert (q0[2 * 3 + 1] == INFINITY && isfinite (q0[2 * 3]));
      zj_workspace_free (ws);
      zj_test_tasks_free (ts, nt);
    }
}
