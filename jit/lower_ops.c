/* lower_ops.c -- the JIT lowering of every op, one function each.
 *
 * The counterpart of src/interp/kernels.h: each lower_<NAME> emits IR computing
 * exactly what ZJ_KERNEL_<NAME> computes, in the same floating-point order.
 * Memory lives in locals: a scalar is a double, a vector C chunks of W
 * lanes, a matrix F columns of C chunks (column-major like the memory).
 * Ops whose inputs may alias the output through a non-elementwise pattern
 * compute into temporaries first.  Constants (activation data, float data,
 * const-set element indices) come from the constant table: slot k onward,
 * filled by zj_const_fill in the same order.
 * The table at the end is generated from ops.def, so a new op needs one
 * lower_<NAME> function here and nothing else.
 */
#include "config.h"
#include "jit_internal.h"

#define SL(a) (L->s[a])
#define VL(a, j) (L->v[a][j])
#define ML(a, c, j) (L->m[a][(c) * L->C + (j)])
#define R(lv) zl_r (lv)
#define NCH(kind) ((kind) == ZJ_KIND_M ? L->F * L->C : L->C)

#define OP_ADD GCC_JIT_BINARY_OP_PLUS
#define OP_SUB GCC_JIT_BINARY_OP_MINUS
#define OP_MUL GCC_JIT_BINARY_OP_MULT
#define OP_DIV GCC_JIT_BINARY_OP_DIVIDE

static gcc_jit_lvalue **
chunks (zj_lower *L, zj_kind k, int a)
{
  return k == ZJ_KIND_M ? L->m[a] : L->v[a];
}

/* o = a OP b chunk by chunk (elementwise: aliasing is harmless). */
static void
ew2 (zj_lower *L, zj_kind k, const zj_instr *in, enum gcc_jit_binary_op op)
{
  gcc_jit_lvalue **o = chunks (L, k, in->out), **a = chunks (L, k, in->in1),
    **b = chunks (L, k, in->in2);
  for (int j = 0; j < NCH (k); j++)
    zl_set (L, o[j], zl_bin (L, op, R (a[j]), R (b[j])));
}

/* Elementwise unary through a function of one chunk. */
static void
ew1 (zj_lower *L, zj_kind k, const zj_instr *in,
     gcc_jit_rvalue *(*f) (zj_lower *, gcc_jit_rvalue *))
{
  gcc_jit_lvalue **o = chunks (L, k, in->out), **a = chunks (L, k, in->in1);
  for (int j = 0; j < NCH (k); j++)
    zl_set (L, o[j], f (L, R (a[j])));
}

static gcc_jit_rvalue *
f_recip (zj_lower *L, gcc_jit_rvalue *x)
{
  return zl_bin (L, OP_DIV, zl_bcast (L, zl_dbl (L, 1.0)), x);
}

static gcc_jit_rvalue *
f_abs (zj_lower *L, gcc_jit_rvalue *x)
{
  return gcc_jit_context_new_unary_op (L->ctx, NULL, GCC_JIT_UNARY_OP_ABS,
                                       gcc_jit_rvalue_get_type (x), x);
}

/* a > 0 ? 1 : 0 per lane: mask of 0 < a, and-ed with 1.0. */
static gcc_jit_rvalue *
f_heaviside (zj_lower *L, gcc_jit_rvalue *x)
{
  gcc_jit_rvalue *m = zl_vcmp (L, true, zl_bcast (L, zl_dbl (L, 0.0)), x);
  return zl_vand (L, m, zl_bcast (L, zl_dbl (L, 1.0)));
}

/* Min/max: (s1 OP s2 ? s1 : s2); swap says which input is s1. */
static void
minmax (zj_lower *L, zj_kind k, const zj_instr *in, bool is_max, bool b_first)
{
  if (k == ZJ_KIND_S)
    {
      gcc_jit_rvalue *a = R (SL (in->in1)), *b = R (SL (in->in2));
      zl_set (L, SL (in->out), b_first ? zl_minmax (L, is_max, b, a)
                                       : zl_minmax (L, is_max, a, b));
      return;
    }
  gcc_jit_lvalue **o = chunks (L, k, in->out), **a = chunks (L, k, in->in1),
    **b = chunks (L, k, in->in2);
  for (int j = 0; j < NCH (k); j++)
    zl_set (L, o[j], b_first ? zl_minmax (L, is_max, R (b[j]), R (a[j]))
                             : zl_minmax (L, is_max, R (a[j]), R (b[j])));
}

static gcc_jit_rvalue *
rsum_of (zj_lower *L, zj_kind k, int a, bool square)
{
  gcc_jit_lvalue **c = chunks (L, k, a);
  int n = NCH (k);
  gcc_jit_rvalue *x[n];
  for (int j = 0; j < n; j++)
    x[j] = R (c[j]);
  return zl_reduce (L, x, square ? x : NULL, n);
}

/* std = sqrt(sum(x*x)/n - m*m), m = sum(x)/n. */
static void
stdev (zj_lower *L, zj_kind k, const zj_instr *in)
{
  const double n = k == ZJ_KIND_M ? (double) L->F * L->F : L->F;
  gcc_jit_lvalue *m = zl_tmp (L, L->t_d);
  zl_set (L, m, zl_bin (L, OP_DIV, rsum_of (L, k, in->in1, false), zl_dbl (L, n)));
  gcc_jit_rvalue *q = zl_bin (L, OP_DIV, rsum_of (L, k, in->in1, true), zl_dbl (L, n));
  zl_set (L, SL (in->out),
          zl_sqrt (L, zl_bin (L, OP_SUB, q, zl_bin (L, OP_MUL, R (m), R (m)))));
}

/* Row accumulation over columns in order from -0.0 (ZJ_ROW_ACC). */
static void
row_acc (zj_lower *L, int a, bool square, gcc_jit_lvalue **acc)
{
  for (int j = 0; j < L->C; j++)
    {
      acc[j] = zl_tmp (L, L->t_v);
      zl_set (L, acc[j], zl_bcast (L, zl_dbl (L, -0.0)));
    }
  for (int c = 0; c < L->F; c++)
    for (int j = 0; j < L->C; j++)
      {
        gcc_jit_rvalue *x = R (ML (a, c, j));
        if (square)
          x = zl_bin (L, OP_MUL, x, x);
        zl_set (L, acc[j], zl_bin (L, OP_ADD, R (acc[j]), x));
      }
}

/* Element e of a vector address (as an rvalue). */
static gcc_jit_rvalue *
velem (zj_lower *L, int a, int e)
{
  return zl_velem (L, a, e);
}

/* Random fills: draws in the given order into temporaries, then build. */
static void
draw_into (zj_lower *L, int rt, int k, gcc_jit_lvalue *t)
{
  gcc_jit_rvalue *args[3] = { L->rng, zl_k (L, k), zl_k (L, k + 1) };
  zl_set (L, t, zl_call (L, rt, 3, args));
}

static void
fill_random (zj_lower *L, zj_kind kind, const zj_instr *in, int k, int rt)
{
  const int F = L->F, W = L->W;
  if (kind == ZJ_KIND_S)
    {
      draw_into (L, rt, k, SL (in->out));
      return;
    }
  const int n = kind == ZJ_KIND_M ? F * F : F;
  if (n >= 32)
    {
      zl_fill_loop (L, rt, k, n, kind == ZJ_KIND_M, chunks (L, kind, in->out));
      return;
    }
  gcc_jit_lvalue *t[n];
  for (int i = 0; i < n; i++)
    t[i] = zl_tmp (L, L->t_d);
  if (kind == ZJ_KIND_V)
    for (int i = 0; i < F; i++)
      draw_into (L, rt, k, t[i]);
  else
    for (int r = 0; r < F; r++)           /* row-major draws */
      for (int c = 0; c < F; c++)
        draw_into (L, rt, k, t[c * F + r]);
  gcc_jit_lvalue **o = chunks (L, kind, in->out);
  for (int j = 0; j < n / W; j++)
    {
      gcc_jit_rvalue *x[W];
      for (int l = 0; l < W; l++)
        x[l] = R (t[j * W + l]);
      zl_set (L, o[j], zl_build (L, x));
    }
}

/* Const set of one element at a run-time flat index: blend by lane mask. */
static void
const_set (zj_lower *L, zj_kind kind, const zj_instr *in, int k)
{
  gcc_jit_lvalue **o = chunks (L, kind, in->out);
  gcc_jit_lvalue *idx = zl_tmp (L, L->t_v), *val = zl_tmp (L, L->t_v);
  zl_set (L, idx, zl_bcast (L, zl_k (L, k)));
  zl_set (L, val, zl_bcast (L, zl_k (L, k + 1)));
  for (int j = 0; j < NCH (kind); j++)
    {
      double lanes[8];
      for (int l = 0; l < L->W; l++)
        lanes[l] = (double) (j * L->W + l);
      gcc_jit_rvalue *m = zl_vcmp (L, false, zl_vconst (L, lanes), R (idx));
      zl_set (L, o[j], zl_vblend (L, R (o[j]), R (val), m));
    }
}

/* ----------------------------------------------------------------- ops */
#define S2(name, op) \
  static void lower_##name (zj_lower *L, const zj_instr *in, int k) \
  { zl_set (L, SL (in->out), zl_bin (L, op, R (SL (in->in1)), R (SL (in->in2)))); }
#define UNARY_CALL(name, rtfn) \
  static void lower_##name (zj_lower *L, const zj_instr *in, int k) \
  { gcc_jit_rvalue *a = R (SL (in->in1)); \
    zl_set (L, SL (in->out), zl_call (L, rtfn, 1, &a)); }

static void lower_NO_OP (zj_lower *L, const zj_instr *in, int k) {}
S2 (SCALAR_SUM_OP, OP_ADD)
S2 (SCALAR_DIFF_OP, OP_SUB)
S2 (SCALAR_PRODUCT_OP, OP_MUL)
S2 (SCALAR_DIVISION_OP, OP_DIV)
static void lower_SCALAR_ABS_OP (zj_lower *L, const zj_instr *in, int k)
{ zl_set (L, SL (in->out), f_abs (L, R (SL (in->in1)))); }
static void lower_SCALAR_RECIPROCAL_OP (zj_lower *L, const zj_instr *in, int k)
{ zl_set (L, SL (in->out), zl_bin (L, OP_DIV, zl_dbl (L, 1.0), R (SL (in->in1)))); }
UNARY_CALL (SCALAR_SIN_OP, ZJ_RT_SIN)
UNARY_CALL (SCALAR_COS_OP, ZJ_RT_COS)
UNARY_CALL (SCALAR_TAN_OP, ZJ_RT_TAN)
UNARY_CALL (SCALAR_ARCSIN_OP, ZJ_RT_ASIN)
UNARY_CALL (SCALAR_ARCCOS_OP, ZJ_RT_ACOS)
UNARY_CALL (SCALAR_ARCTAN_OP, ZJ_RT_ATAN)
UNARY_CALL (SCALAR_EXP_OP, ZJ_RT_EXP)
UNARY_CALL (SCALAR_LOG_OP, ZJ_RT_LOG)

/* a >= 0 ? 1 : 0 as (double) (int) (a >= 0). */
static void lower_SCALAR_HEAVYSIDE_OP (zj_lower *L, const zj_instr *in, int k)
{
  gcc_jit_rvalue *c = gcc_jit_context_new_comparison (
    L->ctx, NULL, GCC_JIT_COMPARISON_GE, R (SL (in->in1)), zl_dbl (L, 0.0));
  c = gcc_jit_context_new_cast (L->ctx, NULL, c, L->t_int);
  zl_set (L, SL (in->out), gcc_jit_context_new_cast (L->ctx, NULL, c, L->t_d));
}
static void lower_VECTOR_HEAVYSIDE_OP (zj_lower *L, const zj_instr *in, int k)
{ ew1 (L, ZJ_KIND_V, in, f_heaviside); }
static void lower_MATRIX_HEAVYSIDE_OP (zj_lower *L, const zj_instr *in, int k)
{ ew1 (L, ZJ_KIND_M, in, f_heaviside); }

static void
scalar_times (zj_lower *L, zj_kind kind, const zj_instr *in)
{
  gcc_jit_lvalue *s = zl_tmp (L, L->t_v);
  zl_set (L, s, zl_bcast (L, R (SL (in->in1))));
  gcc_jit_lvalue **o = chunks (L, kind, in->out), **b = chunks (L, kind, in->in2);
  for (int j = 0; j < NCH (kind); j++)
    zl_set (L, o[j], zl_bin (L, OP_MUL, R (s), R (b[j])));
}
static void lower_SCALAR_VECTOR_PRODUCT_OP (zj_lower *L, const zj_instr *in, int k)
{ scalar_times (L, ZJ_KIND_V, in); }
static void lower_SCALAR_BROADCAST_OP (zj_lower *L, const zj_instr *in, int k)
{
  gcc_jit_lvalue *s = zl_tmp (L, L->t_v);
  zl_set (L, s, zl_bcast (L, R (SL (in->in1))));
  for (int j = 0; j < L->C; j++)
    zl_set (L, VL (in->out, j), R (s));
}
static void lower_VECTOR_RECIPROCAL_OP (zj_lower *L, const zj_instr *in, int k)
{ ew1 (L, ZJ_KIND_V, in, f_recip); }
static void lower_VECTOR_NORM_OP (zj_lower *L, const zj_instr *in, int k)
{ zl_set (L, SL (in->out), zl_sqrt (L, rsum_of (L, ZJ_KIND_V, in->in1, true))); }
static void lower_VECTOR_ABS_OP (zj_lower *L, const zj_instr *in, int k)
{ ew1 (L, ZJ_KIND_V, in, f_abs); }
static void lower_VECTOR_SUM_OP (zj_lower *L, const zj_instr *in, int k)
{ ew2 (L, ZJ_KIND_V, in, OP_ADD); }
static void lower_VECTOR_DIFF_OP (zj_lower *L, const zj_instr *in, int k)
{ ew2 (L, ZJ_KIND_V, in, OP_SUB); }
static void lower_VECTOR_PRODUCT_OP (zj_lower *L, const zj_instr *in, int k)
{ ew2 (L, ZJ_KIND_V, in, OP_MUL); }
static void lower_VECTOR_DIVISION_OP (zj_lower *L, const zj_instr *in, int k)
{ ew2 (L, ZJ_KIND_V, in, OP_DIV); }
static void lower_VECTOR_INNER_PRODUCT_OP (zj_lower *L, const zj_instr *in, int k)
{
  gcc_jit_rvalue *x[L->C], *y[L->C];
  for (int j = 0; j < L->C; j++)
    {
      x[j] = R (VL (in->in1, j));
      y[j] = R (VL (in->in2, j));
    }
  zl_set (L, SL (in->out), zl_reduce (L, x, y, L->C));
}
/* Column c = a * b[c]. */
static void lower_VECTOR_OUTER_PRODUCT_OP (zj_lower *L, const zj_instr *in, int k)
{
  gcc_jit_lvalue *bc = zl_tmp (L, L->t_v);
  for (int c = 0; c < L->F; c++)
    {
      zl_set (L, bc, zl_bcast (L, velem (L, in->in2, c)));
      for (int j = 0; j < L->C; j++)
        zl_set (L, ML (in->out, c, j), zl_bin (L, OP_MUL, R (VL (in->in1, j)), R (bc)));
    }
}
static void lower_SCALAR_MATRIX_PRODUCT_OP (zj_lower *L, const zj_instr *in, int k)
{ scalar_times (L, ZJ_KIND_M, in); }
static void lower_MATRIX_RECIPROCAL_OP (zj_lower *L, const zj_instr *in, int k)
{ ew1 (L, ZJ_KIND_M, in, f_recip); }
/* T = sum over c of M(:, c) * v(c), c in order, from -0.0; o may be v. */
static void lower_MATRIX_VECTOR_PRODUCT_OP (zj_lower *L, const zj_instr *in, int k)
{
  gcc_jit_lvalue *t[L->C], *vc = zl_tmp (L, L->t_v);
  for (int j = 0; j < L->C; j++)
    {
      t[j] = zl_tmp (L, L->t_v);
      zl_set (L, t[j], zl_bcast (L, zl_dbl (L, -0.0)));
    }
  for (int c = 0; c < L->F; c++)
    {
      zl_set (L, vc, zl_bcast (L, velem (L, in->in2, c)));
      for (int j = 0; j < L->C; j++)
        zl_set (L, t[j], zl_bin (L, OP_ADD, R (t[j]),
                                 zl_bin (L, OP_MUL, R (ML (in->in1, c, j)), R (vc))));
    }
  for (int j = 0; j < L->C; j++)
    zl_set (L, VL (in->out, j), R (t[j]));
}
static void lower_VECTOR_COLUMN_BROADCAST_OP (zj_lower *L, const zj_instr *in, int k)
{
  for (int c = 0; c < L->F; c++)
    for (int j = 0; j < L->C; j++)
      zl_set (L, ML (in->out, c, j), R (VL (in->in1, j)));
}
static void lower_VECTOR_ROW_BROADCAST_OP (zj_lower *L, const zj_instr *in, int k)
{
  for (int c = 0; c < L->F; c++)
    {
      gcc_jit_lvalue *x = zl_tmp (L, L->t_v);
      zl_set (L, x, zl_bcast (L, velem (L, in->in1, c)));
      for (int j = 0; j < L->C; j++)
        zl_set (L, ML (in->out, c, j), R (x));
    }
}
static void lower_MATRIX_NORM_OP (zj_lower *L, const zj_instr *in, int k)
{ zl_set (L, SL (in->out), zl_sqrt (L, rsum_of (L, ZJ_KIND_M, in->in1, true))); }
static void lower_MATRIX_COLUMN_NORM_OP (zj_lower *L, const zj_instr *in, int k)
{
  gcc_jit_lvalue *n[L->F];
  for (int c = 0; c < L->F; c++)
    {
      gcc_jit_rvalue *x[L->C];
      for (int j = 0; j < L->C; j++)
        x[j] = R (ML (in->in1, c, j));
      n[c] = zl_tmp (L, L->t_d);
      zl_set (L, n[c], zl_sqrt (L, zl_reduce (L, x, x, L->C)));
    }
  for (int j = 0; j < L->C; j++)
    {
      gcc_jit_rvalue *x[L->W];
      for (int l = 0; l < L->W; l++)
        x[l] = R (n[j * L->W + l]);
      zl_set (L, VL (in->out, j), zl_build (L, x));
    }
}
static void lower_MATRIX_ROW_NORM_OP (zj_lower *L, const zj_instr *in, int k)
{
  gcc_jit_lvalue *t[L->C];
  row_acc (L, in->in1, true, t);
  for (int j = 0; j < L->C; j++)
    zl_set (L, VL (in->out, j), zl_vsqrt (L, R (t[j])));
}
/* Output column r, lane c = a(r, c). */
static void lower_MATRIX_TRANSPOSE_OP (zj_lower *L, const zj_instr *in, int k)
{
  const int F = L->F, W = L->W, C = L->C;
  gcc_jit_lvalue *t[F * C];
  for (int r = 0; r < F; r++)
    for (int j = 0; j < C; j++)
      {
        gcc_jit_rvalue *x[W];
        for (int l = 0; l < W; l++)
          x[l] = zl_lane (L, ML (in->in1, j * W + l, r / W), r % W);
        t[r * C + j] = zl_tmp (L, L->t_v);
        zl_set (L, t[r * C + j], zl_build (L, x));
      }
  for (int i = 0; i < F * C; i++)
    zl_set (L, L->m[in->out][i], R (t[i]));
}
static void lower_MATRIX_ABS_OP (zj_lower *L, const zj_instr *in, int k)
{ ew1 (L, ZJ_KIND_M, in, f_abs); }
static void lower_MATRIX_SUM_OP (zj_lower *L, const zj_instr *in, int k)
{ ew2 (L, ZJ_KIND_M, in, OP_ADD); }
static void lower_MATRIX_DIFF_OP (zj_lower *L, const zj_instr *in, int k)
{ ew2 (L, ZJ_KIND_M, in, OP_SUB); }
static void lower_MATRIX_PRODUCT_OP (zj_lower *L, const zj_instr *in, int k)
{ ew2 (L, ZJ_KIND_M, in, OP_MUL); }
static void lower_MATRIX_DIVISION_OP (zj_lower *L, const zj_instr *in, int k)
{ ew2 (L, ZJ_KIND_M, in, OP_DIV); }
/* C(:, j) = sum over k of A(:, k) * B(k, j), k in order, from -0.0. */
static void lower_MATRIX_MATRIX_PRODUCT_OP (zj_lower *L, const zj_instr *in, int kk)
{
  const int F = L->F, C = L->C;
  gcc_jit_lvalue *t[F * C], *bkj = zl_tmp (L, L->t_v);
  for (int j = 0; j < F; j++)
    {
      for (int c = 0; c < C; c++)
        {
          t[j * C + c] = zl_tmp (L, L->t_v);
          zl_set (L, t[j * C + c], zl_bcast (L, zl_dbl (L, -0.0)));
        }
      for (int k = 0; k < F; k++)
        {
          zl_set (L, bkj, zl_bcast (L, zl_lane (L, ML (in->in2, j, k / L->W), k % L->W)));
          for (int c = 0; c < C; c++)
            zl_set (L, t[j * C + c],
                    zl_bin (L, OP_ADD, R (t[j * C + c]),
                            zl_bin (L, OP_MUL, R (ML (in->in1, k, c)), R (bkj))));
        }
    }
  for (int i = 0; i < F * C; i++)
    zl_set (L, L->m[in->out][i], R (t[i]));
}
/* min: b < a ? b : a (scalar, vector); a < b ? a : b (matrix).
   max: a < b ? b : a (scalar, vector); a > b ? a : b (matrix). */
static void lower_SCALAR_MIN_OP (zj_lower *L, const zj_instr *in, int k)
{ minmax (L, ZJ_KIND_S, in, false, true); }
static void lower_VECTOR_MIN_OP (zj_lower *L, const zj_instr *in, int k)
{ minmax (L, ZJ_KIND_V, in, false, true); }
static void lower_MATRIX_MIN_OP (zj_lower *L, const zj_instr *in, int k)
{ minmax (L, ZJ_KIND_M, in, false, false); }
static void lower_SCALAR_MAX_OP (zj_lower *L, const zj_instr *in, int k)
{ minmax (L, ZJ_KIND_S, in, true, true); }
static void lower_VECTOR_MAX_OP (zj_lower *L, const zj_instr *in, int k)
{ minmax (L, ZJ_KIND_V, in, true, true); }
static void lower_MATRIX_MAX_OP (zj_lower *L, const zj_instr *in, int k)
{ minmax (L, ZJ_KIND_M, in, true, false); }
static void lower_VECTOR_MEAN_OP (zj_lower *L, const zj_instr *in, int k)
{ zl_set (L, SL (in->out), zl_bin (L, OP_DIV, rsum_of (L, ZJ_KIND_V, in->in1, false), zl_dbl (L, L->F))); }
static void lower_MATRIX_MEAN_OP (zj_lower *L, const zj_instr *in, int k)
{ zl_set (L, SL (in->out), zl_bin (L, OP_DIV, rsum_of (L, ZJ_KIND_M, in->in1, false), zl_dbl (L, (double) L->F * L->F))); }
static void lower_MATRIX_ROW_MEAN_OP (zj_lower *L, const zj_instr *in, int k)
{
  gcc_jit_lvalue *t[L->C];
  row_acc (L, in->in1, false, t);
  for (int j = 0; j < L->C; j++)
    zl_set (L, VL (in->out, j), zl_bin (L, OP_DIV, R (t[j]), zl_bcast (L, zl_dbl (L, L->F))));
}
static void lower_MATRIX_ROW_ST_DEV_OP (zj_lower *L, const zj_instr *in, int k)
{
  gcc_jit_lvalue *t[L->C], *q[L->C];
  row_acc (L, in->in1, false, t);
  row_acc (L, in->in1, true, q);
  gcc_jit_rvalue *n = zl_bcast (L, zl_dbl (L, L->F));
  for (int j = 0; j < L->C; j++)
    {
      gcc_jit_lvalue *m = zl_tmp (L, L->t_v);
      zl_set (L, m, zl_bin (L, OP_DIV, R (t[j]), n));
      gcc_jit_rvalue *d = zl_bin (L, OP_SUB, zl_bin (L, OP_DIV, R (q[j]), n),
                                  zl_bin (L, OP_MUL, R (m), R (m)));
      zl_set (L, VL (in->out, j), zl_vsqrt (L, d));
    }
}
static void lower_VECTOR_ST_DEV_OP (zj_lower *L, const zj_instr *in, int k)
{ stdev (L, ZJ_KIND_V, in); }
static void lower_MATRIX_ST_DEV_OP (zj_lower *L, const zj_instr *in, int k)
{ stdev (L, ZJ_KIND_M, in); }
static void lower_SCALAR_CONST_SET_OP (zj_lower *L, const zj_instr *in, int k)
{ zl_set (L, SL (in->out), zl_k (L, k)); }
static void lower_VECTOR_CONST_SET_OP (zj_lower *L, const zj_instr *in, int k)
{ const_set (L, ZJ_KIND_V, in, k); }
static void lower_MATRIX_CONST_SET_OP (zj_lower *L, const zj_instr *in, int k)
{ const_set (L, ZJ_KIND_M, in, k); }
static void lower_SCALAR_UNIFORM_SET_OP (zj_lower *L, const zj_instr *in, int k)
{ fill_random (L, ZJ_KIND_S, in, k, ZJ_RT_RNG_OPEN); }
static void lower_VECTOR_UNIFORM_SET_OP (zj_lower *L, const zj_instr *in, int k)
{ fill_random (L, ZJ_KIND_V, in, k, ZJ_RT_RNG_OPEN); }
static void lower_MATRIX_UNIFORM_SET_OP (zj_lower *L, const zj_instr *in, int k)
{ fill_random (L, ZJ_KIND_M, in, k, ZJ_RT_RNG_OPEN); }
static void lower_SCALAR_GAUSSIAN_SET_OP (zj_lower *L, const zj_instr *in, int k)
{ fill_random (L, ZJ_KIND_S, in, k, ZJ_RT_RNG_GAUSS); }
static void lower_VECTOR_GAUSSIAN_SET_OP (zj_lower *L, const zj_instr *in, int k)
{ fill_random (L, ZJ_KIND_V, in, k, ZJ_RT_RNG_GAUSS); }
static void lower_MATRIX_GAUSSIAN_SET_OP (zj_lower *L, const zj_instr *in, int k)
{ fill_random (L, ZJ_KIND_M, in, k, ZJ_RT_RNG_GAUSS); }

const zj_lower_op_fn zj_lower_ops[ZJ_NUM_OPS] = {
#define ZJ_OP(id, name, ...) [id] = lower_##name,
#include <zerojit/ops.def>
#undef ZJ_OP
};
