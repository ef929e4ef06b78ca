/* test_split.c -- eight lanes and a per-task rest (zj_door_split_rest):
 * under --jit=baseline a lane candidate with a matrix op evaluates the
 * tasks of a short last chunk of lanes on per-task stencils beside the
 * others in lanes (stepped by their lane evaluation), or after them
 * (ZEROJIT_SPLIT=after).  At 10, 11 and 17 tasks (rests of 2, 3 and 1),
 * F = 16 and 8, both eval types, the paper search's best program and
 * random programs behind its Setup (random draws, tasks that abort) give
 * bit for bit the task-by-task interpreter's fitness, per-task
 * fitnesses, training steps, examples and generator state;
 * ZEROJIT_SPLIT=0 turns the split off.  (The per-task group's memories
 * against the interpreter's: test_ptask.) */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testutil.h"
#include "internal.h"
#include "evaluator.h"
#include "tier.h"
#include "baseline.h"
#include "ptask.h"
#include "stencil.h"

static const char *paper_best = ZJ_TEST_PAPER_BEST;

/* The stencil and per-task libraries for F built before the evaluators
   start, so the split runs from the first candidate. */
static void
warm (int F, int nt)
{
  zj_error err;
  if (zj_baseline_warm (F, nt, &err) != 0)
    cr_log_warn ("no stencils for F=%d: %s", F, err.msg);
  zj_ptask *pt = zj_ptask_new ();
  if (!zj_ptask_ready (pt, F))
    cr_log_warn ("no per-task stencils for F=%d: %s", F, zj_ptask_error (pt));
  zj_ptask_free (pt);
}

/* The paper search's Predict and Learn ops but its matrix writes. */
static const int pred_ops[] = {
  ZJ_SCALAR_SUM_OP, ZJ_MATRIX_VECTOR_PRODUCT_OP, ZJ_VECTOR_MAX_OP,
  ZJ_VECTOR_INNER_PRODUCT_OP, ZJ_VECTOR_SUM_OP };
static const int learn_ops[] = {
  ZJ_SCALAR_SUM_OP, ZJ_SCALAR_DIFF_OP, ZJ_SCALAR_PRODUCT_OP,
  ZJ_SCALAR_VECTOR_PRODUCT_OP, ZJ_VECTOR_SUM_OP, ZJ_VECTOR_HEAVYSIDE_OP,
  ZJ_VECTOR_PRODUCT_OP, ZJ_MATRIX_VECTOR_PRODUCT_OP };

/* best's Setup, then 2-8 random instructions of those ops in Predict
   (with s1 = dot(v0, v1) last) and in Learn. */
static void
random_paper (zj_rng *r, const zj_shape *sh, const zj_program *best,
              zj_program *p)
{
  zj_program_clear (p);
  for (int i = 0; i < best->fn[ZJ_SETUP].n; i++)
    zj_fn_push (&p->fn[ZJ_SETUP], best->fn[ZJ_SETUP].ins[i]);
  for (int c = ZJ_PREDICT; c <= ZJ_LEARN; c++)
    {
      const int *ops = c == ZJ_PREDICT ? pred_ops : learn_ops;
      const int nops = c == ZJ_PREDICT ? 5 : 8;
      const int n = 2 + (int) zj_rng_below (r, 7);
      for (int i = 0; i < n; i++)
        {
          zj_instr in;
          zj_random_instruction (r, ops[zj_rng_below (r, (uint32_t) nops)],
                                 sh, &in);
          zj_fn_push (&p->fn[c], in);
        }
    }
  zj_fn_push (&p->fn[ZJ_PREDICT], zj_test_ins (ZJ_VECTOR_INNER_PRODUCT_OP, 0, 1, 1));
}

/* Evaluates programs on nt tasks with the task-by-task interpreter and
   with the baseline tier, asserting equality; the split evaluations. */
static long
compare (int F, int nt, zj_eval_type et, int n_random)
{
  warm (F, nt);
  zj_task *ts = zj_test_lane_tasks (F, nt, 40, 9, 2, et, 100 + nt, true);
  const zj_shape sh = { F, 5, 9, 2 };
  zj_error err;
  zj_program best, p;
  zj_program_init (&best);
  zj_program_init (&p);
  cr_assert_eq (zj_program_parse (paper_best, "paper_best", &best, &err), 0,
                "%s", err.msg);
  zj_evaluator_cfg cfg;
  zj_evaluator_cfg_default (&cfg);
  cfg.fec = false;
  cfg.dedup = false;
  zj_evaluator_cfg ref_cfg = cfg;
  ref_cfg.batch = false;               /* one task after the other */
  zj_tier_cfg tc;
  zj_tier_cfg_default (&tc);
  tc.mode = ZJ_TIER_BASELINE;
  zj_tier *tier = zj_tier_new (&tc, &err);
  cr_assert_not_null (tier, "%s", err.msg);
  zj_rng r1, r2, pr;
  zj_rng_seed (&r1, 21);
  zj_rng_seed (&r2, 21);
  zj_rng_seed (&pr, 7 * (uint64_t) nt + (uint64_t) F);
  zj_evaluator *ref = zj_evaluator_new (&ref_cfg, ts, nt, &sh, NULL, &r1, &err);
  zj_evaluator *spl = zj_evaluator_new (&cfg, ts, nt, &sh, NULL, &r2, &err);
  cr_assert_not_null (ref);
  cr_assert_not_null (spl);
  zj_evaluator_set_tier (spl, tier);
  for (int n = 0; n < 3 + n_random; n++)
    {
      const zj_program *q = &best;
      if (n >= 3)
        {
          /* A random Predict and Learn of the paper search's ops
             (without matrix writes) behind the best program's Setup
             (its draws and its matrix). */
          random_paper (&pr, &sh, &best, &p);
          q = &p;
        }
      const double a = zj_evaluator_eval (ref, q);
      const double b = zj_evaluator_eval (spl, q);
      char what[96];
      snprintf (what, sizeof what, "F=%d nt=%d et=%d program %d", F, nt,
                (int) et, n);
      cr_assert_eq (memcmp (&a, &b, sizeof a), 0, "%s: %a vs %a", what, a, b);
      const double *fa = zj_evaluator_task_fitness (ref);
      const double *fb = zj_evaluator_task_fitness (spl);
      for (int k = 0; k < nt; k++)
        cr_assert_eq (memcmp (&fa[k], &fb[k], sizeof fa[k]), 0,
                      "%s task %d: %a vs %a", what, k, fa[k], fb[k]);
      cr_assert_eq (memcmp (&r1, &r2, sizeof r1), 0, "%s: generator state",
                    what);
      cr_assert_eq (zj_evaluator_train_steps (ref),
                    zj_evaluator_train_steps (spl), "%s", what);
      const zj_eval_counters c1 = zj_evaluator_counters (ref);
      const zj_eval_counters c2 = zj_evaluator_counters (spl);
      cr_assert_eq (c1.examples, c2.examples, "%s", what);
      cr_assert_eq (c1.task_evals, c2.task_evals, "%s", what);
    }
  zj_tier_stats st;
  cr_assert (zj_evaluator_tier_stats (spl, &st));
  zj_evaluator_free (ref);
  zj_evaluator_free (spl);
  zj_tier_free (tier);
  zj_program_free (&best);
  zj_program_free (&p);
  zj_test_tasks_free (ts, nt);
  return st.split_evals;
}

/* nt tasks at F = 16 and both eval types: want_split, whether splits
   must have run (10 tasks: rest 2; 17: rest 1) or must not (11 tasks:
   the read-only products run per task, zj_lmatvec_tasks_native, and so
   do the candidates; F = 8 likewise). */
static void
check (int F, int nt, bool want_split)
{
  if (!zj_ptask_F_ok (F))
    cr_skip_test ("no per-task stencils at F=%d", F);
  for (int et = 0; et < 2; et++)
    {
      const long s = compare (F, nt, et ? ZJ_ACCURACY : ZJ_RMS_ERROR, 24);
      cr_log_info ("F=%d nt=%d et=%d: %ld split evaluations", F, nt, et, s);
      if (want_split)
        cr_assert_gt (s, 3, "F=%d nt=%d et=%d: too few split", F, nt, et);
      else
        cr_assert_eq (s, 0, "F=%d nt=%d et=%d: split", F, nt, et);
    }
}

Test (split, ten_tasks_f16, .timeout = 300) { check (16, 10, true); }
Test (split, seventeen_tasks_f16, .timeout = 300) { check (16, 17, true); }
Test (split, eleven_tasks_f16, .timeout = 300) { check (16, 11, false); }
Test (split, ten_tasks_f8, .timeout = 300) { check (8, 10, false); }

/* The rest after the lanes instead of beside them (ZEROJIT_SPLIT=after;
   beside them, the default, every untimed lane evaluation steps it). */
Test (split, rest_after_the_lanes, .timeout = 300)
{
  setenv ("ZEROJIT_SPLIT", "after", 1);
  check (16, 10, true);
  unsetenv ("ZEROJIT_SPLIT");
}

/* No rest to split (16 tasks fill two chunks), and ZEROJIT_SPLIT=0. */
Test (split, none_without_rest_or_when_off, .timeout = 300)
{
  cr_assert_eq (compare (16, 16, ZJ_ACCURACY, 4), 0);
  setenv ("ZEROJIT_SPLIT", "0", 1);
  cr_assert_eq (compare (16, 10, ZJ_ACCURACY, 4), 0);
  unsetenv ("ZEROJIT_SPLIT");
}
