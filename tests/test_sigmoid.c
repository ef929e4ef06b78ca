/* test_sigmoid.c -- every tier computes ACCURACY's sigmoid with the same
 * bits, and the tiers agree on ACCURACY and RMS evaluations.
 *
 * The sigmoid is one SLEEF vector entry point (src/sigmoid.h) that the
 * lane interpreter calls per lane vector and zj_sigmoid (the single-task
 * interpreter's and the native code's) calls with one live lane.  Those
 * bits must equal the scalar formula 1 / (1 + Sleef_exp_u10(-x)) that
 * results were defined with.  The inputs used here include values on which
 * SLEEF's FMA variants round differently, so a tier that switched to one
 * (or to libm's exp) fails.
 */
#include "config.h"
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include "testutil.h"
#include "internal.h"
#include "sigmoid.h"
#if HAVE_JIT
#include <zerojit/jit.h>
#endif

static uint64_t
bits (double x)
{
  uint64_t u;
  memcpy (&u, &x, sizeof u);
  return u;
}

static double
ref_sigmoid (double x)
{
  return 1.0 / (1.0 + Sleef_exp_u10 (-x));
}

/* Inputs over exp's whole range, with specials and random bit patterns. */
static double
some_input (zj_rng *r)
{
  static const double sp[] = { 0.0, -0.0, INFINITY, -INFINITY, NAN, 709.78,
                               -709.78, 745.2, -745.2, 1e-320, -1e-320, 36.7,
                               -36.7 };
  switch (zj_rng_below (r, 6))
    {
    case 0: { uint64_t u = zj_rng_next (r); double d; memcpy (&d, &u, 8); return d; }
    case 1: return (zj_rng_unit (r) - 0.5) * 1500.0;
    case 2: return (zj_rng_unit (r) - 0.5) * 80.0;
    case 3: return (zj_rng_unit (r) - 0.5) * 1e-6;
    case 4: return zj_rng_normal (r) * 8.0;
    default: return sp[zj_rng_below (r, sizeof sp / sizeof sp[0])];
    }
}

Test (sigmoid, lanes_scalar_and_formula_agree_bit_for_bit)
{
  zj_rng r;
  zj_rng_seed (&r, 11);
  long fma_differs = 0;
  for (long n = 0; n < 200000; n++)
    {
      zj_lv x;
      for (int w = 0; w < ZJ_LW; w++)
        x[w] = some_input (&r);
      const zj_lv y = zj_lsigmoid (x);
      for (int w = 0; w < ZJ_LW; w++)
        {
          const double want = ref_sigmoid (x[w]);
          cr_assert_eq (bits (y[w]), bits (want),
                        "lane sigmoid(%a) = %a, formula %a", x[w], y[w], want);
          cr_assert_eq (bits (zj_sigmoid (x[w])), bits (want),
                        "zj_sigmoid(%a) = %a, formula %a", x[w],
                        zj_sigmoid (x[w]), want);
          fma_differs += bits (Sleef_expd1_u10purecfma (-x[w]))
                         != bits (Sleef_exp_u10 (-x[w]));
        }
    }
  /* The inputs tell the entry points apart (about 5% differ). */
  cr_assert_gt (fma_differs, 1000);
}

/* ACCURACY's validation error decided from the logit's sign
   (zj_lacc_err_logit) equals the one from the sigmoid, lane by lane and
   bit for bit: inputs across magnitudes, both sides of the 2^-20 cut,
   specials, zeros of both signs, and vectors that mix near-zero lanes (the sigmoid fallback)
   with others. */
Test (sigmoid, logit_sign_decides_like_the_sigmoid)
{
  zj_rng r;
  zj_rng_seed (&r, 12);
  long near = 0, far = 0;
  for (long n = 0; n < 400000; n++)
    {
      zj_lv x, y;
      const bool mixed = n % 7 == 0;
      for (int w = 0; w < ZJ_LW; w++)
        {
          double v;
          switch (zj_rng_below (&r, 4))
            {
            case 0: v = some_input (&r); break;
            case 1:     /* 2^-30 .. 2^12, uniform in the exponent */
              v = ldexp (1.0 + zj_rng_unit (&r), (int) zj_rng_below (&r, 43) - 30);
              break;
            case 2:     /* at the cut */
              v = ldexp (1.0, -20);
              for (int s = (int) zj_rng_below (&r, 9); s > 0; s--)
                v = nextafter (v, zj_rng_below (&r, 2) ? 0.0 : 1.0);
              break;
            case 3:
              v = zj_rng_below (&r, 4) ? zj_rng_normal (&r) * 1e-5 : 0.0;
              break;
            }
          if (zj_rng_below (&r, 2))
            v = -v;
          if (!mixed && fabs (v) < 0x1p-20 && zj_rng_below (&r, 8))
            v = ldexp (v, 25);    /* mostly vectors without a near lane */
          x[w] = v;
          y[w] = (double) zj_rng_below (&r, 2);
          near += fabs (v) < 0x1p-20;
          far += !(fabs (v) < 0x1p-20);
        }
      /* Zero lanes (padding, zero predictions): whole vectors too. */
      if (n % 11 == 0)
        for (int w = 0; w < ZJ_LW; w++)
          if (zj_rng_below (&r, 2))
            x[w] = zj_rng_below (&r, 2) ? 0.0 : -0.0;
      const zj_lv want = zj_lacc_err (y, zj_lsigmoid (x));
      const zj_lv got = zj_lacc_err_logit (y, x);
      for (int w = 0; w < ZJ_LW; w++)
        cr_assert_eq (bits (got[w]), bits (want[w]),
                      "x = %a, y = %g: %g from the sign, %g from the sigmoid",
                      x[w], y[w], got[w], want[w]);
    }
  cr_assert_gt (near, 10000);
  cr_assert_gt (far, 10000);
}

/* ---------------------------------------------------------------------
   Recorded training errors of a program whose prediction is the first
   feature, s1 = dot(v0, e0): each is |y - sigmoid(x0)|, so every tier's
   sigmoid shows in its bits. */
static zj_task *
feature_task (int F, int n, uint64_t seed)
{
  zj_rng r;
  zj_rng_seed (&r, seed);
  double *x = malloc (sizeof (double) * (size_t) (n * F));
  double *y = malloc (sizeof (double) * (size_t) n);
  for (int i = 0; i < n * F; i++)
    x[i] = zj_rng_normal (&r) * 8.0;
  for (int i = 0; i < n; i++)
    y[i] = (double) zj_rng_below (&r, 2);
  zj_task *t = zj_test_task (F, n, x, y, n, x, y, 1, ZJ_ACCURACY);
  free (x);
  free (y);
  return t;
}

static zj_prepared *
feature_program (int F)
{
  zj_program p;
  zj_program_init (&p);
  zj_instr set = zj_test_ins (ZJ_VECTOR_CONST_SET_OP, 0, 0, 1);
  set.fd[0] = 0.0f;     /* element 0 */
  set.fd[1] = 1.0f;
  zj_fn_push (&p.fn[ZJ_SETUP], set);
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_VECTOR_INNER_PRODUCT_OP, 0, 1, 1));
  zj_shape sh = { F, 4, 3, 1 };
  zj_prepared *pp = zj_test_prepare (&p, &sh, false);
  zj_program_free (&p);
  return pp;
}

enum { NEX = 200, NT = 3 };

/* Checks one tier's records against the formula; counts inputs on which
   the FMA entry point would have given other bits. */
static void
check_records (const zj_task *t, const zj_eval_result *res, int rec,
               const char *tier, long *fma_differs)
{
  cr_assert_eq (res->n_train_err, rec, "%s: %d train errors", tier,
                res->n_train_err);
  cr_assert_eq (res->n_valid_err, rec, "%s: %d valid errors", tier,
                res->n_valid_err);
  for (int k = 0; k < rec; k++)
    {
      const double x0 = t->train_x[(size_t) t->order[k] * t->F];
      const double y = t->train_y[t->order[k]];
      const double want = fabs (y - ref_sigmoid (x0));
      cr_assert_eq (bits (res->train_err[k]), bits (want),
                    "%s F=%d step %d: |y - sigmoid(%a)| = %a, formula %a",
                    tier, t->F, k, x0, res->train_err[k], want);
      const double vx0 = t->valid_x[(size_t) k * t->F];
      const double ve = (t->valid_y[k] > 0.5) == (ref_sigmoid (vx0) > 0.5)
                        ? 0.0 : 1.0;
      cr_assert_eq (bits (res->valid_err[k]), bits (ve), "%s valid %d", tier, k);
      *fma_differs += bits (Sleef_expd1_u10purecfma (-x0))
                      != bits (Sleef_exp_u10 (-x0));
    }
}

static void
every_tier_records (int rec)
{
  static const int Fs[] = { 2, 4, 8, 16, 32 };
  long fma_differs = 0;
#if HAVE_JIT
  zj_jit_opts jo;
  zj_jit_opts_default (&jo);
  zj_error jerr;
  zj_jit *jit = zj_jit_new (&jo, &jerr);
  cr_assert_not_null (jit, "%s", jerr.msg);
#endif
  for (size_t f = 0; f < sizeof Fs / sizeof Fs[0]; f++)
    {
      const int F = Fs[f];
      zj_prepared *pp = feature_program (F);
      zj_shape sh = { F, 4, 3, 1 };
      zj_workspace *ws = zj_workspace_new (&sh);
      zj_eval_opts o;
      zj_eval_opts_default (&o);
      o.record_errors = rec;
      zj_task *ts[NT];
      const zj_task *ptrs[NT];
      zj_task tv[NT];
      for (int k = 0; k < NT; k++)
        {
          ts[k] = feature_task (F, NEX, 100 + (uint64_t) (F * NT + k));
          tv[k] = *ts[k];
          ptrs[k] = &tv[k];
        }
      double te[NT][NEX], ve[NT][NEX], fit[NT];
      zj_eval_result res[NT];
      /* Lanes: all tasks at once. */
      for (int k = 0; k < NT; k++)
        res[k] = (zj_eval_result) { .train_err = te[k], .valid_err = ve[k] };
      cr_assert_eq (zj_interp_eval_lanes (pp, ptrs, NT, &o, NULL, 0, ws, res,
                                          fit), 0);
      for (int k = 0; k < NT; k++)
        check_records (ts[k], &res[k], rec, "lanes", &fma_differs);
      /* Single-task interpreter. */
      for (int k = 0; k < NT; k++)
        {
          zj_eval_result r1 = { .train_err = te[k], .valid_err = ve[k] };
          zj_rng rng;
          zj_rng_seed (&rng, 1);
          const double f1 = zj_interp_eval_task (pp, ts[k], &o, &rng, ws, &r1);
          check_records (ts[k], &r1, rec, "interp", &fma_differs);
          cr_assert_eq (bits (f1), bits (fit[k]), "interp vs lanes fitness");
        }
#if HAVE_JIT
      zj_jit_entry *e = zj_jit_get (jit, pp, ZJ_ACCURACY, &jerr);
      cr_assert_not_null (e, "%s", jerr.msg);
      for (int k = 0; k < NT; k++)
        {
          zj_eval_result r1 = { .train_err = te[k], .valid_err = ve[k] };
          zj_rng rng;
          zj_rng_seed (&rng, 1);
          const double f1 = zj_jit_eval_task (e, pp, ts[k], &o, &rng, ws, &r1);
          check_records (ts[k], &r1, rec, "jit", &fma_differs);
          cr_assert_eq (bits (f1), bits (fit[k]), "jit vs lanes fitness");
        }
      zj_jit_release (jit, e);
#endif
      for (int k = 0; k < NT; k++)
        {
          zj_task_free (ts[k]);
          free (ts[k]);
        }
      zj_workspace_free (ws);
      zj_prepared_free (pp);
    }
#if HAVE_JIT
  zj_jit_free (jit);
#endif
  cr_assert_gt (fma_differs, 0, "no input tells the entry points apart");
}

/* 100 errors: lane-major records (the FEC's); 150: the per-task path. */
Test (sigmoid, every_tier_records_the_formula_lane_major, .timeout = 120)
{
  every_tier_records (100);
}

Test (sigmoid, every_tier_records_the_formula_per_task, .timeout = 120)
{
  every_tier_records (150);
}

/* ---------------------------------------------------------------------
   Random programs over all deterministic ops on data with NaN, infinities
   and huge values (so predictions go non-finite and runs abort), ACCURACY
   and RMS, at every F: lanes, single-task interpreter and (with the JIT)
   native code give the same fitness, steps, abort flags and records. */
static zj_task *
special_task (zj_rng *r, int F, int n, zj_eval_type et)
{
  static const double sp[] = { NAN, INFINITY, -INFINITY, 0.0, -0.0, 1e300 };
  double *x = malloc (sizeof (double) * (size_t) (n * F));
  double *y = malloc (sizeof (double) * (size_t) n);
  for (int i = 0; i < n * F; i++)
    x[i] = zj_rng_below (r, 10) == 0 ? sp[zj_rng_below (r, 6)]
                                      : zj_rng_normal (r) * 4.0;
  for (int i = 0; i < n; i++)
    y[i] = et == ZJ_ACCURACY ? (double) zj_rng_below (r, 2)
                             : zj_rng_normal (r);
  zj_task *t = zj_test_task (F, n, x, y, n, x, y, 2, et);
  zj_test_shuffle_epochs (t, r);
  free (x);
  free (y);
  return t;
}

static void
same_result (const zj_eval_result *a, const zj_eval_result *b, const char *what)
{
  cr_assert_eq (bits (a->fitness), bits (b->fitness), "%s: fitness %a vs %a",
                what, a->fitness, b->fitness);
  cr_assert_eq (a->train_steps, b->train_steps, "%s: steps", what);
  cr_assert_eq (a->aborted, b->aborted, "%s: aborted", what);
  cr_assert_eq (a->n_train_err, b->n_train_err, "%s: train errors", what);
  cr_assert_eq (a->n_valid_err, b->n_valid_err, "%s: valid errors", what);
  for (int i = 0; i < a->n_train_err; i++)
    cr_assert_eq (bits (a->train_err[i]), bits (b->train_err[i]),
                  "%s: train error %d", what, i);
  for (int i = 0; i < a->n_valid_err; i++)
    cr_assert_eq (bits (a->valid_err[i]), bits (b->valid_err[i]),
                  "%s: valid error %d", what, i);
}

Test (sigmoid, three_tiers_agree_on_random_programs, .timeout = 600)
{
  static const int Fs[] = { 2, 4, 8, 16, 32 };
  enum { NP = 4, NTK = 5, NE = 9, REC = 12 };
  zj_rng r;
  zj_rng_seed (&r, 77);
#if HAVE_JIT
  zj_jit_opts jo;
  zj_jit_opts_default (&jo);
  zj_error jerr;
  zj_jit *jit = zj_jit_new (&jo, &jerr);
  cr_assert_not_null (jit, "%s", jerr.msg);
#endif
  int aborted = 0, runs = 0;
  for (size_t f = 0; f < sizeof Fs / sizeof Fs[0]; f++)
    for (int et = 0; et < 2; et++)
      {
        const int F = Fs[f];
        const zj_eval_type type = et ? ZJ_ACCURACY : ZJ_RMS_ERROR;
        const zj_shape sh = { F, 5, 4, 2 };
        zj_task *ts[NTK];
        zj_task tv[NTK];
        const zj_task *ptrs[NTK];
        for (int k = 0; k < NTK; k++)
          {
            ts[k] = special_task (&r, F, NE, type);
            tv[k] = *ts[k];
            ptrs[k] = &tv[k];
          }
        zj_workspace *ws = zj_workspace_new (&sh);
        for (int n = 0; n < NP; n++)
          {
            zj_program p;
            zj_program_init (&p);
            zj_test_random_program (&r, &sh, &p);
            zj_prepared *pp = zj_test_prepare (&p, &sh, n % 2 == 0);
            zj_eval_opts o;
            zj_eval_opts_default (&o);
            o.record_errors = n % 2 ? REC : 0;
            double te[3][NTK][REC], ve[3][NTK][REC], fit[NTK];
            zj_eval_result res[3][NTK];
            for (int k = 0; k < NTK; k++)
              for (int m = 0; m < 3; m++)
                res[m][k] = (zj_eval_result) { .train_err = te[m][k],
                                               .valid_err = ve[m][k] };
            cr_assert_eq (zj_interp_eval_lanes (pp, ptrs, NTK, &o, NULL, 0, ws,
                                                res[0], fit), 0);
#if HAVE_JIT
            zj_jit_entry *e = zj_jit_get (jit, pp, type, &jerr);
            cr_assert_not_null (e, "%s", jerr.msg);
#endif
            for (int k = 0; k < NTK; k++)
              {
                char what[80];
                zj_rng g;
                zj_rng_seed (&g, 3);
                zj_interp_eval_task (pp, ts[k], &o, &g, ws, &res[1][k]);
                snprintf (what, sizeof what, "F=%d %s program %d task %d: interp",
                          F, et ? "ACCURACY" : "RMS", n, k);
                same_result (&res[0][k], &res[1][k], what);
#if HAVE_JIT
                zj_rng_seed (&g, 3);
                zj_jit_eval_task (e, pp, ts[k], &o, &g, ws, &res[2][k]);
                snprintf (what, sizeof what, "F=%d %s program %d task %d: jit",
                          F, et ? "ACCURACY" : "RMS", n, k);
                same_result (&res[0][k], &res[2][k], what);
#endif
                aborted += res[0][k].aborted;
                runs++;
              }
#if HAVE_JIT
            zj_jit_release (jit, e);
#endif
            zj_prepared_free (pp);
            zj_program_free (&p);
          }
        for (int k = 0; k < NTK; k++)
          {
            zj_task_free (ts[k]);
            free (ts[k]);
          }
        zj_workspace_free (ws);
      }
#if HAVE_JIT
  zj_jit_free (jit);
#endif
  /* The data makes many runs abort, and not all. */
  cr_assert_gt (aborted, runs / 10);
  cr_assert_lt (aborted, runs);
}
