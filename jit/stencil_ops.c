/* stencil_ops.c -- the libgccjit IR of every op as a lane stencil.
 *
 * The counterpart of src/interp/kernels_lanes.h: each op reads and writes lane
 * memory (element e, W-lane chunk j at byte (e * C + j) * W * 8 from its
 * operand's start) and computes per lane exactly what its ZJ_LK_ macro
 * computes, in the same order (reductions in reduce.h's canonical order,
 * products rounded before adding, the same min/max/comparison forms).
 * Chunks are W doubles: 8 (AVX-512 zmm) when the host's lane vector is
 * that wide, else 4 (AVX2 ymm); lanes are independent, so the width does
 * not change a result.  Operand starts, scratch, the
 * real-lane count and the constant's place are holes (stencil.h).  The
 * functions these bodies go into are set up by stencil_build.c.
 */
#include "config.h"
#include "stencil_ir.h"
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------ IR bits */
static gcc_jit_rvalue *
ci (zj_sb *S, long x)
{
  return gcc_jit_context_new_rvalue_from_long (S->L.ctx, S->t_long, x);
}

static gcc_jit_rvalue *
iadd (zj_sb *S, gcc_jit_rvalue *a, gcc_jit_rvalue *b)
{
  return gcc_jit_context_new_binary_op (S->L.ctx, NULL, GCC_JIT_BINARY_OP_PLUS,
                                        S->t_long, a, b);
}

static gcc_jit_rvalue *
imul (zj_sb *S, gcc_jit_rvalue *a, long b)
{
  return gcc_jit_context_new_binary_op (S->L.ctx, NULL, GCC_JIT_BINARY_OP_MULT,
                                        S->t_long, a, ci (S, b));
}

/* Hole h as a size_t: the address of an imported global, or h[i]. */
static gcc_jit_rvalue *
hole (zj_sb *S, int h)
{
  gcc_jit_context *ctx = S->L.ctx;
  if (S->threaded)
    return zl_r (gcc_jit_context_new_array_access (
      ctx, NULL, gcc_jit_param_as_rvalue (S->par[4]), ci (S, h)));
  return gcc_jit_context_new_bitcast (
    ctx, NULL, gcc_jit_lvalue_get_address (S->hole_g[h], NULL), S->t_size);
}

/* (type) (base + hole) into a new local (stencil_ir.h). */
gcc_jit_lvalue *
zj_sb_opnd_ptr (zj_sb *S, int base, int h, gcc_jit_type *t)
{
  gcc_jit_context *ctx = S->L.ctx;
  gcc_jit_rvalue *b = gcc_jit_context_new_cast (
    ctx, NULL, gcc_jit_param_as_rvalue (S->par[base]), S->t_charp);
  gcc_jit_rvalue *p = gcc_jit_lvalue_get_address (
    gcc_jit_context_new_array_access (ctx, NULL, b, hole (S, h)), NULL);
  gcc_jit_lvalue *lv = zl_tmp (&S->L, t);
  zl_set (&S->L, lv, gcc_jit_context_new_cast (ctx, NULL, p, t));
  return lv;
}

/* Chunk idx of the operand at p. */
static gcc_jit_lvalue *
at (zj_sb *S, gcc_jit_lvalue *p, gcc_jit_rvalue *idx)
{
  return gcc_jit_context_new_array_access (S->L.ctx, NULL, zl_r (p), idx);
}

static gcc_jit_rvalue *
ld (zj_sb *S, gcc_jit_lvalue *p, gcc_jit_rvalue *idx)
{
  gcc_jit_lvalue *t = zl_tmp (&S->L, S->L.t_v);
  zl_set (&S->L, t, zl_r (at (S, p, idx)));
  return zl_r (t);
}

static void
st (zj_sb *S, gcc_jit_lvalue *p, gcc_jit_rvalue *idx, gcc_jit_rvalue *v)
{
  zl_set (&S->L, at (S, p, idx), v);
}

/* The start of every sum: -0.0, the exact identity of addition
   (src/interp/reduce.h), as in every other tier. */
static gcc_jit_rvalue *
vsum0 (zj_sb *S)
{
  return zl_bcast (&S->L, zl_dbl (&S->L, -0.0));
}

static gcc_jit_rvalue *
vbin (zj_sb *S, enum gcc_jit_binary_op op, gcc_jit_rvalue *a,
      gcc_jit_rvalue *b)
{
  gcc_jit_lvalue *t = zl_tmp (&S->L, S->L.t_v);
  zl_set (&S->L, t, zl_bin (&S->L, op, a, b));
  return zl_r (t);
}

typedef struct zloop {
  gcc_jit_lvalue *i;
  gcc_jit_block *cond, *after;
} zloop;

/* for (i = 0; i < n; i++) around what is emitted until loop_end. */
static gcc_jit_rvalue *
loop_begin (zj_sb *S, zloop *lp, gcc_jit_rvalue *n)
{
  zj_lower *L = &S->L;
  lp->i = zl_tmp (L, S->t_long);
  zl_set (L, lp->i, ci (S, 0));
  lp->cond = gcc_jit_function_new_block (L->fn, NULL);
  gcc_jit_block *body = gcc_jit_function_new_block (L->fn, NULL);
  lp->after = gcc_jit_function_new_block (L->fn, NULL);
  gcc_jit_block_end_with_jump (L->b, NULL, lp->cond);
  gcc_jit_block_end_with_conditional (
    lp->cond, NULL,
    gcc_jit_context_new_comparison (L->ctx, NULL, GCC_JIT_COMPARISON_LT,
                                    zl_r (lp->i), n),
    body, lp->after);
  L->b = body;
  return zl_r (lp->i);
}

static void
loop_end (zj_sb *S, zloop *lp)
{
  gcc_jit_block_add_assignment_op (S->L.b, NULL, lp->i,
                                   GCC_JIT_BINARY_OP_PLUS, ci (S, 1));
  gcc_jit_block_end_with_jump (S->L.b, NULL, lp->cond);
  S->L.b = lp->after;
}

/* ------------------------------------------------------------ kernels */
typedef gcc_jit_rvalue *(*ew_fn) (zj_sb *, gcc_jit_rvalue *, gcc_jit_rvalue *);

/* O[k] = f(A[k], B[k]) over n elements' chunks (ZJ_LEW). */
static void
ew (zj_sb *S, long n, bool two, ew_fn f)
{
  zloop lp;
  gcc_jit_rvalue *k = loop_begin (S, &lp, ci (S, n * S->C));
  gcc_jit_rvalue *a = ld (S, S->pA, k);
  gcc_jit_rvalue *b = two ? ld (S, S->pB, k) : NULL;
  st (S, S->pO, k, f (S, a, b));
  loop_end (S, &lp);
}

static gcc_jit_rvalue *
f_add (zj_sb *S, gcc_jit_rvalue *a, gcc_jit_rvalue *b)
{
  return vbin (S, GCC_JIT_BINARY_OP_PLUS, a, b);
}

static gcc_jit_rvalue *
f_sub (zj_sb *S, gcc_jit_rvalue *a, gcc_jit_rvalue *b)
{
  return vbin (S, GCC_JIT_BINARY_OP_MINUS, a, b);
}

static gcc_jit_rvalue *
f_mul (zj_sb *S, gcc_jit_rvalue *a, gcc_jit_rvalue *b)
{
  return vbin (S, GCC_JIT_BINARY_OP_MULT, a, b);
}

static gcc_jit_rvalue *
f_div (zj_sb *S, gcc_jit_rvalue *a, gcc_jit_rvalue *b)
{
  return vbin (S, GCC_JIT_BINARY_OP_DIVIDE, a, b);
}

static gcc_jit_rvalue *
f_abs (zj_sb *S, gcc_jit_rvalue *a, gcc_jit_rvalue *b)
{
  (void) b;
  gcc_jit_lvalue *t = zl_tmp (&S->L, S->L.t_v);
  zl_set (&S->L, t, gcc_jit_context_new_unary_op (S->L.ctx, NULL,
                                                  GCC_JIT_UNARY_OP_ABS,
                                                  S->L.t_v, a));
  return zl_r (t);
}

static gcc_jit_rvalue *
f_recip (zj_sb *S, gcc_jit_rvalue *a, gcc_jit_rvalue *b)
{
  (void) b;
  return vbin (S, GCC_JIT_BINARY_OP_DIVIDE,
               zl_bcast (&S->L, zl_dbl (&S->L, 1.0)), a);
}

static gcc_jit_rvalue *
f_heav_s (zj_sb *S, gcc_jit_rvalue *a, gcc_jit_rvalue *b)
{
  (void) b;
  return zl_lheaviside (&S->L, a, true);
}

static gcc_jit_rvalue *
f_heav_v (zj_sb *S, gcc_jit_rvalue *a, gcc_jit_rvalue *b)
{
  (void) b;
  return zl_lheaviside (&S->L, a, false);
}

/* minpd (s1, s2) = s1 < s2 ? s1 : s2, maxpd = s1 > s2 ? s1 : s2: the
   kernels' forms sel(B < A, B, A) = min(B, A), sel(A < B, A, B) =
   min(A, B), sel(A < B, B, A) = max(B, A), sel(A > B, A, B) = max(A, B). */
static gcc_jit_rvalue *
f_min_ba (zj_sb *S, gcc_jit_rvalue *a, gcc_jit_rvalue *b)
{
  return zl_asm2 (&S->L, "minpd", S->L.t_v, b, a);
}

static gcc_jit_rvalue *
f_min_ab (zj_sb *S, gcc_jit_rvalue *a, gcc_jit_rvalue *b)
{
  return zl_asm2 (&S->L, "minpd", S->L.t_v, a, b);
}

static gcc_jit_rvalue *
f_max_ba (zj_sb *S, gcc_jit_rvalue *a, gcc_jit_rvalue *b)
{
  return zl_asm2 (&S->L, "maxpd", S->L.t_v, b, a);
}

static gcc_jit_rvalue *
f_max_ab (zj_sb *S, gcc_jit_rvalue *a, gcc_jit_rvalue *b)
{
  return zl_asm2 (&S->L, "maxpd", S->L.t_v, a, b);
}

/* O[i*C + q] = A[q] * B[i*C + q] (ZJ_LSCALE), or A[q] (broadcast). */
static void
scale (zj_sb *S, long n, bool product)
{
  zloop li, lq;
  gcc_jit_rvalue *i = loop_begin (S, &li, ci (S, n));
  gcc_jit_rvalue *q = loop_begin (S, &lq, ci (S, S->C));
  gcc_jit_rvalue *idx = iadd (S, imul (S, i, S->C), q);
  gcc_jit_rvalue *a = ld (S, S->pA, q);
  st (S, S->pO, idx, product ? f_mul (S, a, ld (S, S->pB, idx)) : a);
  loop_end (S, &lq);
  loop_end (S, &li);
}

/* Per-lane sqrt of m chunks of O. */
static void
vsqrt_o (zj_sb *S, long m)
{
  zloop lp;
  gcc_jit_rvalue *k = loop_begin (S, &lp, ci (S, m));
  st (S, S->pO, k, zl_vsqrt (&S->L, ld (S, S->pO, k)));
  loop_end (S, &lp);
}

/* zj_lreduce over n elements of x (times y) starting at element e0,
   chunk q: min(4, n) accumulators from -0.0, element i into i % 4,
   combined (l0 + l1) + (l2 + l3). */
static gcc_jit_rvalue *
reduce (zj_sb *S, gcc_jit_lvalue *x, gcc_jit_lvalue *y, long n,
        gcc_jit_rvalue *e0, gcc_jit_rvalue *q)
{
  const int w = n < 4 ? (int) n : 4;
  gcc_jit_lvalue *acc[4] = { NULL, NULL, NULL, NULL };
  for (int l = 0; l < w; l++)
    {
      acc[l] = zl_tmp (&S->L, S->L.t_v);
      zl_set (&S->L, acc[l], vsum0 (S));
    }
  zloop ls;
  gcc_jit_rvalue *s = loop_begin (S, &ls, ci (S, n / w));
  for (int l = 0; l < w; l++)
    {
      gcc_jit_rvalue *e = iadd (S, iadd (S, imul (S, s, w), ci (S, l)), e0);
      gcc_jit_rvalue *idx = iadd (S, imul (S, e, S->C), q);
      gcc_jit_rvalue *p = ld (S, x, idx);
      if (y)
        p = f_mul (S, p, ld (S, y, iadd (S, imul (S, e, S->C), q)));
      zl_set (&S->L, acc[l], f_add (S, zl_r (acc[l]), p));
    }
  loop_end (S, &ls);
  if (w == 4)
    return f_add (S, f_add (S, zl_r (acc[0]), zl_r (acc[1])),
                  f_add (S, zl_r (acc[2]), zl_r (acc[3])));
  return f_add (S, zl_r (acc[0]), zl_r (acc[1]));
}

static gcc_jit_rvalue *
vdiv_n (zj_sb *S, gcc_jit_rvalue *x, double n)
{
  return f_div (S, x, zl_bcast (&S->L, zl_dbl (&S->L, n)));
}

/* O[q] = reduce(A (* A or B), n) [/ n], q over chunks. */
static void
reduce_op (zj_sb *S, long n, gcc_jit_lvalue *y, bool mean)
{
  zloop lq;
  gcc_jit_rvalue *q = loop_begin (S, &lq, ci (S, S->C));
  gcc_jit_rvalue *r = reduce (S, S->pA, y, n, ci (S, 0), q);
  st (S, S->pO, q, mean ? vdiv_n (S, r, (double) n) : r);
  loop_end (S, &lq);
}

/* ZJ_LSTDEV: sqrt(sum(x*x)/n - m*m), m = sum(x)/n. */
static void
stdev_op (zj_sb *S, long n)
{
  zloop lq;
  gcc_jit_rvalue *q = loop_begin (S, &lq, ci (S, S->C));
  gcc_jit_rvalue *m = vdiv_n (S, reduce (S, S->pA, NULL, n, ci (S, 0), q),
                              (double) n);
  gcc_jit_rvalue *s2 = vdiv_n (S, reduce (S, S->pA, S->pA, n, ci (S, 0), q),
                               (double) n);
  st (S, S->pO, q, f_sub (S, s2, f_mul (S, m, m)));
  loop_end (S, &lq);
  vsqrt_o (S, S->C);
}

/* acc[0 .. F*C) = -0.0, then acc[r*C+q] += term(A[(c*F + r)*C + q]) for
   columns c in order (ZJ_LROW_ACC); acc is T + off chunks. */
static void
row_acc (zj_sb *S, long off, bool square)
{
  const int F = S->F, C = S->C;
  zloop lz, lc, lr, lq;
  gcc_jit_rvalue *k = loop_begin (S, &lz, ci (S, (long) F * C));
  st (S, S->pT, iadd (S, k, ci (S, off)), vsum0 (S));
  loop_end (S, &lz);
  gcc_jit_rvalue *c = loop_begin (S, &lc, ci (S, F));
  gcc_jit_rvalue *r = loop_begin (S, &lr, ci (S, F));
  gcc_jit_rvalue *q = loop_begin (S, &lq, ci (S, C));
  gcc_jit_rvalue *x = ld (S, S->pA, iadd (S, imul (S, iadd (S, imul (S, c, F), r), C), q));
  gcc_jit_rvalue *ti = iadd (S, iadd (S, imul (S, r, C), q), ci (S, off));
  gcc_jit_rvalue *t = square ? f_mul (S, x, x) : x;
  st (S, S->pT, ti, f_add (S, ld (S, S->pT, iadd (S, iadd (S, imul (S, r, C), q), ci (S, off))), t));
  loop_end (S, &lq);
  loop_end (S, &lr);
  loop_end (S, &lc);
}

/* O[k] = T[k] (/ div) over m chunks. */
static void
copy_t (zj_sb *S, long m, double div)
{
  zloop lp;
  gcc_jit_rvalue *k = loop_begin (S, &lp, ci (S, m));
  gcc_jit_rvalue *t = ld (S, S->pT, k);
  st (S, S->pO, k, div != 0.0 ? vdiv_n (S, t, div) : t);
  loop_end (S, &lp);
}

/* Matrix element (c, r) chunk q of an operand: (c*F + r)*C + q. */
static gcc_jit_rvalue *
mi (zj_sb *S, gcc_jit_rvalue *c, gcc_jit_rvalue *r, gcc_jit_rvalue *q)
{
  return iadd (S, imul (S, iadd (S, imul (S, c, S->F), r), S->C), q);
}

static gcc_jit_rvalue *
vi (zj_sb *S, gcc_jit_rvalue *i, gcc_jit_rvalue *q)
{
  return iadd (S, imul (S, i, S->C), q);
}

/* The per-real-lane SLEEF call (ZJ_LSLEEF). */
static void
sleef_op (zj_sb *S, int which)
{
  zloop lt;
  gcc_jit_rvalue *nr = gcc_jit_context_new_cast (S->L.ctx, NULL,
                                                 hole (S, ZJ_HOLE_NR),
                                                 S->t_long);
  gcc_jit_rvalue *t = loop_begin (S, &lt, nr);
  gcc_jit_rvalue *x = zl_r (gcc_jit_context_new_array_access (
    S->L.ctx, NULL, zl_r (S->dA), t));
  gcc_jit_rvalue *y = gcc_jit_context_new_call (S->L.ctx, NULL,
                                                S->sleef[which], 1, &x);
  zl_set (&S->L, gcc_jit_context_new_array_access (S->L.ctx, NULL,
                                                   zl_r (S->dO), t), y);
  loop_end (S, &lt);
}

/* T = M * v as zj_lmatvec (kernels_lanes.h): a block of rows at a time
   with its sums in ZJ_SMV_ACC local vectors (registers) while the columns
   stream by, each lane adding its products in column order from -0.0;
   summing in T cost a load and a store of T per product. */
#define ZJ_SMV_ACC 16
static void
matvec (zj_sb *S)
{
  const long F = S->F, C = S->C;
  const long R = ZJ_SMV_ACC / C < F ? ZJ_SMV_ACC / C : F;
  if (R < 1)
    {
      zloop l1, l2, l3;
      gcc_jit_rvalue *a, *b, *c, *d;
      a = loop_begin (S, &l1, ci (S, F * C));
      st (S, S->pT, a, vsum0 (S));
      loop_end (S, &l1);
      a = loop_begin (S, &l1, ci (S, F));       /* c */
      b = loop_begin (S, &l2, ci (S, F));       /* r */
      c = loop_begin (S, &l3, ci (S, C));
      d = f_mul (S, ld (S, S->pA, mi (S, a, b, c)), ld (S, S->pB, vi (S, a, c)));
      st (S, S->pT, vi (S, b, c), f_add (S, ld (S, S->pT, vi (S, b, c)), d));
      loop_end (S, &l3);
      loop_end (S, &l2);
      loop_end (S, &l1);
      return;
    }
  for (long r0 = 0; r0 < F; r0 += R)
    {
      const long rn = F - r0 < R ? F - r0 : R;
      gcc_jit_lvalue *acc[ZJ_SMV_ACC];
      for (long k = 0; k < rn * C; k++)
        {
          acc[k] = zl_tmp (&S->L, S->L.t_v);
          zl_set (&S->L, acc[k], vsum0 (S));
        }
      zloop lc;
      gcc_jit_rvalue *c = loop_begin (S, &lc, ci (S, F));
      gcc_jit_rvalue *bq[ZJ_SMV_ACC];
      for (long q = 0; q < C; q++)
        bq[q] = ld (S, S->pB, iadd (S, imul (S, c, C), ci (S, q)));
      for (long rr = 0; rr < rn; rr++)
        for (long q = 0; q < C; q++)
          {
            gcc_jit_rvalue *e = mi (S, c, ci (S, r0 + rr), ci (S, q));
            gcc_jit_rvalue *p = f_mul (S, ld (S, S->pA, e), bq[q]);
            zl_set (&S->L, acc[rr * C + q], f_add (S, zl_r (acc[rr * C + q]), p));
          }
      loop_end (S, &lc);
      for (long k = 0; k < rn * C; k++)
        st (S, S->pT, ci (S, r0 * C + k), zl_r (acc[k]));
    }
}

/* MATRIX_VECTOR_PRODUCT on the per-task copy (ZJ_SV_MT): one call of
   the lane interpreter's kernel, zj_lmatvec_tasks_call (o, copy, v, F,
   C, real lanes), which writes O directly (O may be B: the kernel reads
   a group's lanes of B before writing them).  Eight tasks at a time in
   whole vectors, 40% fewer operations than the lane product when 10
   tasks fill 16 lanes, and the same bits (src/interp/kernels_lanes.h). */
void
zj_sb_emit_matvec_tasks (zj_sb *S)
{
  gcc_jit_context *ctx = S->L.ctx;
  gcc_jit_type *cdp = gcc_jit_type_get_pointer (gcc_jit_type_get_const (S->L.t_d));
  gcc_jit_rvalue *args[6] = {
    gcc_jit_context_new_cast (ctx, NULL, zl_r (S->pO), S->L.t_dp),
    gcc_jit_context_new_cast (ctx, NULL, zl_r (S->pA), cdp),
    gcc_jit_context_new_cast (ctx, NULL, zl_r (S->pB), cdp),
    ci (S, S->F),
    ci (S, S->C),
    gcc_jit_context_new_cast (ctx, NULL, hole (S, ZJ_HOLE_NR), S->t_long),
  };
  gcc_jit_block_add_eval (S->L.b, NULL,
                          gcc_jit_context_new_call (ctx, NULL, S->mvt, 6, args));
}

/* The body of op's stencil (stencil_ir.h). */
void
zj_sb_emit_op (zj_sb *S, int op)
{
  const long F = S->F, FF = F * F, C = S->C;
  zloop l1, l2, l3, l4;
  gcc_jit_rvalue *a, *b, *c, *d;
  switch (op)
    {
    case ZJ_SCALAR_SUM_OP: ew (S, 1, true, f_add); break;
    case ZJ_SCALAR_DIFF_OP: ew (S, 1, true, f_sub); break;
    case ZJ_SCALAR_PRODUCT_OP: ew (S, 1, true, f_mul); break;
    case ZJ_SCALAR_DIVISION_OP: ew (S, 1, true, f_div); break;
    case ZJ_SCALAR_ABS_OP: ew (S, 1, false, f_abs); break;
    case ZJ_SCALAR_RECIPROCAL_OP: ew (S, 1, false, f_recip); break;
    case ZJ_SCALAR_SIN_OP: sleef_op (S, 0); break;
    case ZJ_SCALAR_COS_OP: sleef_op (S, 1); break;
    case ZJ_SCALAR_TAN_OP: sleef_op (S, 2); break;
    case ZJ_SCALAR_ARCSIN_OP: sleef_op (S, 3); break;
    case ZJ_SCALAR_ARCCOS_OP: sleef_op (S, 4); break;
    case ZJ_SCALAR_ARCTAN_OP: sleef_op (S, 5); break;
    case ZJ_SCALAR_EXP_OP: sleef_op (S, 6); break;
    case ZJ_SCALAR_LOG_OP: sleef_op (S, 7); break;
    case ZJ_SCALAR_HEAVYSIDE_OP: ew (S, 1, false, f_heav_s); break;
    case ZJ_VECTOR_HEAVYSIDE_OP: ew (S, F, false, f_heav_v); break;
    case ZJ_MATRIX_HEAVYSIDE_OP: ew (S, FF, false, f_heav_v); break;
    case ZJ_SCALAR_VECTOR_PRODUCT_OP: scale (S, F, true); break;
    case ZJ_SCALAR_BROADCAST_OP: scale (S, F, false); break;
    case ZJ_VECTOR_RECIPROCAL_OP: ew (S, F, false, f_recip); break;
    case ZJ_VECTOR_NORM_OP: reduce_op (S, F, S->pA, false); vsqrt_o (S, C); break;
    case ZJ_VECTOR_ABS_OP: ew (S, F, false, f_abs); break;
    case ZJ_VECTOR_SUM_OP: ew (S, F, true, f_add); break;
    case ZJ_VECTOR_DIFF_OP: ew (S, F, true, f_sub); break;
    case ZJ_VECTOR_PRODUCT_OP: ew (S, F, true, f_mul); break;
    case ZJ_VECTOR_DIVISION_OP: ew (S, F, true, f_div); break;
    case ZJ_VECTOR_INNER_PRODUCT_OP: reduce_op (S, F, S->pB, false); break;
    case ZJ_VECTOR_OUTER_PRODUCT_OP:
    case ZJ_VECTOR_COLUMN_BROADCAST_OP:
    case ZJ_VECTOR_ROW_BROADCAST_OP:
      a = loop_begin (S, &l1, ci (S, F));       /* column c */
      b = loop_begin (S, &l2, ci (S, F));       /* row r */
      c = loop_begin (S, &l3, ci (S, C));
      if (op == ZJ_VECTOR_OUTER_PRODUCT_OP)
        d = f_mul (S, ld (S, S->pA, vi (S, b, c)), ld (S, S->pB, vi (S, a, c)));
      else if (op == ZJ_VECTOR_COLUMN_BROADCAST_OP)
        d = ld (S, S->pA, vi (S, b, c));
      else
        d = ld (S, S->pA, vi (S, a, c));
      st (S, S->pO, mi (S, a, b, c), d);
      loop_end (S, &l3);
      loop_end (S, &l2);
      loop_end (S, &l1);
      break;
    case ZJ_SCALAR_MATRIX_PRODUCT_OP: scale (S, FF, true); break;
    case ZJ_MATRIX_RECIPROCAL_OP: ew (S, FF, false, f_recip); break;
    case ZJ_MATRIX_VECTOR_PRODUCT_OP:
      matvec (S);
      copy_t (S, F * C, 0.0);
      break;
    case ZJ_MATRIX_NORM_OP: reduce_op (S, FF, S->pA, false); vsqrt_o (S, C); break;
    case ZJ_MATRIX_COLUMN_NORM_OP:
      a = loop_begin (S, &l1, ci (S, F));
      b = loop_begin (S, &l2, ci (S, C));
      d = reduce (S, S->pA, S->pA, F, imul (S, a, F), b);
      st (S, S->pO, vi (S, a, b), d);
      loop_end (S, &l2);
      loop_end (S, &l1);
      vsqrt_o (S, F * C);
      break;
    case ZJ_MATRIX_ROW_NORM_OP:
      row_acc (S, 0, true);
      copy_t (S, F * C, 0.0);
      vsqrt_o (S, F * C);
      break;
    case ZJ_MATRIX_TRANSPOSE_OP:
      a = loop_begin (S, &l1, ci (S, F));       /* c */
      b = loop_begin (S, &l2, ci (S, F));       /* r */
      c = loop_begin (S, &l3, ci (S, C));
      st (S, S->pT, mi (S, b, a, c), ld (S, S->pA, mi (S, a, b, c)));
      loop_end (S, &l3);
      loop_end (S, &l2);
      loop_end (S, &l1);
      copy_t (S, FF * C, 0.0);
      break;
    case ZJ_MATRIX_ABS_OP: ew (S, FF, false, f_abs); break;
    case ZJ_MATRIX_SUM_OP: ew (S, FF, true, f_add); break;
    case ZJ_MATRIX_DIFF_OP: ew (S, FF, true, f_sub); break;
    case ZJ_MATRIX_PRODUCT_OP: ew (S, FF, true, f_mul); break;
    case ZJ_MATRIX_DIVISION_OP: ew (S, FF, true, f_div); break;
    case ZJ_MATRIX_MATRIX_PRODUCT_OP:
      a = loop_begin (S, &l1, ci (S, FF * C));
      st (S, S->pT, a, vsum0 (S));
      loop_end (S, &l1);
      a = loop_begin (S, &l1, ci (S, F));       /* j */
      b = loop_begin (S, &l2, ci (S, F));       /* kk */
      c = loop_begin (S, &l3, ci (S, F));       /* r */
      d = loop_begin (S, &l4, ci (S, C));       /* q */
      {
        gcc_jit_rvalue *p = f_mul (S, ld (S, S->pA, mi (S, b, c, d)),
                                   ld (S, S->pB, mi (S, a, b, d)));
        st (S, S->pT, mi (S, a, c, d),
            f_add (S, ld (S, S->pT, mi (S, a, c, d)), p));
      }
      loop_end (S, &l4);
      loop_end (S, &l3);
      loop_end (S, &l2);
      loop_end (S, &l1);
      copy_t (S, FF * C, 0.0);
      break;
    case ZJ_SCALAR_MIN_OP: ew (S, 1, true, f_min_ba); break;
    case ZJ_VECTOR_MIN_OP: ew (S, F, true, f_min_ba); break;
    case ZJ_MATRIX_MIN_OP: ew (S, FF, true, f_min_ab); break;
    case ZJ_SCALAR_MAX_OP: ew (S, 1, true, f_max_ba); break;
    case ZJ_VECTOR_MAX_OP: ew (S, F, true, f_max_ba); break;
    case ZJ_MATRIX_MAX_OP: ew (S, FF, true, f_max_ab); break;
    case ZJ_VECTOR_MEAN_OP: reduce_op (S, F, NULL, true); break;
    case ZJ_MATRIX_MEAN_OP: reduce_op (S, FF, NULL, true); break;
    case ZJ_MATRIX_ROW_MEAN_OP:
      row_acc (S, 0, false);
      copy_t (S, F * C, (double) F);
      break;
    case ZJ_MATRIX_ROW_ST_DEV_OP:
      row_acc (S, 0, false);
      row_acc (S, F * C, true);
      a = loop_begin (S, &l1, ci (S, F * C));
      b = vdiv_n (S, ld (S, S->pT, a), (double) F);
      c = vdiv_n (S, ld (S, S->pT, iadd (S, a, ci (S, F * C))), (double) F);
      st (S, S->pO, a, f_sub (S, c, f_mul (S, b, b)));
      loop_end (S, &l1);
      vsqrt_o (S, F * C);
      break;
    case ZJ_VECTOR_ST_DEV_OP: stdev_op (S, F); break;
    case ZJ_MATRIX_ST_DEV_OP: stdev_op (S, FF); break;
    case ZJ_SCALAR_CONST_SET_OP:
    case ZJ_VECTOR_CONST_SET_OP:
    case ZJ_MATRIX_CONST_SET_OP:
      {
        /* The value is read from k: a constant-only change keeps code. */
        gcc_jit_lvalue *kp = zj_sb_opnd_ptr (S, 3, ZJ_HOLE_K, S->L.t_dp);
        gcc_jit_rvalue *v = zl_bcast (&S->L, zl_r (gcc_jit_rvalue_dereference (zl_r (kp), NULL)));
        a = loop_begin (S, &l1, ci (S, C));
        st (S, S->pO, a, v);
        loop_end (S, &l1);
      }
      break;
    default:
      break;
    }
}
