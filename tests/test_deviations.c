/* test_deviations.c -- IEEE corner cases of reductions, through every tier.
 *
 * Two programs found by differential testing against the original system
 * (doc/deviations.md, "Reductions"):
 *   - the sign of zero: every sum starts at -0.0, the identity of
 *     addition, so a mean of -0.0 terms is -0.0 (1 / mean = -inf) and the
 *     program's fitness is 0.5, as plain IEEE addition gives;
 *   - std of a constant row at F = 8: our canonical summation order
 *     (src/interp/reduce.h) leaves a tiny negative radicand, so the evaluation
 *     aborts on NaN (fitness 0), a documented deviation.
 * Each program is evaluated by the interpreter, the lane interpreter and
 * (when built) the baseline (stencil) tier and the optimized JIT; all must
 * give the documented value.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include "testutil.h"
#include "internal.h"
#if ZJ_TEST_WITH_JIT
#include <zerojit/jit.h>
#include "baseline.h"
#endif

enum { TIER_INTERP, TIER_LANES, TIER_BASELINE, TIER_JIT, NTIERS };
static const char *const tier_name[NTIERS] = { "interpreter", "lanes", "baseline",
                                               "jit" };

static zj_prepared *
prep_text (const char *text, const zj_shape *sh)
{
  zj_program p;
  zj_program_init (&p);
  zj_error err;
  cr_assert_eq (zj_program_parse (text, "test", &p, &err), 0, "%s", err.msg);
  zj_prepared *pp = zj_test_prepare (&p, sh, false);   /* --no-prune */
  zj_program_free (&p);
  return pp;
}

/* Fitness of pp on t through one tier; *ok = false when the tier is not
   built.  The final memory goes to mem (len doubles) for the interpreter
   and the JIT. */
static double
eval_tier (int tier, const zj_prepared *pp, const zj_shape *sh, const zj_task *t,
           bool *ok, double *mem, size_t len)
{
  zj_workspace *ws = zj_workspace_new (sh);
  zj_eval_opts o;
  zj_eval_opts_default (&o);
  zj_rng rng;
  zj_rng_seed (&rng, 1);
  zj_eval_result r = { 0 };
  double fit = NAN;
  *ok = true;
  if (tier == TIER_INTERP)
    fit = zj_interp_eval_task (pp, t, &o, &rng, ws, &r);
  else if (tier == TIER_LANES || tier == TIER_BASELINE)
    {
#if ZJ_TEST_WITH_JIT
      zj_baseline *b = NULL;
      if (tier == TIER_BASELINE)
        {
          char dir[4096];
          snprintf (dir, sizeof dir, "%s/deviations", ZJ_TEST_CACHE_DIR);
          setenv ("ZEROJIT_CACHE_DIR", dir, 1);
          b = zj_baseline_new (false);
          zj_baseline_attach (b, ws);
        }
#else
      if (tier == TIER_BASELINE)
        {
          *ok = false;
          zj_workspace_free (ws);
          return NAN;
        }
#endif
      const zj_task *ts[1] = { t };
      double f[1];
      cr_assert_eq (zj_interp_eval_lanes (pp, ts, 1, &o, &rng, 0, ws, &r, f), 0,
                    "lane interpreter not applicable");
      fit = f[0];
      mem = NULL;
#if ZJ_TEST_WITH_JIT
      if (b)
        {
          zj_baseline_stats st;
          zj_baseline_stats_get (b, &st);
          cr_assert_gt (st.hits + st.kernels, 0, "the baseline tier did not run: %s",
                        zj_baseline_error (b));
          zj_baseline_attach (NULL, ws);
          zj_baseline_free (b);
        }
#endif
    }
  else
    {
#if ZJ_TEST_WITH_JIT
      zj_jit_opts jo;
      zj_jit_opts_default (&jo);
      zj_error err;
      zj_jit *jit = zj_jit_new (&jo, &err);
      cr_assert_not_null (jit, "%s", err.msg);
      zj_jit_entry *e = zj_jit_get (jit, pp, t->eval_type, &err);
      cr_assert_not_null (e, "%s", err.msg);
      fit = zj_jit_eval_task (e, pp, t, &o, &rng, ws, &r);
      zj_jit_release (jit, e);
      zj_jit_free (jit);
#else
      *ok = false;
#endif
    }
  if (*ok && mem)
    {
      size_t n;
      const double *m = zj_workspace_memory (ws, &n);
      cr_assert_geq (n, len);
      memcpy (mem, m, len * sizeof *mem);
    }
  zj_workspace_free (ws);
  return fit;
}

static zj_task *
one_example_task (int F, const double *x, double y)
{
  return zj_test_task (F, 1, x, &y, 1, x, &y, 1, ZJ_RMS_ERROR);
}

static void
free_task (zj_task *t)
{
  zj_task_free (t);
  free (t);
}

/* The first program, at F = 4, memory 5,9,2. */
static const char sign_of_zero_prog[] =
  "def Setup():\n"
  "  s2 = -1.0\n"
  "  v1 = s2 * v3\n"
  "def Predict():\n"
  "  s3 = mean(v1)\n"
  "  s3 = 1 / s3\n"
  "  s1 = heaviside(s3, 1.0)\n"
  "def Learn():\n";

Test (sign_of_zero, mean_of_negative_zeros_every_tier)
{
  const zj_shape sh = { 4, 5, 9, 2 };
  const double x[4] = { 0.5, -0.25, 1.5, 2.0 };
  zj_task *t = one_example_task (4, x, 1.0);
  zj_prepared *pp = prep_text (sign_of_zero_prog, &sh);
  int ran = 0;
  for (int tier = 0; tier < NTIERS; tier++)
    {
      bool ok;
      double mem[64];
      double fit = eval_tier (tier, pp, &sh, t, &ok, mem, 5);
      if (!ok)
        continue;
      ran++;
      /* mean(-0, -0, -0, -0) = -0, 1 / -0 = -inf, heaviside(-inf) = 0:
         an error of 1 against the label 1 gives fitness 0.5. */
      cr_expect_eq (fit, 0.5, "%s: fitness %.17g", tier_name[tier], fit);
      if (tier != TIER_LANES && tier != TIER_BASELINE)
        {
          cr_expect (isinf (mem[3]) && mem[3] < 0, "%s: s3 = %g", tier_name[tier], mem[3]);
          cr_expect_eq (mem[1], 0.0, "%s: s1 = %g", tier_name[tier], mem[1]);
        }
    }
  cr_expect_geq (ran, 2);
  zj_prepared_free (pp);
  free_task (t);
}

/* Every reducing op keeps -0.0 when all its terms are -0.0 (and gives +0.0
   as soon as one term is +0.0), in every tier: dot, norm of nothing
   negative, mean, row mean, matrix mean, matrix-vector and matrix-matrix
   products.  Predict turns the sign into the prediction through 1/x. */
static const char *const reducers[] = {
  "s3 = dot(v1, v1)",   /* (-0)*(-0) = +0: sum of +0 terms is +0 */
  "s3 = dot(v1, v2)",   /* (-0)*(+0) = -0 terms */
  "s3 = mean(v1)",
  "s3 = mean(m1)",
  "v4 = mean(m1, axis=1)\n  s3 = dot(v4, v2)",
  "v4 = dot(m1, v2)\n  s3 = mean(v4)",
  "m0 = matmul(m1, m2)\n  s3 = mean(m0)",
};
/* 1/s3 sign when every term is -0 (v1 = -0, v2 = +0, m1 = -0, m2 = +0). */
static const int reducer_sign[] = { +1, -1, -1, -1, -1, -1, -1 };

Test (sign_of_zero, every_reducer_every_tier_every_F)
{
  static const int Fs[] = { 2, 4, 8, 16, 32 };
  for (size_t fi = 0; fi < sizeof Fs / sizeof *Fs; fi++)
    for (size_t k = 0; k < sizeof reducers / sizeof *reducers; k++)
      {
        const int F = Fs[fi];
        const zj_shape sh = { F, 6, 6, 3 };
        char text[512];
        snprintf (text, sizeof text,
                  "def Setup():\n  s2 = -1.0\n  v1 = s2 * v3\n  m1 = s2 * m2\n"
                  "def Predict():\n  %s\n  s4 = 1 / s3\n  s1 = heaviside(s4, 1.0)\n"
                  "def Learn():\n", reducers[k]);
        double x[32];
        for (int i = 0; i < F; i++)
          x[i] = 0.25 * (i + 1);
        zj_task *t = one_example_task (F, x, 1.0);
        zj_prepared *pp = prep_text (text, &sh);
        for (int tier = 0; tier < NTIERS; tier++)
          {
            bool ok;
            double mem[8];
            double fit = eval_tier (tier, pp, &sh, t, &ok, mem, 6);
            if (!ok)
              continue;
            const double want = reducer_sign[k] > 0 ? 1.0 : 0.5;
            cr_expect_eq (fit, want, "%s F=%d '%s': fitness %.17g", tier_name[tier], F,
                          reducers[k], fit);
            if (tier != TIER_LANES && tier != TIER_BASELINE)
              cr_expect (signbit (mem[3]) == (reducer_sign[k] < 0),
                         "%s F=%d '%s': s3 = %g", tier_name[tier], F, reducers[k],
                         mem[3]);
          }
        zj_prepared_free (pp);
        free_task (t);
      }
}

/* The second program: std of a constant row at F = 8.  The
   original's tree order sums the eight equal squares exactly and gets a
   standard deviation of exactly 0; our canonical order (src/interp/reduce.h)
   leaves E[x^2] - mean^2 slightly negative, so the std is NaN and the
   evaluation aborts with fitness 0 in every tier (doc/deviations.md). */
static const char std_prog[] =
  "def Setup():\n"
  "def Predict():\n"
  "  m1 = bcast(v0, axis=0)\n"
  "  v3 = std(m1, axis=1)\n"
  "  s1 = dot(v3, v3)\n"
  "def Learn():\n";

Test (std_constant_row, documented_f8_example_every_tier)
{
  const zj_shape sh = { 8, 5, 9, 2 };
  const double x[8] = { 0.1, 0.2, 0.3, 0.7, 1.1, 1.3, 2.9, 0.6 };
  zj_task *t = one_example_task (8, x, 0.5);
  zj_prepared *pp = prep_text (std_prog, &sh);
  for (int tier = 0; tier < NTIERS; tier++)
    {
      bool ok;
      double mem[64];
      double fit = eval_tier (tier, pp, &sh, t, &ok, mem, 5);
      if (!ok)
        continue;
      cr_expect_eq (fit, 0.0, "%s: fitness %.17g", tier_name[tier], fit);
      if (tier != TIER_LANES && tier != TIER_BASELINE)
        cr_expect (isnan (mem[1]), "%s: s1 = %.17g", tier_name[tier], mem[1]);
    }
  zj_prepared_free (pp);
  free_task (t);
}
