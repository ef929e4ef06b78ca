/* test_companion.c -- work a lane evaluation interleaves with its own
 * (zj_companion, src/core/internal.h; the split's per-task rest uses it,
 * jit/ptask.h).  The lane interpreter's fast paths call the companion's
 * step once per training step and validation example they run; the
 * lanes' results, step counts and generator state do not change with a
 * companion, also one that is done early.  (Native lanes and the rest itself: test_split,
 * test_ptask.) */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "internal.h"

typedef struct counter {
  long calls, limit;
} counter;

static bool
count_step (void *ctx)
{
  counter *c = ctx;
  c->calls++;
  return c->calls < c->limit;
}

/* The same lane evaluation with and without a companion: equal results;
   the calls made. */
static long
run_pair (const zj_program *p, const zj_shape *sh, zj_task *ts, int nt,
          bool shortcuts, long limit)
{
  zj_prepared *pp = zj_test_prepare (p, sh, true);
  const zj_task *tp[16];
  for (int t = 0; t < nt; t++)
    tp[t] = &ts[t];
  zj_eval_opts o;
  zj_eval_opts_default (&o);
  o.no_shortcuts = !shortcuts;
  zj_workspace *w1 = zj_workspace_new (sh), *w2 = zj_workspace_new (sh);
  w1->sc_min_steps = w2->sc_min_steps = 0;
  zj_eval_result r1[16], r2[16];
  double f1[16], f2[16];
  zj_rng g1, g2;
  zj_rng_seed (&g1, 5);
  zj_rng_seed (&g2, 5);
  counter c = { 0, limit };
  const zj_companion co = { count_step, &c };
  w2->co = &co;
  const int a = zj_interp_eval_lanes (pp, tp, nt, &o, &g1, 0, w1, r1, f1);
  const int b = zj_interp_eval_lanes (pp, tp, nt, &o, &g2, 0, w2, r2, f2);
  cr_assert_eq (a, b);
  if (a == 0)
    for (int t = 0; t < nt; t++)
      {
        cr_assert_eq (memcmp (&f1[t], &f2[t], sizeof f1[t]), 0,
                      "task %d: %a vs %a", t, f1[t], f2[t]);
        cr_assert_eq (r1[t].train_steps, r2[t].train_steps, "task %d", t);
        cr_assert_eq (r1[t].aborted, r2[t].aborted, "task %d", t);
      }
  cr_assert_eq (memcmp (&g1, &g2, sizeof g1), 0, "generator state");
  zj_workspace_free (w1);
  zj_workspace_free (w2);
  zj_prepared_free (pp);
  return c.calls;
}

/* A Predict and Learn that never abort and cannot be skipped (Learn
   accumulates into v1, which Predict reads): one call per training step
   and validation example, every epoch. */
Test (companion, one_step_per_example)
{
  const int F = 8, nt = 5, ntr = 30, nva = 7, epochs = 2;
  const zj_shape sh = { F, 5, 9, 2 };
  zj_program p;
  zj_program_init (&p);
  zj_fn_push (&p.fn[ZJ_PREDICT],
              zj_test_ins (ZJ_VECTOR_INNER_PRODUCT_OP, 0, 1, 1));
  zj_fn_push (&p.fn[ZJ_LEARN],
              zj_test_ins (ZJ_SCALAR_VECTOR_PRODUCT_OP, 0, 0, 2));
  zj_instr small = zj_test_ins (ZJ_SCALAR_CONST_SET_OP, 0, 0, 3);
  small.act = 1e-3;
  zj_fn_push (&p.fn[ZJ_SETUP], small);
  zj_fn_push (&p.fn[ZJ_LEARN],
              zj_test_ins (ZJ_SCALAR_VECTOR_PRODUCT_OP, 3, 2, 2));
  zj_fn_push (&p.fn[ZJ_LEARN], zj_test_ins (ZJ_VECTOR_SUM_OP, 1, 2, 1));
  for (int et = 0; et < 2; et++)
    {
      zj_task *ts = zj_test_lane_tasks (F, nt, ntr, nva, epochs,
                                        et ? ZJ_ACCURACY : ZJ_RMS_ERROR,
                                        40 + et, false);
      for (int t = 0; t < nt; t++)
        for (int i = 0; i < ntr; i++)
          ts[t].train_y[i] = 0.5 * (et ? 1 : 0.1) * (i % 2);
      const long calls = run_pair (&p, &sh, ts, nt, false, 1L << 40);
      cr_assert_eq (calls, (long) epochs * (ntr + nva), "et=%d: %ld calls",
                    et, calls);
      /* A companion that is done early changes nothing either. */
      cr_assert_geq (run_pair (&p, &sh, ts, nt, false, 3), 3, "et=%d", et);
      zj_test_tasks_free (ts, nt);
    }
  zj_program_free (&p);
}

/* Random programs (aborts, validation aborts, shortcuts on and off): the
   lanes' results do not depend on the companion. */
Test (companion, random_programs_unchanged)
{
  zj_rng r;
  zj_rng_seed (&r, 77);
  zj_program p;
  zj_program_init (&p);
  for (int F = 4; F <= 16; F *= 2)
    {
      const zj_shape sh = { F, 5, 9, 2 };
      for (int et = 0; et < 2; et++)
        {
          const int nt = 3 + (int) zj_rng_below (&r, 8);
          zj_task *ts = zj_test_lane_tasks (F, nt, 25, 9, 2,
                                            et ? ZJ_ACCURACY : ZJ_RMS_ERROR,
                                            F * 10 + et, true);
          for (int n = 0; n < zj_test_scale (40, 200); n++)
            {
              zj_test_random_program (&r, &sh, &p);
              run_pair (&p, &sh, ts, nt, n % 2, 1L << 40);
            }
          zj_test_tasks_free (ts, nt);
        }
    }
  zj_program_free (&p);
}
