/* test_ops_edges.c -- ops on hand-computed inputs: aliasing and orientation,
 * heaviside at zero, std of equal elements, the set ops' draws and index
 * fractions, NaN in min/max, division by zero, transcendental domains. */
#include <criterion/criterion.h>
#include <math.h>
#include "testutil.h"
#include "opsutil.h"

/* ------------------------------------------------- hand-computed cases */

static void
zero_state (state *st, int F)
{
  memset (st, 0, sizeof *st);
  st->F = F;
}

/* The result of I on `in`, memory only (RNG seeded 1). */
static void
run1 (const state *in, zj_instr I, state *out)
{
  zj_rng r;
  zj_rng_seed (&r, 1);
  run_setup (in, &I, 1, &r, out);
}

Test (ops, aliased_matmul_by_hand)
{
  /* m1 = [[1 2] [3 4]] (rows); m1 * m1 = [[7 10] [15 22]]. */
  state in, out;
  zero_state (&in, 2);
  in.m[1][0][0] = 1; in.m[1][0][1] = 2; in.m[1][1][0] = 3; in.m[1][1][1] = 4;
  run1 (&in, zj_test_ins (ZJ_MATRIX_MATRIX_PRODUCT_OP, 1, 1, 1), &out);
  cr_assert_eq (out.m[1][0][0], 7);
  cr_assert_eq (out.m[1][0][1], 10);
  cr_assert_eq (out.m[1][1][0], 15);
  cr_assert_eq (out.m[1][1][1], 22);
}

Test (ops, aliased_matrix_vector_by_hand)
{
  /* v1 = dot(m0, v1): m0 = [[1 2] [3 4]], v1 = (5, 6) -> (17, 39). */
  state in, out;
  zero_state (&in, 2);
  in.m[0][0][0] = 1; in.m[0][0][1] = 2; in.m[0][1][0] = 3; in.m[0][1][1] = 4;
  in.v[1][0] = 5; in.v[1][1] = 6;
  run1 (&in, zj_test_ins (ZJ_MATRIX_VECTOR_PRODUCT_OP, 0, 1, 1), &out);
  cr_assert_eq (out.v[1][0], 17);
  cr_assert_eq (out.v[1][1], 39);
}

Test (ops, in_place_transpose_by_hand)
{
  state in, out;
  zero_state (&in, 4);
  for (int r = 0; r < 4; r++)
    for (int c = 0; c < 4; c++)
      in.m[0][r][c] = 10 * r + c;
  run1 (&in, zj_test_ins (ZJ_MATRIX_TRANSPOSE_OP, 0, 0, 0), &out);
  for (int r = 0; r < 4; r++)
    for (int c = 0; c < 4; c++)
      cr_assert_eq (out.m[0][r][c], 10 * c + r, "(%d,%d)", r, c);
}

Test (ops, outer_and_broadcast_orientation)
{
  state in, out;
  zero_state (&in, 2);
  in.v[1][0] = 2; in.v[1][1] = 3; in.v[2][0] = 5; in.v[2][1] = 7;
  run1 (&in, zj_test_ins (ZJ_VECTOR_OUTER_PRODUCT_OP, 1, 2, 0), &out);
  cr_assert_eq (out.m[0][0][1], 14);   /* a_0 * b_1 */
  cr_assert_eq (out.m[0][1][0], 15);   /* a_1 * b_0 */
  run1 (&in, zj_test_ins (ZJ_VECTOR_COLUMN_BROADCAST_OP, 1, 0, 0), &out);
  cr_assert_eq (out.m[0][1][0], 3);    /* every column equals v */
  cr_assert_eq (out.m[0][1][1], 3);
  run1 (&in, zj_test_ins (ZJ_VECTOR_ROW_BROADCAST_OP, 1, 0, 0), &out);
  cr_assert_eq (out.m[0][0][1], 3);    /* every row equals v */
  cr_assert_eq (out.m[0][1][1], 3);
  cr_assert_eq (out.m[0][1][0], 2);
}

Test (ops, column_vs_row_norm)
{
  /* m0 = [[3 0] [4 0]]: column norms (5, 0); row norms (3, 4). */
  state in, out;
  zero_state (&in, 2);
  in.m[0][0][0] = 3; in.m[0][1][0] = 4;
  run1 (&in, zj_test_ins (ZJ_MATRIX_COLUMN_NORM_OP, 0, 0, 1), &out);
  cr_assert_eq (out.v[1][0], 5);
  cr_assert_eq (out.v[1][1], 0);
  run1 (&in, zj_test_ins (ZJ_MATRIX_ROW_NORM_OP, 0, 0, 1), &out);
  cr_assert_eq (out.v[1][0], 3);
  cr_assert_eq (out.v[1][1], 4);
}

Test (ops, heaviside_at_zero)
{
  for (int fi = 0; fi < NSIZES; fi++)
    {
      const int F = sizes[fi];
      state in, out;
      zero_state (&in, F);
      in.s[2] = -0.0;
      in.s[3] = NAN;
      in.v[1][F - 1] = NAN;
      in.m[1][F - 1][0] = NAN;
      run1 (&in, zj_test_ins (ZJ_SCALAR_HEAVYSIDE_OP, 0, 0, 1), &out);
      cr_assert_eq (out.s[1], 1.0, "scalar heaviside(0) is 1 (>=)");
      run1 (&in, zj_test_ins (ZJ_SCALAR_HEAVYSIDE_OP, 2, 0, 1), &out);
      cr_assert_eq (out.s[1], 1.0, "scalar heaviside(-0) is 1");
      run1 (&in, zj_test_ins (ZJ_SCALAR_HEAVYSIDE_OP, 3, 0, 1), &out);
      cr_assert_eq (out.s[1], 0.0, "scalar heaviside(NaN) is 0");
      in.v[0][0] = 1.0;
      run1 (&in, zj_test_ins (ZJ_VECTOR_HEAVYSIDE_OP, 0, 0, 2), &out);
      cr_assert_eq (out.v[2][0], 1.0);
      for (int i = 1; i < F; i++)
        cr_assert_eq (out.v[2][i], 0.0, "vector heaviside(0) is 0 (>)");
      run1 (&in, zj_test_ins (ZJ_VECTOR_HEAVYSIDE_OP, 1, 0, 2), &out);
      cr_assert_eq (out.v[2][F - 1], 0.0, "vector heaviside(NaN) is 0");
      run1 (&in, zj_test_ins (ZJ_MATRIX_HEAVYSIDE_OP, 0, 0, 2), &out);
      for (int r = 0; r < F; r++)
        for (int c = 0; c < F; c++)
          cr_assert_eq (out.m[2][r][c], 0.0, "matrix heaviside(0) is 0 (>)");
      run1 (&in, zj_test_ins (ZJ_MATRIX_HEAVYSIDE_OP, 1, 0, 2), &out);
      cr_assert_eq (out.m[2][F - 1][0], 0.0);
    }
}

Test (ops, std_of_equal_elements)
{
  /* 0.1f is inexact, so rounding may leave a tiny or negative radicand:
     whatever it is, it must be the formula in the canonical order. */
  for (int fi = 0; fi < NSIZES; fi++)
    {
      const int F = sizes[fi];
      const double x = (double) 0.1f;
      state in, out;
      zero_state (&in, F);
      for (int i = 0; i < F; i++)
        in.v[1][i] = x;
      for (int r = 0; r < F; r++)
        for (int c = 0; c < F; c++)
          in.m[1][r][c] = x;
      double mv = vec_sum (in.v[1], F) / F;
      double want_v = sqrt (vec_dot (in.v[1], in.v[1], F) / F - mv * mv);
      run1 (&in, zj_test_ins (ZJ_VECTOR_ST_DEV_OP, 1, 0, 2), &out);
      cr_assert (same (out.s[2], want_v), "F=%d: %.17g vs %.17g", F, out.s[2], want_v);
      cr_assert (isnan (out.s[2]) || out.s[2] < 1e-7);

      double mm = mat_sum (in.m[1], F, false) / (F * F);
      double want_m = sqrt (mat_sum (in.m[1], F, true) / (F * F) - mm * mm);
      run1 (&in, zj_test_ins (ZJ_MATRIX_ST_DEV_OP, 1, 0, 2), &out);
      cr_assert (same (out.s[2], want_m), "F=%d: %.17g vs %.17g", F, out.s[2], want_m);
      cr_assert (isnan (out.s[2]) || out.s[2] < 1e-7);

      run1 (&in, zj_test_ins (ZJ_MATRIX_ROW_ST_DEV_OP, 1, 0, 2), &out);
      double rm = row_sum (in.m[1], 0, F, false) / F;
      double want_r = sqrt (row_sum (in.m[1], 0, F, true) / F - rm * rm);
      for (int r = 0; r < F; r++)
        cr_assert (same (out.v[2][r], want_r), "F=%d row %d", F, r);
    }
}

/* Runs one random set op on a zero state; returns memory and RNG. */
static void
run_random (int op, int F, float lo, float hi, state *out, zj_rng *r)
{
  state in;
  zero_state (&in, F);
  zj_instr I = zj_test_ins (op, 0, 0, 1);
  I.fd[0] = lo;
  I.fd[1] = hi;
  run_setup (&in, &I, 1, r, out);
}

Test (ops, uniform_empty_interval_returns_low_without_drawing)
{
  static const int ops[] = { ZJ_SCALAR_UNIFORM_SET_OP, ZJ_VECTOR_UNIFORM_SET_OP,
                             ZJ_MATRIX_UNIFORM_SET_OP };
  const float bounds[][2] = { { 0.5f, -0.25f }, { 0.375f, 0.375f } };
  for (int fi = 0; fi < NSIZES; fi++)
    for (int k = 0; k < 3; k++)
      for (int b = 0; b < 2; b++)
        {
          const int F = sizes[fi];
          zj_rng r, before;
          zj_rng_seed (&r, 77);
          before = r;
          state out;
          run_random (ops[k], F, bounds[b][0], bounds[b][1], &out, &r);
          cr_assert (memcmp (&r, &before, sizeof r) == 0,
                     "%s consumed randomness", zj_ops[ops[k]].name);
          const double low = bounds[b][0];
          if (k == 0)
            cr_assert_eq (out.s[1], low);
          for (int i = 0; k == 1 && i < F; i++)
            cr_assert_eq (out.v[1][i], low);
          for (int i = 0; k == 2 && i < F * F; i++)
            cr_assert_eq (out.m[1][i / F][i % F], low);
        }
}

Test (ops, uniform_draws_inside_open_interval)
{
  for (int fi = 0; fi < NSIZES; fi++)
    {
      const int F = sizes[fi];
      zj_rng r;
      zj_rng_seed (&r, 5);
      state out;
      run_random (ZJ_MATRIX_UNIFORM_SET_OP, F, -0.25f, 0.75f, &out, &r);
      for (int i = 0; i < F * F; i++)
        {
          double x = out.m[1][i / F][i % F];
          cr_assert (x > -0.25 && x < 0.75, "%g", x);
        }
    }
}

Test (ops, gaussian_zero_stdev_gives_mean)
{
  static const int ops[] = { ZJ_SCALAR_GAUSSIAN_SET_OP, ZJ_VECTOR_GAUSSIAN_SET_OP,
                             ZJ_MATRIX_GAUSSIAN_SET_OP };
  for (int fi = 0; fi < NSIZES; fi++)
    for (int k = 0; k < 3; k++)
      {
        const int F = sizes[fi];
        zj_rng r, want;
        zj_rng_seed (&r, 9);
        want = r;
        state out;
        run_random (ops[k], F, -0.625f, 0.0f, &out, &r);
        const int n = k == 0 ? 1 : k == 1 ? F : F * F;
        for (int i = 0; i < n; i++)
          {
            double x = k == 0 ? out.s[1] : k == 1 ? out.v[1][i]
                                                  : out.m[1][i / F][i % F];
            cr_assert_eq (x, -0.625);
            zj_rng_gaussian (&want, -0.625, 0.0);   /* one draw each */
          }
        cr_assert (memcmp (&r, &want, sizeof r) == 0);
      }
}

Test (ops, const_set_index_from_fraction)
{
  /* (int)(F * f) in float: truncation, so 0.2499 -> below the quarter. */
  const float fracs[] = { 0.0f, 0.1f, 0.2499f, 0.25f, 0.5f, 0.7f, 0.99999f };
  for (int fi = 0; fi < NSIZES; fi++)
    for (int k = 0; k < (int) (sizeof fracs / sizeof fracs[0]); k++)
      {
        const int F = sizes[fi];
        const int want = (int) ((float) F * fracs[k]);
        state in, out;
        zero_state (&in, F);
        zj_instr I = zj_test_ins (ZJ_VECTOR_CONST_SET_OP, 0, 0, 2);
        I.fd[0] = fracs[k];
        I.fd[1] = 0.5f;
        run1 (&in, I, &out);
        for (int i = 0; i < F; i++)
          cr_assert_eq (out.v[2][i], i == want ? 0.5 : 0.0, "F=%d f=%g i=%d",
                        F, fracs[k], i);
        I = zj_test_ins (ZJ_MATRIX_CONST_SET_OP, 0, 0, 1);
        I.fd[0] = fracs[k];                      /* row */
        I.fd[1] = fracs[(k + 3) % 7];            /* column */
        I.fd[2] = -1.5f;
        const int wc = (int) ((float) F * I.fd[1]);
        run1 (&in, I, &out);
        for (int r = 0; r < F; r++)
          for (int c = 0; c < F; c++)
            cr_assert_eq (out.m[1][r][c], r == want && c == wc ? -1.5 : 0.0);
      }
}

Test (ops, min_max_nan)
{
  /* std::min(a, b) = b < a ? b : a; matrix form a < b ? a : b. */
  state in, out;
  zero_state (&in, 2);
  in.s[2] = NAN; in.s[3] = 1.0;
  in.v[1][0] = NAN; in.v[1][1] = 1.0;
  in.v[2][0] = 1.0; in.v[2][1] = NAN;
  in.m[1][0][0] = NAN; in.m[2][0][0] = 1.0;
  run1 (&in, zj_test_ins (ZJ_SCALAR_MIN_OP, 2, 3, 1), &out);
  cr_assert (isnan (out.s[1]), "min(NaN, 1) keeps a");
  run1 (&in, zj_test_ins (ZJ_SCALAR_MIN_OP, 3, 2, 1), &out);
  cr_assert_eq (out.s[1], 1.0, "min(1, NaN) keeps a");
  run1 (&in, zj_test_ins (ZJ_SCALAR_MAX_OP, 2, 3, 1), &out);
  cr_assert (isnan (out.s[1]));
  run1 (&in, zj_test_ins (ZJ_SCALAR_MAX_OP, 3, 2, 1), &out);
  cr_assert_eq (out.s[1], 1.0);
  run1 (&in, zj_test_ins (ZJ_VECTOR_MIN_OP, 1, 2, 0), &out);
  cr_assert (isnan (out.v[0][0]));
  cr_assert_eq (out.v[0][1], 1.0);
  run1 (&in, zj_test_ins (ZJ_VECTOR_MAX_OP, 1, 2, 0), &out);
  cr_assert (isnan (out.v[0][0]));
  cr_assert_eq (out.v[0][1], 1.0);
  /* Matrix: NaN as a gives b; NaN as b gives NaN. */
  run1 (&in, zj_test_ins (ZJ_MATRIX_MIN_OP, 1, 2, 0), &out);
  cr_assert_eq (out.m[0][0][0], 1.0);
  run1 (&in, zj_test_ins (ZJ_MATRIX_MIN_OP, 2, 1, 0), &out);
  cr_assert (isnan (out.m[0][0][0]));
  run1 (&in, zj_test_ins (ZJ_MATRIX_MAX_OP, 1, 2, 0), &out);
  cr_assert_eq (out.m[0][0][0], 1.0);
  run1 (&in, zj_test_ins (ZJ_MATRIX_MAX_OP, 2, 1, 0), &out);
  cr_assert (isnan (out.m[0][0][0]));
}

Test (ops, division_by_zero)
{
  state in, out;
  zero_state (&in, 4);
  in.s[2] = 1.0; in.s[3] = -2.0;
  in.v[1][0] = 1.0; in.v[1][1] = -1.0;
  in.m[1][0][0] = 3.0;
  run1 (&in, zj_test_ins (ZJ_SCALAR_DIVISION_OP, 2, 0, 1), &out);
  cr_assert (isinf (out.s[1]) && out.s[1] > 0);
  run1 (&in, zj_test_ins (ZJ_SCALAR_DIVISION_OP, 3, 0, 1), &out);
  cr_assert (isinf (out.s[1]) && out.s[1] < 0);
  run1 (&in, zj_test_ins (ZJ_SCALAR_DIVISION_OP, 0, 0, 1), &out);
  cr_assert (isnan (out.s[1]));
  run1 (&in, zj_test_ins (ZJ_SCALAR_RECIPROCAL_OP, 0, 0, 1), &out);
  cr_assert (isinf (out.s[1]) && out.s[1] > 0);
  run1 (&in, zj_test_ins (ZJ_VECTOR_DIVISION_OP, 1, 0, 2), &out);
  cr_assert (isinf (out.v[2][0]) && out.v[2][0] > 0);
  cr_assert (isinf (out.v[2][1]) && out.v[2][1] < 0);
  cr_assert (isnan (out.v[2][2]));
  run1 (&in, zj_test_ins (ZJ_VECTOR_RECIPROCAL_OP, 0, 0, 2), &out);
  cr_assert (isinf (out.v[2][3]));
  run1 (&in, zj_test_ins (ZJ_MATRIX_DIVISION_OP, 1, 0, 2), &out);
  cr_assert (isinf (out.m[2][0][0]) && out.m[2][0][0] > 0);
  cr_assert (isnan (out.m[2][1][1]));
  run1 (&in, zj_test_ins (ZJ_MATRIX_RECIPROCAL_OP, 0, 0, 2), &out);
  cr_assert (isinf (out.m[2][3][3]));
}

Test (ops, transcendental_edges)
{
  state in, out;
  zero_state (&in, 2);
  in.s[2] = 2.0; in.s[3] = 1000.0;
  run1 (&in, zj_test_ins (ZJ_SCALAR_LOG_OP, 0, 0, 1), &out);
  cr_assert (isinf (out.s[1]) && out.s[1] < 0, "log(0) = -inf");
  run1 (&in, zj_test_ins (ZJ_SCALAR_ARCSIN_OP, 2, 0, 1), &out);
  cr_assert (isnan (out.s[1]), "asin(2) = NaN");
  run1 (&in, zj_test_ins (ZJ_SCALAR_ARCCOS_OP, 2, 0, 1), &out);
  cr_assert (isnan (out.s[1]), "acos(2) = NaN");
  run1 (&in, zj_test_ins (ZJ_SCALAR_EXP_OP, 3, 0, 1), &out);
  cr_assert (isinf (out.s[1]) && out.s[1] > 0, "exp(1000) = inf");
  in.s[2] = -1.0;
  run1 (&in, zj_test_ins (ZJ_SCALAR_LOG_OP, 2, 0, 1), &out);
  cr_assert (isnan (out.s[1]), "log(-1) = NaN");
  run1 (&in, zj_test_ins (ZJ_SCALAR_ARCCOS_OP, 2, 0, 1), &out);
  cr_assert_float_eq (out.s[1], M_PI, 1e-15);
  run1 (&in, zj_test_ins (ZJ_SCALAR_COS_OP, 0, 0, 1), &out);
  cr_assert_eq (out.s[1], 1.0);
}
