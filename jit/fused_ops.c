/* fused_ops.c -- what each op computes on one lane chunk, for fused step
 * kernels (fused.h).
 *
 * The counterpart of src/interp/kernels_lanes.h restricted to chunk q:
 * each op reads its input elements through zj_fe_get (a local, loaded from
 * memory or the row on first use), computes every output element with its
 * element loops unrolled here, and hands the results to zj_fe_put.  The
 * arithmetic is the lane kernels' own: sums from -0.0 in reduce.h's order,
 * products rounded before they are added, min/max as minpd/maxpd with the
 * kernels' operand order, heaviside on the bits (zl_lheaviside), sqrt as
 * vsqrtpd.  Scratch (T) is never needed: results stay in locals until
 * every input has been read.
 */
#include "config.h"
#include "fused.h"

#define OP_ADD GCC_JIT_BINARY_OP_PLUS
#define OP_SUB GCC_JIT_BINARY_OP_MINUS
#define OP_MUL GCC_JIT_BINARY_OP_MULT
#define OP_DIV GCC_JIT_BINARY_OP_DIVIDE

/* One vector value into a fresh local (no expression tree shared between
   statements, as lower_ir.c's helpers do). */
static gcc_jit_rvalue *
vt (zj_fe *E, gcc_jit_rvalue *x)
{
  gcc_jit_lvalue *t = zl_tmp (&E->L, E->L.t_v);
  zl_set (&E->L, t, x);
  return zl_r (t);
}

static gcc_jit_rvalue *
bin (zj_fe *E, enum gcc_jit_binary_op op, gcc_jit_rvalue *a, gcc_jit_rvalue *b)
{
  return vt (E, gcc_jit_context_new_binary_op (E->L.ctx, NULL, op, E->L.t_v,
                                               a, b));
}

/* a OP b as an expression, for a value used once (the product a sum
   adds): one statement fewer to compile than bin. */
static gcc_jit_rvalue *
expr (zj_fe *E, enum gcc_jit_binary_op op, gcc_jit_rvalue *a, gcc_jit_rvalue *b)
{
  return gcc_jit_context_new_binary_op (E->L.ctx, NULL, op, E->L.t_v, a, b);
}

static gcc_jit_rvalue *
splat (zj_fe *E, double x)
{
  return zl_bcast (&E->L, zl_dbl (&E->L, x));
}

static gcc_jit_rvalue *
vabs (zj_fe *E, gcc_jit_rvalue *a)
{
  return vt (E, gcc_jit_context_new_unary_op (E->L.ctx, NULL,
                                              GCC_JIT_UNARY_OP_ABS,
                                              E->L.t_v, a));
}

/* Element i of operand o, shortened. */
static gcc_jit_rvalue *
G (zj_fe *E, zj_fopnd o, int i)
{
  return zj_fe_get (E, o, i);
}

/* zj_lreduce over n elements of x (times y): min(4, n) accumulators from
   -0.0, element i into i % 4, combined (l0 + l1) + (l2 + l3).  Element i
   of x is x0 + i * stride (columns of a matrix are consecutive). */
static gcc_jit_rvalue *
reduce (zj_fe *E, zj_fopnd x, zj_fopnd *y, int x0, int n)
{
  const int w = n < 4 ? n : 4;
  gcc_jit_rvalue *acc[4];
  for (int l = 0; l < w; l++)
    acc[l] = splat (E, -0.0);
  for (int i = 0; i < n; i++)
    {
      gcc_jit_rvalue *p = G (E, x, x0 + i);
      if (y)
        p = expr (E, OP_MUL, p, G (E, *y, x0 + i));
      acc[i % w] = bin (E, OP_ADD, acc[i % w], p);
    }
  if (w == 4)
    return bin (E, OP_ADD, bin (E, OP_ADD, acc[0], acc[1]),
                bin (E, OP_ADD, acc[2], acc[3]));
  return w == 2 ? bin (E, OP_ADD, acc[0], acc[1]) : acc[0];
}

/* Elementwise over n elements. */
typedef enum { EW_ADD, EW_SUB, EW_MUL, EW_DIV, EW_ABS, EW_RECIP, EW_HGE,
               EW_HGT, EW_MIN_BA, EW_MIN_AB, EW_MAX_BA, EW_MAX_AB } ew_kind;

static void
ew (zj_fe *E, ew_kind k, int n, zj_fopnd a, zj_fopnd b)
{
  for (int i = 0; i < n; i++)
    {
      gcc_jit_rvalue *x = G (E, a, i), *y = NULL, *r = NULL;
      if (k <= EW_DIV || k >= EW_MIN_BA)
        y = G (E, b, i);
      switch (k)
        {
        case EW_ADD: r = bin (E, OP_ADD, x, y); break;
        case EW_SUB: r = bin (E, OP_SUB, x, y); break;
        case EW_MUL: r = bin (E, OP_MUL, x, y); break;
        case EW_DIV: r = bin (E, OP_DIV, x, y); break;
        case EW_ABS: r = vabs (E, x); break;
        case EW_RECIP: r = bin (E, OP_DIV, splat (E, 1.0), x); break;
        case EW_HGE: r = zl_lheaviside (&E->L, x, true); break;
        case EW_HGT: r = zl_lheaviside (&E->L, x, false); break;
        case EW_MIN_BA: r = zl_asm2 (&E->L, "minpd", E->L.t_v, y, x); break;
        case EW_MIN_AB: r = zl_asm2 (&E->L, "minpd", E->L.t_v, x, y); break;
        case EW_MAX_BA: r = zl_asm2 (&E->L, "maxpd", E->L.t_v, y, x); break;
        case EW_MAX_AB: r = zl_asm2 (&E->L, "maxpd", E->L.t_v, x, y); break;
        }
      zj_fe_put (E, i, r);
    }
}

static gcc_jit_rvalue *
vsqrt (zj_fe *E, gcc_jit_rvalue *x)
{
  return zl_vsqrt (&E->L, x);
}

/* Row r of a matrix's column-wise accumulation (ZJ_LROW_ACC): from -0.0,
   column c's element (c*F + r) (squared) added in column order. */
static gcc_jit_rvalue *
row_acc (zj_fe *E, zj_fopnd a, int r, bool square)
{
  gcc_jit_rvalue *acc = splat (E, -0.0);
  for (int c = 0; c < E->F; c++)
    {
      gcc_jit_rvalue *x = G (E, a, c * E->F + r);
      acc = bin (E, OP_ADD, acc, square ? expr (E, OP_MUL, x, x) : x);
    }
  return acc;
}

/* The op's constant k[m], on every lane. */
static gcc_jit_rvalue *
kconst (zj_fe *E, int m)
{
  gcc_jit_context *ctx = E->L.ctx;
  gcc_jit_rvalue *x = zl_r (gcc_jit_context_new_array_access (
    ctx, NULL, E->par[3],
    gcc_jit_context_new_rvalue_from_long (ctx, E->t_long, m)));
  return zl_bcast (&E->L, x);
}

int
zj_fused_op_work (int op, int F)
{
  const int FF = F * F;
  switch (op)
    {
    case ZJ_SCALAR_SUM_OP: case ZJ_SCALAR_DIFF_OP: case ZJ_SCALAR_PRODUCT_OP:
    case ZJ_SCALAR_DIVISION_OP: case ZJ_SCALAR_ABS_OP:
    case ZJ_SCALAR_RECIPROCAL_OP: case ZJ_SCALAR_HEAVYSIDE_OP:
    case ZJ_SCALAR_MIN_OP: case ZJ_SCALAR_MAX_OP:
    case ZJ_SCALAR_CONST_SET_OP: case ZJ_VECTOR_CONST_SET_OP:
    case ZJ_MATRIX_CONST_SET_OP:
      return 1;
    case ZJ_VECTOR_HEAVYSIDE_OP: case ZJ_SCALAR_VECTOR_PRODUCT_OP:
    case ZJ_SCALAR_BROADCAST_OP: case ZJ_VECTOR_RECIPROCAL_OP:
    case ZJ_VECTOR_NORM_OP: case ZJ_VECTOR_ABS_OP: case ZJ_VECTOR_SUM_OP:
    case ZJ_VECTOR_DIFF_OP: case ZJ_VECTOR_PRODUCT_OP:
    case ZJ_VECTOR_DIVISION_OP: case ZJ_VECTOR_INNER_PRODUCT_OP:
    case ZJ_VECTOR_MIN_OP: case ZJ_VECTOR_MAX_OP: case ZJ_VECTOR_MEAN_OP:
      return F;
    case ZJ_VECTOR_ST_DEV_OP:
      return 2 * F;
    case ZJ_MATRIX_HEAVYSIDE_OP: case ZJ_VECTOR_OUTER_PRODUCT_OP:
    case ZJ_VECTOR_COLUMN_BROADCAST_OP: case ZJ_VECTOR_ROW_BROADCAST_OP:
    case ZJ_SCALAR_MATRIX_PRODUCT_OP: case ZJ_MATRIX_RECIPROCAL_OP:
    case ZJ_MATRIX_VECTOR_PRODUCT_OP: case ZJ_MATRIX_NORM_OP:
    case ZJ_MATRIX_COLUMN_NORM_OP: case ZJ_MATRIX_ROW_NORM_OP:
    case ZJ_MATRIX_TRANSPOSE_OP: case ZJ_MATRIX_ABS_OP: case ZJ_MATRIX_SUM_OP:
    case ZJ_MATRIX_DIFF_OP: case ZJ_MATRIX_PRODUCT_OP:
    case ZJ_MATRIX_DIVISION_OP: case ZJ_MATRIX_MIN_OP: case ZJ_MATRIX_MAX_OP:
    case ZJ_MATRIX_MEAN_OP: case ZJ_MATRIX_ROW_MEAN_OP:
      return FF;
    case ZJ_MATRIX_ROW_ST_DEV_OP: case ZJ_MATRIX_ST_DEV_OP:
      return 2 * FF;
    case ZJ_MATRIX_MATRIX_PRODUCT_OP:
      return FF * F;
    default:
      /* SLEEF ops (a call per real lane), random ops, no-op. */
      return -1;
    }
}

void
zj_fe_op (zj_fe *E, int op, zj_fopnd a, zj_fopnd b, int m)
{
  const int F = E->F, FF = F * F;
  switch (op)
    {
    case ZJ_SCALAR_SUM_OP: ew (E, EW_ADD, 1, a, b); break;
    case ZJ_SCALAR_DIFF_OP: ew (E, EW_SUB, 1, a, b); break;
    case ZJ_SCALAR_PRODUCT_OP: ew (E, EW_MUL, 1, a, b); break;
    case ZJ_SCALAR_DIVISION_OP: ew (E, EW_DIV, 1, a, b); break;
    case ZJ_SCALAR_ABS_OP: ew (E, EW_ABS, 1, a, b); break;
    case ZJ_SCALAR_RECIPROCAL_OP: ew (E, EW_RECIP, 1, a, b); break;
    case ZJ_SCALAR_HEAVYSIDE_OP: ew (E, EW_HGE, 1, a, b); break;
    case ZJ_SCALAR_MIN_OP: ew (E, EW_MIN_BA, 1, a, b); break;
    case ZJ_SCALAR_MAX_OP: ew (E, EW_MAX_BA, 1, a, b); break;
    case ZJ_VECTOR_HEAVYSIDE_OP: ew (E, EW_HGT, F, a, b); break;
    case ZJ_VECTOR_RECIPROCAL_OP: ew (E, EW_RECIP, F, a, b); break;
    case ZJ_VECTOR_ABS_OP: ew (E, EW_ABS, F, a, b); break;
    case ZJ_VECTOR_SUM_OP: ew (E, EW_ADD, F, a, b); break;
    case ZJ_VECTOR_DIFF_OP: ew (E, EW_SUB, F, a, b); break;
    case ZJ_VECTOR_PRODUCT_OP: ew (E, EW_MUL, F, a, b); break;
    case ZJ_VECTOR_DIVISION_OP: ew (E, EW_DIV, F, a, b); break;
    case ZJ_VECTOR_MIN_OP: ew (E, EW_MIN_BA, F, a, b); break;
    case ZJ_VECTOR_MAX_OP: ew (E, EW_MAX_BA, F, a, b); break;
    case ZJ_MATRIX_HEAVYSIDE_OP: ew (E, EW_HGT, FF, a, b); break;
    case ZJ_MATRIX_RECIPROCAL_OP: ew (E, EW_RECIP, FF, a, b); break;
    case ZJ_MATRIX_ABS_OP: ew (E, EW_ABS, FF, a, b); break;
    case ZJ_MATRIX_SUM_OP: ew (E, EW_ADD, FF, a, b); break;
    case ZJ_MATRIX_DIFF_OP: ew (E, EW_SUB, FF, a, b); break;
    case ZJ_MATRIX_PRODUCT_OP: ew (E, EW_MUL, FF, a, b); break;
    case ZJ_MATRIX_DIVISION_OP: ew (E, EW_DIV, FF, a, b); break;
    case ZJ_MATRIX_MIN_OP: ew (E, EW_MIN_AB, FF, a, b); break;
    case ZJ_MATRIX_MAX_OP: ew (E, EW_MAX_AB, FF, a, b); break;
    case ZJ_SCALAR_VECTOR_PRODUCT_OP:
    case ZJ_SCALAR_MATRIX_PRODUCT_OP:
      {
        const int n = op == ZJ_SCALAR_VECTOR_PRODUCT_OP ? F : FF;
        gcc_jit_rvalue *s = G (E, a, 0);
        for (int i = 0; i < n; i++)
          zj_fe_put (E, i, bin (E, OP_MUL, s, G (E, b, i)));
      }
      break;
    case ZJ_SCALAR_BROADCAST_OP:
      {
        gcc_jit_rvalue *s = G (E, a, 0);
        for (int i = 0; i < F; i++)
          zj_fe_put (E, i, s);
      }
      break;
    case ZJ_VECTOR_NORM_OP:
      zj_fe_put (E, 0, vsqrt (E, reduce (E, a, &a, 0, F)));
      break;
    case ZJ_MATRIX_NORM_OP:
      zj_fe_put (E, 0, vsqrt (E, reduce (E, a, &a, 0, FF)));
      break;
    case ZJ_VECTOR_INNER_PRODUCT_OP:
      zj_fe_put (E, 0, reduce (E, a, &b, 0, F));
      break;
    case ZJ_VECTOR_MEAN_OP:
      zj_fe_put (E, 0, bin (E, OP_DIV, reduce (E, a, NULL, 0, F), splat (E, F)));
      break;
    case ZJ_MATRIX_MEAN_OP:
      zj_fe_put (E, 0, bin (E, OP_DIV, reduce (E, a, NULL, 0, FF), splat (E, FF)));
      break;
    case ZJ_VECTOR_ST_DEV_OP:
    case ZJ_MATRIX_ST_DEV_OP:
      {
        const int n = op == ZJ_VECTOR_ST_DEV_OP ? F : FF;
        gcc_jit_rvalue *mu = bin (E, OP_DIV, reduce (E, a, NULL, 0, n), splat (E, n));
        gcc_jit_rvalue *s2 = bin (E, OP_DIV, reduce (E, a, &a, 0, n), splat (E, n));
        zj_fe_put (E, 0, vsqrt (E, bin (E, OP_SUB, s2, bin (E, OP_MUL, mu, mu))));
      }
      break;
    case ZJ_VECTOR_OUTER_PRODUCT_OP:
    case ZJ_VECTOR_COLUMN_BROADCAST_OP:
    case ZJ_VECTOR_ROW_BROADCAST_OP:
      for (int c = 0; c < F; c++)
        for (int r = 0; r < F; r++)
          zj_fe_put (E, c * F + r,
                     op == ZJ_VECTOR_OUTER_PRODUCT_OP
                     ? bin (E, OP_MUL, G (E, a, r), G (E, b, c))
                     : op == ZJ_VECTOR_COLUMN_BROADCAST_OP ? G (E, a, r)
                     : G (E, a, c));
      break;
    case ZJ_MATRIX_VECTOR_PRODUCT_OP:
      /* Row r: from -0.0, M(r, c) * v(c) added in column order. */
      for (int r = 0; r < F; r++)
        {
          gcc_jit_rvalue *acc = splat (E, -0.0);
          for (int c = 0; c < F; c++)
            acc = bin (E, OP_ADD, acc,
                       expr (E, OP_MUL, G (E, a, c * F + r), G (E, b, c)));
          zj_fe_put (E, r, acc);
        }
      break;
    case ZJ_MATRIX_COLUMN_NORM_OP:
      for (int c = 0; c < F; c++)
        zj_fe_put (E, c, vsqrt (E, reduce (E, a, &a, c * F, F)));
      break;
    case ZJ_MATRIX_ROW_NORM_OP:
      for (int r = 0; r < F; r++)
        zj_fe_put (E, r, vsqrt (E, row_acc (E, a, r, true)));
      break;
    case ZJ_MATRIX_ROW_MEAN_OP:
      for (int r = 0; r < F; r++)
        zj_fe_put (E, r, bin (E, OP_DIV, row_acc (E, a, r, false), splat (E, F)));
      break;
    case ZJ_MATRIX_ROW_ST_DEV_OP:
      for (int r = 0; r < F; r++)
        {
          gcc_jit_rvalue *mu = bin (E, OP_DIV, row_acc (E, a, r, false), splat (E, F));
          gcc_jit_rvalue *s2 = bin (E, OP_DIV, row_acc (E, a, r, true), splat (E, F));
          zj_fe_put (E, r, vsqrt (E, bin (E, OP_SUB, s2, bin (E, OP_MUL, mu, mu))));
        }
      break;
    case ZJ_MATRIX_TRANSPOSE_OP:
      for (int c = 0; c < F; c++)
        for (int r = 0; r < F; r++)
          zj_fe_put (E, r * F + c, G (E, a, c * F + r));
      break;
    case ZJ_MATRIX_MATRIX_PRODUCT_OP:
      /* C(r, j) = sum over kk in order of A(r, kk) * B(kk, j), from -0.0. */
      for (int j = 0; j < F; j++)
        for (int r = 0; r < F; r++)
          {
            gcc_jit_rvalue *acc = splat (E, -0.0);
            for (int kk = 0; kk < F; kk++)
              acc = bin (E, OP_ADD, acc,
                         expr (E, OP_MUL, G (E, a, kk * F + r),
                               G (E, b, j * F + kk)));
            zj_fe_put (E, j * F + r, acc);
          }
      break;
    case ZJ_SCALAR_CONST_SET_OP:
    case ZJ_VECTOR_CONST_SET_OP:
    case ZJ_MATRIX_CONST_SET_OP:
      /* The output already points at the element; the value is read from k so a
         constant-only change keeps the code. */
      zj_fe_put (E, 0, kconst (E, m));
      break;
    default:
      ZJ_ASSERT (0 && "zj_fused_op_work said yes");
      break;
    }
}
