/* test_ops.c -- every op at every features size, against values computed here.
 *
 * Each case builds a Setup that fills the whole memory with known values
 * (const-set instructions), appends the instruction under test, evaluates
 * with no training steps and reads the final memory back.  The expected
 * memory is computed by `expect` below from logical row/column indices,
 * always reading the ORIGINAL inputs, so it also states the aliasing rule
 * ("all inputs are read before the output is written").  Reductions follow
 * the documented canonical order (src/interp/reduce.h: 4 lanes, (l0+l1)+(l2+l3);
 * row-wise and inner-product-of-matrix loops sequential from +0.0), so the
 * comparison is exact; only SLEEF transcendentals get a tolerance.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include "testutil.h"
#include "opsutil.h"

/* A float-representable value (const sets store floats) in (-2, 2) with a
   random binary exponent, so that sums round and their order matters: on
   a fixed-point grid every sum would be exact and hide order mistakes. */
static double
random_value (zj_rng *g)
{
  float x = zj_rng_float (g, -2.0f, 2.0f);
  return ldexpf (x, -(int) zj_rng_below (g, 12));
}

static void
random_state (state *st, int F, zj_rng *g)
{
  memset (st, 0, sizeof *st);
  st->F = F;
  for (int a = 0; a < NS; a++)
    st->s[a] = random_value (g);
  for (int a = 0; a < NV; a++)
    for (int i = 0; i < F; i++)
      st->v[a][i] = random_value (g);
  for (int a = 0; a < NM; a++)
    for (int r = 0; r < F; r++)
      for (int c = 0; c < F; c++)
        st->m[a][r][c] = random_value (g);
}

/* ----------------------------------------------------- expected values */

static double
smin (double a, double b) { return b < a ? b : a; }     /* std::min */
static double
smax (double a, double b) { return a < b ? b : a; }     /* std::max */
static double
mmin (double a, double b) { return a < b ? a : b; }     /* matrix form */
static double
mmax (double a, double b) { return a > b ? a : b; }

static int
frac_idx (float f, int F)
{
  return (int) ((float) F * f);
}

static double
elementwise (int op, double x, double y)
{
  switch (op)
    {
    case ZJ_SCALAR_SUM_OP: case ZJ_VECTOR_SUM_OP: case ZJ_MATRIX_SUM_OP:
      return x + y;
    case ZJ_SCALAR_DIFF_OP: case ZJ_VECTOR_DIFF_OP: case ZJ_MATRIX_DIFF_OP:
      return x - y;
    case ZJ_SCALAR_PRODUCT_OP: case ZJ_VECTOR_PRODUCT_OP:
    case ZJ_MATRIX_PRODUCT_OP: case ZJ_SCALAR_VECTOR_PRODUCT_OP:
    case ZJ_SCALAR_MATRIX_PRODUCT_OP:
      return x * y;
    case ZJ_SCALAR_DIVISION_OP: case ZJ_VECTOR_DIVISION_OP:
    case ZJ_MATRIX_DIVISION_OP:
      return x / y;
    case ZJ_SCALAR_ABS_OP: case ZJ_VECTOR_ABS_OP: case ZJ_MATRIX_ABS_OP:
      return fabs (x);
    case ZJ_SCALAR_RECIPROCAL_OP: case ZJ_VECTOR_RECIPROCAL_OP:
    case ZJ_MATRIX_RECIPROCAL_OP:
      return 1.0 / x;
    case ZJ_SCALAR_SIN_OP: return sin (x);
    case ZJ_SCALAR_COS_OP: return cos (x);
    case ZJ_SCALAR_TAN_OP: return tan (x);
    case ZJ_SCALAR_ARCSIN_OP: return asin (x);
    case ZJ_SCALAR_ARCCOS_OP: return acos (x);
    case ZJ_SCALAR_ARCTAN_OP: return atan (x);
    case ZJ_SCALAR_EXP_OP: return exp (x);
    case ZJ_SCALAR_LOG_OP: return log (x);
    case ZJ_SCALAR_HEAVYSIDE_OP: return x >= 0.0 ? 1.0 : 0.0;
    case ZJ_VECTOR_HEAVYSIDE_OP: case ZJ_MATRIX_HEAVYSIDE_OP:
      return x > 0.0 ? 1.0 : 0.0;
    case ZJ_SCALAR_MIN_OP: case ZJ_VECTOR_MIN_OP: return smin (x, y);
    case ZJ_SCALAR_MAX_OP: case ZJ_VECTOR_MAX_OP: return smax (x, y);
    case ZJ_MATRIX_MIN_OP: return mmin (x, y);
    case ZJ_MATRIX_MAX_OP: return mmax (x, y);
    default: cr_assert_fail ("not elementwise: %d", op); return 0;
    }
}

/* Vector/matrix ops with matrix or vector structure (not elementwise). */
static void
expect_structured (const zj_instr *I, const state *in, state *out)
{
  const int F = in->F;
  const int a = I->in1, b = I->in2, o = I->out;
  switch (I->op)
    {
    case ZJ_SCALAR_BROADCAST_OP:
      for (int i = 0; i < F; i++) out->v[o][i] = in->s[a];
      break;
    case ZJ_VECTOR_NORM_OP:
      out->s[o] = sqrt (vec_dot (in->v[a], in->v[a], F));
      break;
    case ZJ_VECTOR_INNER_PRODUCT_OP:
      out->s[o] = vec_dot (in->v[a], in->v[b], F);
      break;
    case ZJ_VECTOR_OUTER_PRODUCT_OP:
      for (int r = 0; r < F; r++)
        for (int c = 0; c < F; c++)
          out->m[o][r][c] = in->v[a][r] * in->v[b][c];
      break;
    case ZJ_MATRIX_VECTOR_PRODUCT_OP:
      for (int r = 0; r < F; r++)
        {
          double acc = 0.0;
          for (int c = 0; c < F; c++)
            acc += in->m[a][r][c] * in->v[b][c];
          out->v[o][r] = acc;
        }
      break;
    case ZJ_VECTOR_COLUMN_BROADCAST_OP:
      for (int r = 0; r < F; r++)
        for (int c = 0; c < F; c++)
          out->m[o][r][c] = in->v[a][r];
      break;
    case ZJ_VECTOR_ROW_BROADCAST_OP:
      for (int r = 0; r < F; r++)
        for (int c = 0; c < F; c++)
          out->m[o][r][c] = in->v[a][c];
      break;
    case ZJ_MATRIX_NORM_OP:
      out->s[o] = sqrt (mat_sum ((double (*)[FMAX]) in->m[a], F, true));
      break;
    case ZJ_MATRIX_COLUMN_NORM_OP:
      for (int c = 0; c < F; c++)
        {
          double col[FMAX];
          for (int r = 0; r < F; r++)
            col[r] = in->m[a][r][c];
          out->v[o][c] = sqrt (vec_dot (col, col, F));
        }
      break;
    case ZJ_MATRIX_ROW_NORM_OP:
      for (int r = 0; r < F; r++)
        out->v[o][r] = sqrt (row_sum ((double (*)[FMAX]) in->m[a], r, F, true));
      break;
    case ZJ_MATRIX_TRANSPOSE_OP:
      for (int r = 0; r < F; r++)
        for (int c = 0; c < F; c++)
          out->m[o][r][c] = in->m[a][c][r];
      break;
    case ZJ_MATRIX_MATRIX_PRODUCT_OP:
      for (int r = 0; r < F; r++)
        for (int c = 0; c < F; c++)
          {
            double acc = 0.0;
            for (int k = 0; k < F; k++)
              acc += in->m[a][r][k] * in->m[b][k][c];
            out->m[o][r][c] = acc;
          }
      break;
    case ZJ_VECTOR_MEAN_OP:
      out->s[o] = vec_sum (in->v[a], F) / F;
      break;
    case ZJ_MATRIX_MEAN_OP:
      out->s[o] = mat_sum ((double (*)[FMAX]) in->m[a], F, false) / (F * F);
      break;
    case ZJ_MATRIX_ROW_MEAN_OP:
      for (int r = 0; r < F; r++)
        out->v[o][r] = row_sum ((double (*)[FMAX]) in->m[a], r, F, false) / F;
      break;
    case ZJ_MATRIX_ROW_ST_DEV_OP:
      for (int r = 0; r < F; r++)
        {
          double mean = row_sum ((double (*)[FMAX]) in->m[a], r, F, false) / F;
          double sq = row_sum ((double (*)[FMAX]) in->m[a], r, F, true) / F;
          out->v[o][r] = sqrt (sq - mean * mean);
        }
      break;
    case ZJ_VECTOR_ST_DEV_OP:
      {
        double mean = vec_sum (in->v[a], F) / F;
        out->s[o] = sqrt (vec_dot (in->v[a], in->v[a], F) / F - mean * mean);
      }
      break;
    case ZJ_MATRIX_ST_DEV_OP:
      {
        double (*m)[FMAX] = (double (*)[FMAX]) in->m[a];
        double mean = mat_sum (m, F, false) / (F * F);
        out->s[o] = sqrt (mat_sum (m, F, true) / (F * F) - mean * mean);
      }
      break;
    default:
      cr_assert_fail ("op %d not structured", I->op);
    }
}

/* Set ops: constants, and draws from `rng` in the documented order. */
static void
expect_set (const zj_instr *I, const state *in, state *out, zj_rng *rng)
{
  const int F = in->F, o = I->out;
  const double lo = I->fd[0], hi = I->fd[1];
  switch (I->op)
    {
    case ZJ_SCALAR_CONST_SET_OP:
      out->s[o] = I->act;
      break;
    case ZJ_VECTOR_CONST_SET_OP:
      out->v[o][frac_idx (I->fd[0], F)] = I->fd[1];
      break;
    case ZJ_MATRIX_CONST_SET_OP:
      out->m[o][frac_idx (I->fd[0], F)][frac_idx (I->fd[1], F)] = I->fd[2];
      break;
    case ZJ_SCALAR_UNIFORM_SET_OP:
      out->s[o] = zj_rng_open (rng, lo, hi);
      break;
    case ZJ_VECTOR_UNIFORM_SET_OP:
      for (int i = 0; i < F; i++) out->v[o][i] = zj_rng_open (rng, lo, hi);
      break;
    case ZJ_MATRIX_UNIFORM_SET_OP:     /* row-major draw order */
      for (int r = 0; r < F; r++)
        for (int c = 0; c < F; c++)
          out->m[o][r][c] = zj_rng_open (rng, lo, hi);
      break;
    case ZJ_SCALAR_GAUSSIAN_SET_OP:
      out->s[o] = zj_rng_gaussian (rng, lo, hi);
      break;
    case ZJ_VECTOR_GAUSSIAN_SET_OP:
      for (int i = 0; i < F; i++) out->v[o][i] = zj_rng_gaussian (rng, lo, hi);
      break;
    case ZJ_MATRIX_GAUSSIAN_SET_OP:
      for (int r = 0; r < F; r++)
        for (int c = 0; c < F; c++)
          out->m[o][r][c] = zj_rng_gaussian (rng, lo, hi);
      break;
    default:
      cr_assert_fail ("op %d not a set op", I->op);
    }
}

static bool
is_elementwise (int op)
{
  switch (op)
    {
    case ZJ_SCALAR_BROADCAST_OP: case ZJ_VECTOR_NORM_OP:
    case ZJ_VECTOR_INNER_PRODUCT_OP: case ZJ_VECTOR_OUTER_PRODUCT_OP:
    case ZJ_MATRIX_VECTOR_PRODUCT_OP: case ZJ_VECTOR_COLUMN_BROADCAST_OP:
    case ZJ_VECTOR_ROW_BROADCAST_OP: case ZJ_MATRIX_NORM_OP:
    case ZJ_MATRIX_COLUMN_NORM_OP: case ZJ_MATRIX_ROW_NORM_OP:
    case ZJ_MATRIX_TRANSPOSE_OP: case ZJ_MATRIX_MATRIX_PRODUCT_OP:
      return false;
    default:
      return op >= ZJ_SCALAR_SUM_OP && op <= ZJ_MATRIX_MAX_OP;
    }
}

/* The expected memory after executing I on *in. */
static void
expect (const zj_instr *I, const state *in, state *out, zj_rng *rng)
{
  *out = *in;
  const zj_op_info *info = &zj_ops[I->op];
  const int F = in->F, a = I->in1, b = I->in2, o = I->out;
  if (I->op == ZJ_NO_OP)
    return;
  if (info->data != ZJ_DATA_NONE)
    {
      expect_set (I, in, out, rng);
      return;
    }
  if (!is_elementwise (I->op))
    {
      expect_structured (I, in, out);
      return;
    }
  /* Elementwise: the first operand may be a scalar broadcast over v/m. */
  if (info->out == ZJ_KIND_S)
    out->s[o] = elementwise (I->op, in->s[a], in->s[b]);
  else if (info->out == ZJ_KIND_V)
    for (int i = 0; i < F; i++)
      {
        double x = info->in1 == ZJ_KIND_S ? in->s[a] : in->v[a][i];
        double y = info->in2 == ZJ_KIND_N ? 0 : in->v[b][i];
        out->v[o][i] = elementwise (I->op, x, y);
      }
  else
    for (int r = 0; r < F; r++)
      for (int c = 0; c < F; c++)
        {
          double x = info->in1 == ZJ_KIND_S ? in->s[a] : in->m[a][r][c];
          double y = info->in2 == ZJ_KIND_N ? 0 : in->m[b][r][c];
          out->m[o][r][c] = elementwise (I->op, x, y);
        }
}

/* ---------------------------------------------------------- comparing */

static bool
is_sleef_op (int op)
{
  return op >= ZJ_SCALAR_SIN_OP && op <= ZJ_SCALAR_LOG_OP;
}

/* SLEEF u10 and glibc are each within ~1 ulp of the true value. */
static bool
close_ulps (double got, double want)
{
  if (isnan (want) || isinf (want))
    return same (got, want);
  return fabs (got - want) <= 4e-16 * 4 * fabs (want) + 1e-300;
}

static void
assert_state (const state *got, const state *want, const char *what, int op)
{
  const int F = want->F;
  for (int a = 0; a < NS; a++)
    {
      bool ok = is_sleef_op (op) ? close_ulps (got->s[a], want->s[a])
                                 : same (got->s[a], want->s[a]);
      cr_assert (ok, "%s: s%d = %.17g, expected %.17g", what, a, got->s[a],
                 want->s[a]);
    }
  for (int a = 0; a < NV; a++)
    for (int i = 0; i < F; i++)
      cr_assert (same (got->v[a][i], want->v[a][i]),
                 "%s: v%d[%d] = %.17g, expected %.17g", what, a, i,
                 got->v[a][i], want->v[a][i]);
  for (int a = 0; a < NM; a++)
    for (int r = 0; r < F; r++)
      for (int c = 0; c < F; c++)
        cr_assert (same (got->m[a][r][c], want->m[a][r][c]),
                   "%s: m%d(%d,%d) = %.17g, expected %.17g", what, a, r, c,
                   got->m[a][r][c], want->m[a][r][c]);
}

static int
rand_addr (zj_kind k, zj_rng *g)
{
  switch (k)
    {
    case ZJ_KIND_S: return (int) zj_rng_below (g, NS);
    case ZJ_KIND_V: return (int) zj_rng_below (g, NV);
    case ZJ_KIND_M: return (int) zj_rng_below (g, NM);
    default: return 0;
    }
}

static void
rand_data (zj_instr *in, zj_rng *g)
{
  switch (zj_ops[in->op].data)
    {
    case ZJ_DATA_ACT:
      in->act = zj_rng_open (g, -1.0, 1.0);
      break;
    case ZJ_DATA_VSET:
      in->fd[0] = zj_rng_float (g, 0.0f, 1.0f);
      in->fd[1] = zj_rng_float (g, -1.0f, 1.0f);
      break;
    case ZJ_DATA_MSET:
      in->fd[0] = zj_rng_float (g, 0.0f, 1.0f);
      in->fd[1] = zj_rng_float (g, 0.0f, 1.0f);
      in->fd[2] = zj_rng_float (g, -1.0f, 1.0f);
      break;
    case ZJ_DATA_UNIF:     /* unordered, as initial randomization */
      in->fd[0] = zj_rng_float (g, -1.0f, 1.0f);
      in->fd[1] = zj_rng_float (g, -1.0f, 1.0f);
      break;
    case ZJ_DATA_GAUSS:
      in->fd[0] = zj_rng_float (g, -1.0f, 1.0f);
      in->fd[1] = zj_rng_float (g, 0.0f, 1.0f);
      break;
    case ZJ_NUM_DATA_KINDS:
      break;
    case ZJ_DATA_NONE:
      break;
    }
}

/* Runs I on `in` with the interpreter and checks memory and RNG state. */
static void
check_instr (const zj_instr *I, const state *in, uint64_t seed)
{
  const zj_op_info *info = &zj_ops[I->op];
  char what[160];
  snprintf (what, sizeof what, "%s F=%d in1=%d in2=%d out=%d", info->name,
            in->F, I->in1, I->in2, I->out);
  zj_rng r_got, r_want;
  zj_rng_seed (&r_got, seed);
  r_want = r_got;
  state got, want;
  run_setup (in, I, 1, &r_got, &got);
  expect (I, in, &want, &r_want);
  assert_state (&got, &want, what, I->op);
  cr_assert (memcmp (&r_got, &r_want, sizeof r_got) == 0,
             "%s: RNG state differs from the expected draws", what);
}

static void
check_with_addrs (int op, const state *in, int a, int b, int o, zj_rng *g)
{
  const zj_op_info *info = &zj_ops[op];
  zj_instr I = zj_test_ins (op, info->in1 ? a : 0, info->in2 ? b : 0,
                            info->out ? o : 0);
  rand_data (&I, g);
  check_instr (&I, in, zj_rng_next (g));
}

Test (ops, table_has_65_ops)
{
  cr_assert_eq (ZJ_NUM_OPS, 65);
  cr_assert_str_eq (zj_ops[ZJ_MATRIX_GAUSSIAN_SET_OP].name, "MATRIX_GAUSSIAN_SET_OP");
}

/* Every op, every F: random addresses, then fully aliased addresses. */
Test (ops, every_op_every_size, .timeout = 60)
{
  zj_rng g;
  zj_rng_seed (&g, 20261128);
  static state in;
  for (int fi = 0; fi < NSIZES; fi++)
    for (int op = 0; op < ZJ_NUM_OPS; op++)
      {
        const zj_op_info *info = &zj_ops[op];
        random_state (&in, sizes[fi], &g);
        for (int trial = 0; trial < 4; trial++)
          check_with_addrs (op, &in, rand_addr (info->in1, &g),
                            rand_addr (info->in2, &g),
                            rand_addr (info->out, &g), &g);
        check_with_addrs (op, &in, 0, 0, 0, &g);
        check_with_addrs (op, &in, 1, 1, 1, &g);
        check_with_addrs (op, &in, 2, 2, 2, &g);
        check_with_addrs (op, &in, 2, 1, 1, &g);
      }
}
