/* test_fused.c -- fused step kernels (jit/fused.h) against the lane
 * interpreter: random programs over every op fusing covers, F = 4, 8, 16
 * and 1, 3, 8, 10, 17 tasks, both eval types, give bit for bit the same
 * fitness, steps and recorded errors; with every store kept, the same
 * final lane memory too; programs with an op fusing lacks stay on
 * stencils; a failed compile keeps the stencils and is counted. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include "testutil.h"
#include "internal.h"
#include "baseline.h"
#include "fused.h"
#include "kernels_lanes.h"
#include "stencilutil.h"

/* A random program whose Predict and Learn use only ops with a fused
   form at F (one in eight instructions any deterministic op, so some
   programs stay on stencils), ending with s1 = dot(v0, v1). */
static void
random_program (zj_rng *r, const zj_shape *sh, zj_program *p)
{
  zj_program_clear (p);
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    {
      const int n = 1 + (int) zj_rng_below (r, 7);
      for (int i = 0; i < n; i++)
        {
          const bool any = zj_rng_below (r, 8) == 0;
          int op;
          do
            op = (int) zj_rng_below (r, ZJ_NUM_OPS);
          while (zj_op_is_random (op) || op == ZJ_NO_OP
                 || (!any && c != ZJ_SETUP && zj_fused_op_work (op, sh->F) < 0));
          zj_instr in;
          zj_random_instruction (r, op, sh, &in);
          zj_fn_push (&p->fn[c], in);
        }
    }
  zj_fn_push (&p->fn[ZJ_PREDICT], zj_test_ins (ZJ_VECTOR_INNER_PRODUCT_OP, 0, 1, 1));
}

static void
sweep (int F, zj_eval_type et, int nt, int n_programs, uint64_t seed,
       bool keep)
{
  zj_baseline *b = zj_baseline_new (false);
  zj_baseline_set_fuse (b, 1, keep, 0.0, NULL, NULL);
  sweep_env e;
  sweep_begin (&e, b, F, et, nt, seed);
  int eligible = 0;
  for (int n = 0; n < n_programs; n++)
    {
      random_program (&e.r, &e.sh, &e.p);
      zj_error err;
      zj_prepared *pp = zj_prepare (&e.p, &e.sh, n % 2 == 0, &err);
      cr_assert_not_null (pp, "%s", err.msg);
      eligible += zj_fused_eligible (zj_prepared_program (pp), F, NULL);
      zj_eval_opts o;
      sweep_opts (n, pp, &o);
      char what[96];
      snprintf (what, sizeof what, "fused F=%d et=%d nt=%d keep=%d program %d",
                F, (int) et, nt, keep, n);
      /* Lane memory is only equal when every store is kept. */
      check_results (pp, e.ts, nt, &o, e.ws1, e.ws2, what, NULL);
      if (keep)
        check_lane_mem (e.ws1, e.ws2, nt, what);
      zj_prepared_free (pp);
    }
  zj_baseline_stats s;
  zj_baseline_stats_get (b, &s);
  cr_assert_eq (s.failures, 0, "%s", zj_baseline_error (b));
  cr_assert_eq (s.fuse_failures, 0, "fused compile failed: %s", zj_baseline_error (b));
  /* Every eligible structure got its kernel and ran it (structures
     repeat, so kernels <= eligible). */
  cr_assert_gt (s.fused, 0);
  cr_assert_leq (s.fused, eligible);
  cr_assert_geq (s.fused_hits, s.fused);
  cr_assert_gt (eligible, n_programs / 2);
  sweep_end (&e);
}

static const int Fs[] = { 4, 8, 16 };
static const int NTs[] = { 1, 3, 8, 10, 17 };

Test (fused, random_programs_equal_lane_interpreter_all_stores, .timeout = 900)
{
  use_cache_dir ("stencils");
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 5; j++)
      sweep (Fs[i], (i + j) % 2 ? ZJ_ACCURACY : ZJ_RMS_ERROR, NTs[j], 10,
             100 + (uint64_t) (i * 5 + j), true);
}

Test (fused, random_programs_equal_lane_interpreter_live_stores, .timeout = 900)
{
  use_cache_dir ("stencils");
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 5; j++)
      sweep (Fs[i], (i + j) % 2 ? ZJ_RMS_ERROR : ZJ_ACCURACY, NTs[j], 10,
             200 + (uint64_t) (i * 5 + j), false);
}

/* A fused compile that fails (ZEROJIT_FAIL_COMPILE=1 once the stencil
   library is loaded) is counted, and its structure keeps running on
   stencils with the same results. */
Test (fused, failed_compile_keeps_stencils, .timeout = 300)
{
  use_cache_dir ("stencils");
  const int F = 8, nt = 10;
  const zj_shape sh = { F, 5, 4, 3 };
  zj_task *ts = make_tasks (F, nt, 12, 7, 2, ZJ_RMS_ERROR, 77);
  zj_workspace *ws1 = zj_workspace_new (&sh), *ws2 = zj_workspace_new (&sh);
  zj_baseline *b = zj_baseline_new (false);
  zj_baseline_attach (b, ws2);
  zj_rng r;
  zj_rng_seed (&r, 78);
  zj_program p;
  zj_program_init (&p);
  zj_eval_opts o;
  zj_eval_opts_default (&o);
  int n = 0;
  for (int i = 0; i < 40; i++)
    {
      random_program (&r, &sh, &p);
      zj_error err;
      zj_prepared *pp = zj_prepare (&p, &sh, true, &err);
      cr_assert_not_null (pp, "%s", err.msg);
      const bool ok = zj_fused_eligible (zj_prepared_program (pp), F, NULL);
      if (n == 0)
        {
          /* Stencils only: loads the library while compiles still work. */
          check (pp, ts, nt, &o, ws1, ws2, "library load");
          setenv ("ZEROJIT_FAIL_COMPILE", "1", 1);
          zj_baseline_set_fuse (b, 1, false, 0.0, NULL, NULL);
        }
      else
        check_results (pp, ts, nt, &o, ws1, ws2, "failed fused compile",
                       NULL);
      n += ok;
      zj_prepared_free (pp);
    }
  unsetenv ("ZEROJIT_FAIL_COMPILE");
  zj_baseline_stats s;
  zj_baseline_stats_get (b, &s);
  cr_assert_eq (s.failures, 0);
  cr_assert_eq (s.fused, 0);
  cr_assert_eq (s.fused_hits, 0);
  cr_assert_gt (s.fuse_failures, 5);
  cr_assert_eq (s.fuse_failures, s.fuse_requests);
  cr_assert_gt (s.hits + s.kernels, 30);
  zj_program_free (&p);
  zj_baseline_free (b);
  zj_workspace_free (ws1);
  zj_workspace_free (ws2);
  zj_test_tasks_free (ts, nt);
}
