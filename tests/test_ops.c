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
#include "internal.h"
#include "identity.h"
#include "cost.h"

#define NS 4
#define NV 3
#define NM 3
#define FMAX 32

typedef struct {
  int F;
  double s[NS];
  double v[NV][FMAX];
  double m[NM][FMAX][FMAX];   /* logical m[address][row][column] */
} state;

static const int sizes[] = { 2, 4, 8, 16, 32 };
#define NSIZES ((int) (sizeof sizes / sizeof sizes[0]))

/* ------------------------------------------------------------ running */

static zj_instr
const_s (int a, double x)
{
  zj_instr in = zj_test_ins (ZJ_SCALAR_CONST_SET_OP, 0, 0, a);
  in.act = x;
  return in;
}

static zj_instr
const_v (int a, int i, int F, double x)
{
  zj_instr in = zj_test_ins (ZJ_VECTOR_CONST_SET_OP, 0, 0, a);
  in.fd[0] = ((float) i + 0.5f) / (float) F;
  in.fd[1] = (float) x;
  return in;
}

static zj_instr
const_m (int a, int r, int c, int F, double x)
{
  zj_instr in = zj_test_ins (ZJ_MATRIX_CONST_SET_OP, 0, 0, a);
  in.fd[0] = ((float) r + 0.5f) / (float) F;
  in.fd[1] = ((float) c + 0.5f) / (float) F;
  in.fd[2] = (float) x;
  return in;
}

/* Setup := (memory <- *in) followed by extra[0..n); no training. */
static void
run_setup (const state *in, const zj_instr *extra, int n, zj_rng *rng,
           state *out)
{
  const int F = in->F;
  zj_shape sh = { F, NS, NV, NM };
  zj_program p;
  zj_program_init (&p);
  zj_fn *f = &p.fn[ZJ_SETUP];
  for (int a = 0; a < NS; a++)
    zj_fn_push (f, const_s (a, in->s[a]));
  for (int a = 0; a < NV; a++)
    for (int i = 0; i < F; i++)
      zj_fn_push (f, const_v (a, i, F, in->v[a][i]));
  for (int a = 0; a < NM; a++)
    for (int r = 0; r < F; r++)
      for (int c = 0; c < F; c++)
        zj_fn_push (f, const_m (a, r, c, F, in->m[a][r][c]));
  for (int k = 0; k < n; k++)
    zj_fn_push (f, extra[k]);

  zj_error err;
  zj_prepared *pp = zj_prepare (&p, &sh, false, &err);
  cr_assert_not_null (pp, "zj_prepare: %s", err.msg);
  zj_workspace *ws = zj_workspace_new (&sh);
  double x[FMAX] = { 0 }, y[1] = { 0 };
  zj_task *t = zj_test_task (F, 0, x, y, 0, x, y, 1, ZJ_RMS_ERROR);
  zj_eval_result res = { 0 };
  double fit = zj_interp_eval_task (pp, t, NULL, rng, ws, &res);
  cr_assert_eq (fit, 0.0);
  cr_assert_eq (res.train_steps, 0);

  zj_layout l;
  zj_layout_init (&l, &sh);
  size_t len;
  const double *mem = zj_workspace_memory (ws, &len);
  cr_assert_eq (len, l.total);
  out->F = F;
  for (int a = 0; a < NS; a++)
    out->s[a] = mem[l.s_off + a];
  for (int a = 0; a < NV; a++)
    for (int i = 0; i < F; i++)
      out->v[a][i] = mem[l.v_off + (size_t) a * F + i];
  for (int a = 0; a < NM; a++)
    for (int r = 0; r < F; r++)
      for (int c = 0; c < F; c++)
        out->m[a][r][c] = mem[l.m_off + (size_t) a * F * F + (size_t) c * F + r];

  zj_task_free (t);
  free (t);
  zj_workspace_free (ws);
  zj_prepared_free (pp);
  zj_program_free (&p);
}

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

/* Canonical lane order of reduce.h, written from its description. */
static double
lane_sum (const double *x, int n)
{
  double lane[4] = { 0.0, 0.0, 0.0, 0.0 };
  const int L = n < 4 ? n : 4;
  for (int i = 0; i < n; i++)
    lane[i % L] += x[i];
  if (L == 4)
    return (lane[0] + lane[1]) + (lane[2] + lane[3]);
  return lane[0] + lane[1];
}

static double
vec_sum (const double *v, int F)
{
  return lane_sum (v, F);
}

static double
vec_dot (const double *a, const double *b, int F)
{
  double p[FMAX];
  for (int i = 0; i < F; i++)
    p[i] = a[i] * b[i];
  return lane_sum (p, F);
}

/* Matrix-wide reductions walk elements in memory (column-major) order. */
static double
mat_sum (double m[FMAX][FMAX], int F, bool squares)
{
  static double flat[FMAX * FMAX];
  for (int c = 0; c < F; c++)
    for (int r = 0; r < F; r++)
      flat[c * F + r] = squares ? m[r][c] * m[r][c] : m[r][c];
  return lane_sum (flat, F * F);
}

static double
row_sum (double m[FMAX][FMAX], int r, int F, bool squares)
{
  double acc = 0.0;
  for (int c = 0; c < F; c++)
    acc += squares ? m[r][c] * m[r][c] : m[r][c];
  return acc;
}

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
same (double x, double y)
{
  if (isnan (x) || isnan (y))
    return isnan (x) && isnan (y);
  return x == y && signbit (x) == signbit (y);
}

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

/* ------------------------------------------------ the table's columns */
/* The rand column says which ops draw: exactly the uniform and gaussian
   set ops (their data are distribution parameters). */
Test (table, random_column)
{
  int n = 0;
  for (int op = 0; op < ZJ_NUM_OPS; op++)
    {
      const zj_data_kind d = zj_ops[op].data;
      cr_assert_eq (zj_op_is_random (op), d == ZJ_DATA_UNIF || d == ZJ_DATA_GAUSS,
                    "%s", zj_ops[op].name);
      n += zj_op_is_random (op);
    }
  cr_assert_eq (n, 6);
  cr_assert (!zj_op_is_random (-1) && !zj_op_is_random (ZJ_NUM_OPS));
}

/* The library's inline zj_op_is_random (internal.h) answers as the
   exported function, out-of-range ops included. */
Test (table, random_column_inline)
{
  for (int op = -3; op < ZJ_NUM_OPS + 3; op++)
    {
      const bool want = op >= 0 && op < ZJ_NUM_OPS && zj_ops[op].random;
      cr_assert_eq (zj_op_is_random_inl (op), want, "op %d", op);
      cr_assert_eq ((zj_op_is_random) (op), want, "op %d", op);
    }
  cr_assert (!zj_op_is_random_inl (INT32_MIN));
}

/* The cost column: 2 for dispatch plus the op's work at F. */
Test (table, cost_column)
{
  cr_assert_eq (zj_op_cost (ZJ_NO_OP, 4), 2.0);
  cr_assert_eq (zj_op_cost (ZJ_SCALAR_SUM_OP, 4), 3.0);
  cr_assert_eq (zj_op_cost (ZJ_VECTOR_SUM_OP, 8), 10.0);
  cr_assert_eq (zj_op_cost (ZJ_MATRIX_SUM_OP, 4), 18.0);
  cr_assert_eq (zj_op_cost (ZJ_MATRIX_MEAN_OP, 4), 18.0);    /* reads F*F */
  cr_assert_eq (zj_op_cost (ZJ_MATRIX_VECTOR_PRODUCT_OP, 4), 34.0);
  cr_assert_eq (zj_op_cost (ZJ_MATRIX_MATRIX_PRODUCT_OP, 4), 130.0);
  cr_assert_eq (zj_op_cost (ZJ_SCALAR_LOG_OP, 16), 22.0);
  cr_assert_eq (zj_op_cost (ZJ_VECTOR_CONST_SET_OP, 16), 3.0);
  cr_assert_eq (zj_op_cost (ZJ_SCALAR_CONST_SET_OP, 16), 3.0);
  cr_assert_eq (zj_op_cost (ZJ_VECTOR_GAUSSIAN_SET_OP, 4), 42.0);
  cr_assert_eq (zj_op_cost (ZJ_MATRIX_UNIFORM_SET_OP, 4), 162.0);
}

/* The data columns: what the kernels read, and the constant table. */
Test (table, data_decode)
{
  const int F = 4;
  double c[2];
  zj_instr in = zj_test_ins (ZJ_VECTOR_CONST_SET_OP, 0, 0, 1);
  in.fd[0] = 0.5f; in.fd[1] = -0.25f;
  cr_assert_eq (zj_data_decode (&in, F, c), 2);
  cr_assert_eq (c[0], -0.25);
  cr_assert_eq (c[1], 0.0);
  in = zj_test_ins (ZJ_MATRIX_CONST_SET_OP, 0, 0, 0);
  in.fd[0] = 0.25f; in.fd[1] = 0.75f; in.fd[2] = 0.5f;
  cr_assert_eq (zj_data_decode (&in, F, c), 3 * F + 1);    /* row 1, column 3 */
  cr_assert_eq (c[0], 0.5);
  in = zj_test_ins (ZJ_SCALAR_UNIFORM_SET_OP, 0, 0, 1);
  in.fd[0] = -0.5f; in.fd[1] = 0.75f;
  cr_assert_eq (zj_data_decode (&in, F, c), 0);
  cr_assert (c[0] == -0.5 && c[1] == 0.75);
  in = zj_test_ins (ZJ_SCALAR_CONST_SET_OP, 0, 0, 1);
  in.act = 0.1;
  cr_assert_eq (zj_data_decode (&in, F, c), 0);
  cr_assert_eq (c[0], 0.1);
  cr_assert_eq (zj_op_const_count (ZJ_NO_OP), 0);
  cr_assert_eq (zj_op_const_count (ZJ_SCALAR_CONST_SET_OP), 1);
  cr_assert_eq (zj_op_const_count (ZJ_MATRIX_CONST_SET_OP), 2);
  cr_assert_eq (zj_op_const_count (ZJ_VECTOR_GAUSSIAN_SET_OP), 2);
  /* The constant table of a program: offsets and values in order. */
  zj_program p;
  zj_program_init (&p);
  zj_instr m = zj_test_ins (ZJ_MATRIX_CONST_SET_OP, 0, 0, 0);
  m.fd[0] = 0.25f; m.fd[1] = 0.75f; m.fd[2] = 0.5f;
  zj_instr a = zj_test_ins (ZJ_SCALAR_CONST_SET_OP, 0, 0, 1);
  a.act = 0.1;
  zj_fn_push (&p.fn[ZJ_SETUP], m);
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_SCALAR_SUM_OP, 1, 1, 1));
  zj_fn_push (&p.fn[ZJ_LEARN], a);
  cr_assert_eq (zj_const_count (&p), 3);
  double k[3];
  zj_const_fill (&p, F, k);
  cr_assert (k[0] == 13.0 && k[1] == 0.5 && k[2] == 0.1);
  zj_program_free (&p);
}
