/* lower_ir.c -- the IR helpers of the optimized tier (zl_*).
 *
 * Locals, constants, broadcasts and lanes of W-double vectors, calls into
 * the runtime table, the x86 forms of sqrt, min/max, comparisons and
 * blends the interpreter's kernels use, fill loops of the random ops and
 * the canonical reduction (src/interp/reduce.h).  The op table
 * (lower_ops.c), the loop skeleton (lower.c) and the stencil builder
 * (stencil_build.c, stencil_ops.c) all emit IR through these; apart from
 * lower.c so that it holds only the evaluation's skeleton.
 */
#include "config.h"
#include "jit_internal.h"
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------ helpers */
gcc_jit_rvalue *
zl_r (gcc_jit_lvalue *lv)
{
  return gcc_jit_lvalue_as_rvalue (lv);
}

gcc_jit_lvalue *
zl_tmp (zj_lower *L, gcc_jit_type *t)
{
  char name[32];
  snprintf (name, sizeof name, "t%d", L->ntmp++);
  return gcc_jit_function_new_local (L->fn, NULL, t, name);
}

void
zl_set (zj_lower *L, gcc_jit_lvalue *lv, gcc_jit_rvalue *rv)
{
  gcc_jit_block_add_assignment (L->b, NULL, lv, rv);
}

gcc_jit_rvalue *
zl_bin (zj_lower *L, enum gcc_jit_binary_op op, gcc_jit_rvalue *a,
        gcc_jit_rvalue *b)
{
  return gcc_jit_context_new_binary_op (L->ctx, NULL, op,
                                        gcc_jit_rvalue_get_type (a), a, b);
}

gcc_jit_rvalue *
zl_dbl (zj_lower *L, double x)
{
  return gcc_jit_context_new_rvalue_from_double (L->ctx, L->t_d, x);
}

/* Vector values always go through a temporary, so every use of one is a
   plain variable and no expression tree is shared between statements. */
static gcc_jit_rvalue *
vtmp (zj_lower *L, gcc_jit_rvalue *x)
{
  gcc_jit_lvalue *t = zl_tmp (L, L->t_v);
  zl_set (L, t, x);
  return zl_r (t);
}

gcc_jit_rvalue *
zl_vconst (zj_lower *L, const double *x)
{
  gcc_jit_rvalue *e[8];
  for (int l = 0; l < L->W; l++)
    e[l] = zl_dbl (L, x[l]);
  return vtmp (L, gcc_jit_context_new_rvalue_from_vector (L->ctx, NULL, L->t_v, L->W, e));
}

gcc_jit_rvalue *
zl_bcast (zj_lower *L, gcc_jit_rvalue *x)
{
  gcc_jit_rvalue *e[8];
  gcc_jit_lvalue *t = zl_tmp (L, L->t_d);
  zl_set (L, t, x);
  for (int l = 0; l < L->W; l++)
    e[l] = zl_r (t);
  return vtmp (L, gcc_jit_context_new_rvalue_from_vector (L->ctx, NULL, L->t_v, L->W, e));
}

gcc_jit_rvalue *
zl_lane (zj_lower *L, gcc_jit_lvalue *chunk, int lane)
{
  gcc_jit_rvalue *p = gcc_jit_context_new_cast (
    L->ctx, NULL, gcc_jit_lvalue_get_address (chunk, NULL), L->t_dp);
  return zl_r (gcc_jit_context_new_array_access (
    L->ctx, NULL, p, gcc_jit_context_new_rvalue_from_int (L->ctx, L->t_int, lane)));
}

/* Element e of vector a.  While v0 still holds the example's features,
   its elements are read from the feature row: a broadcast of one of them
   (matrix-vector and outer products) is then a plain load, where one from
   a register costs a shuffle, and at 8 lanes an index vector held in a
   register. */
gcc_jit_rvalue *
zl_velem (zj_lower *L, int a, int e)
{
  if (a == 0 && L->row)
    return zl_r (gcc_jit_context_new_array_access (
      L->ctx, NULL, L->row, gcc_jit_context_new_rvalue_from_int (L->ctx, L->t_int, e)));
  return zl_lane (L, L->v[a][e / L->W], e % L->W);
}

gcc_jit_rvalue *
zl_build (zj_lower *L, gcc_jit_rvalue **x)
{
  return vtmp (L, gcc_jit_context_new_rvalue_from_vector (L->ctx, NULL, L->t_v, L->W, x));
}

gcc_jit_rvalue *
zl_k (zj_lower *L, int idx)
{
  if (!L->kv[idx])
    {
      char name[32];
      snprintf (name, sizeof name, "k%d", idx);
      L->kv[idx] = gcc_jit_function_new_local (L->fn, NULL, L->t_d, name);
      gcc_jit_block_add_assignment (
        L->entry, NULL, L->kv[idx],
        zl_r (gcc_jit_context_new_array_access (
          L->ctx, NULL, L->kptr,
          gcc_jit_context_new_rvalue_from_int (L->ctx, L->t_int, idx))));
    }
  return zl_r (L->kv[idx]);
}

static gcc_jit_type *
rt_type (zj_lower *L, int rt)
{
  gcc_jit_type *p[3];
  int n;
  if (rt == ZJ_RT_RNG_OPEN || rt == ZJ_RT_RNG_GAUSS)
    {
      p[0] = L->t_void_ptr; p[1] = p[2] = L->t_d; n = 3;
    }
  else if (rt == ZJ_RT_RMS_FITNESS)
    {
      p[0] = L->t_d; p[1] = L->t_int; n = 2;
    }
  else
    {
      p[0] = L->t_d; n = 1;
    }
  return gcc_jit_context_new_function_ptr_type (L->ctx, NULL, L->t_d, n, p, 0);
}

gcc_jit_rvalue *
zl_call (zj_lower *L, int rt, int n, gcc_jit_rvalue **args)
{
  if (!L->rt_fn[rt])
    {
      gcc_jit_type *ft = rt_type (L, rt);
      char name[32];
      snprintf (name, sizeof name, "rt%d", rt);
      L->rt_fn[rt] = gcc_jit_function_new_local (L->fn, NULL, ft, name);
      gcc_jit_rvalue *p = zl_r (gcc_jit_context_new_array_access (
        L->ctx, NULL, L->rt, gcc_jit_context_new_rvalue_from_int (L->ctx, L->t_int, rt)));
      gcc_jit_block_add_assignment (L->entry, NULL, L->rt_fn[rt],
                                    gcc_jit_context_new_cast (L->ctx, NULL, p, ft));
    }
  return gcc_jit_context_new_call_through_ptr (L->ctx, NULL, zl_r (L->rt_fn[rt]),
                                               n, args);
}

gcc_jit_rvalue *
zl_sqrt (zj_lower *L, gcc_jit_rvalue *x)
{
  return gcc_jit_context_new_call (L->ctx, NULL, L->sqrt_fn, 1, &x);
}

/* The asm constraint of a vector operand: in the optimized tier's 8-lane
   code any of the 32 registers ("v"; "x" would leave out zmm16-31), else
   one of the 16 that VEX can encode (the 4-lane compares have no EVEX
   form writing a vector).  The baseline tier's stencils (isa without zmm)
   keep "x" at every width. */
static bool
wide (zj_lower *L)
{
  return L->isa->zmm && L->W == 8;
}

static const char *
vreg (zj_lower *L)
{
  return wide (L) ? "v" : "x";
}

/* One x86 instruction on (s1, s2) into a fresh temporary: VEX 3-operand
   form with AVX, the destructive SSE2 form otherwise. */
gcc_jit_rvalue *
zl_asm2 (zj_lower *L, const char *mnem, gcc_jit_type *t, gcc_jit_rvalue *s1,
      gcc_jit_rvalue *s2)
{
  char text[64];
  gcc_jit_lvalue *o = zl_tmp (L, t);
  if (L->isa->avx)
    snprintf (text, sizeof text, "v%s %%[s2], %%[s1], %%[o]", mnem);
  else
    snprintf (text, sizeof text, "%s %%[s2], %%[o]", mnem);
  gcc_jit_extended_asm *ea = gcc_jit_block_add_extended_asm (L->b, NULL, text);
  gcc_jit_extended_asm_add_output_operand (ea, "o", wide (L) ? "=v" : "=x", o);
  gcc_jit_extended_asm_add_input_operand (ea, "s1", L->isa->avx ? vreg (L) : "0", s1);
  gcc_jit_extended_asm_add_input_operand (ea, "s2", vreg (L), s2);
  return zl_r (o);
}

gcc_jit_rvalue *
zl_vsqrt (zj_lower *L, gcc_jit_rvalue *x)
{
  gcc_jit_lvalue *o = zl_tmp (L, L->t_v);
  gcc_jit_extended_asm *ea = gcc_jit_block_add_extended_asm (
    L->b, NULL, L->isa->avx ? "vsqrtpd %[a], %[o]" : "sqrtpd %[a], %[o]");
  gcc_jit_extended_asm_add_output_operand (ea, "o", wide (L) ? "=v" : "=x", o);
  gcc_jit_extended_asm_add_input_operand (ea, "a", vreg (L), x);
  return zl_r (o);
}

gcc_jit_rvalue *
zl_minmax (zj_lower *L, bool is_max, gcc_jit_rvalue *s1, gcc_jit_rvalue *s2)
{
  gcc_jit_type *t = gcc_jit_rvalue_get_type (s1);
  const bool scalar = t == L->t_d;
  const char *m = is_max ? (scalar ? "maxsd" : "maxpd") : (scalar ? "minsd" : "minpd");
  return zl_asm2 (L, m, t, s1, s2);
}

/* 512-bit compares write a mask register (k7 here, clobbered); vpternlogq
   with immediate 0xff under that mask, zeroing, turns it back into all-ones
   / all-zeros lanes, so callers see the same mask vector at every width. */
gcc_jit_rvalue *
zl_vcmp (zj_lower *L, bool lt, gcc_jit_rvalue *a, gcc_jit_rvalue *b)
{
  if (L->W != 8)
    return zl_asm2 (L, lt ? "cmpltpd" : "cmpeqpd", L->t_v, a, b);
  gcc_jit_lvalue *o = zl_tmp (L, L->t_v);
  gcc_jit_extended_asm *ea = gcc_jit_block_add_extended_asm (
    L->b, NULL,
    lt ? "vcmpltpd %[s2], %[s1], %%k7\n\t"
         "vpternlogq $0xff, %[o], %[o], %[o]%{%%k7%}%{z%}"
       : "vcmpeqpd %[s2], %[s1], %%k7\n\t"
         "vpternlogq $0xff, %[o], %[o], %[o]%{%%k7%}%{z%}");
  gcc_jit_extended_asm_add_output_operand (ea, "o", "=v", o);
  gcc_jit_extended_asm_add_input_operand (ea, "s1", "v", a);
  gcc_jit_extended_asm_add_input_operand (ea, "s2", "v", b);
  gcc_jit_extended_asm_add_clobber (ea, "k7");
  return zl_r (o);
}

static gcc_jit_rvalue *
as_bits (zj_lower *L, gcc_jit_rvalue *x)
{
  return gcc_jit_context_new_bitcast (L->ctx, NULL, x, L->t_vl);
}

gcc_jit_rvalue *
zl_vand (zj_lower *L, gcc_jit_rvalue *a, gcc_jit_rvalue *b)
{
  return gcc_jit_context_new_bitcast (
    L->ctx, NULL, zl_bin (L, GCC_JIT_BINARY_OP_BITWISE_AND, as_bits (L, a), as_bits (L, b)),
    L->t_v);
}

gcc_jit_rvalue *
zl_vblend (zj_lower *L, gcc_jit_rvalue *x, gcc_jit_rvalue *y, gcc_jit_rvalue *mask)
{
  gcc_jit_lvalue *m = zl_tmp (L, L->t_vl);
  zl_set (L, m, as_bits (L, mask));
  gcc_jit_rvalue *nm = gcc_jit_context_new_unary_op (
    L->ctx, NULL, GCC_JIT_UNARY_OP_BITWISE_NEGATE, L->t_vl, zl_r (m));
  gcc_jit_rvalue *r = zl_bin (
    L, GCC_JIT_BINARY_OP_BITWISE_OR,
    zl_bin (L, GCC_JIT_BINARY_OP_BITWISE_AND, zl_r (m), as_bits (L, y)),
    zl_bin (L, GCC_JIT_BINARY_OP_BITWISE_AND, nm, as_bits (L, x)));
  return gcc_jit_context_new_bitcast (L->ctx, NULL, r, L->t_v);
}

/* n random draws in a loop (straight-line calls cost ~1 ms of compile
   each at F=32): draw q goes to element q, or to (q % F) * F + q / F for
   the row-major matrix fills; then the chunks are built from the array. */
void
zl_fill_loop (zj_lower *L, int rt, int k, int n, bool row_major,
              gcc_jit_lvalue **out)
{
  gcc_jit_type *at = gcc_jit_context_new_array_type (L->ctx, NULL, L->t_d, n);
  gcc_jit_lvalue *arr = zl_tmp (L, at), *q = zl_tmp (L, L->t_int);
  gcc_jit_block *head = gcc_jit_function_new_block (L->fn, NULL),
    *body = gcc_jit_function_new_block (L->fn, NULL),
    *done = gcc_jit_function_new_block (L->fn, NULL);
  gcc_jit_rvalue *Fi = gcc_jit_context_new_rvalue_from_int (L->ctx, L->t_int, L->F);
  zl_set (L, q, gcc_jit_context_zero (L->ctx, L->t_int));
  gcc_jit_block_end_with_jump (L->b, NULL, head);
  L->b = head;
  gcc_jit_block_end_with_conditional (
    head, NULL,
    gcc_jit_context_new_comparison (L->ctx, NULL, GCC_JIT_COMPARISON_LT, zl_r (q),
                                    gcc_jit_context_new_rvalue_from_int (L->ctx, L->t_int, n)),
    body, done);
  L->b = body;
  gcc_jit_rvalue *idx = zl_r (q);
  if (row_major)
    idx = zl_bin (L, GCC_JIT_BINARY_OP_PLUS,
                  zl_bin (L, GCC_JIT_BINARY_OP_MULT,
                          zl_bin (L, GCC_JIT_BINARY_OP_MODULO, zl_r (q), Fi), Fi),
                  zl_bin (L, GCC_JIT_BINARY_OP_DIVIDE, zl_r (q), Fi));
  gcc_jit_rvalue *args[3] = { L->rng, zl_k (L, k), zl_k (L, k + 1) };
  zl_set (L, gcc_jit_context_new_array_access (L->ctx, NULL, zl_r (arr), idx),
          zl_call (L, rt, 3, args));
  gcc_jit_block_add_assignment_op (L->b, NULL, q, GCC_JIT_BINARY_OP_PLUS,
                                   gcc_jit_context_one (L->ctx, L->t_int));
  gcc_jit_block_end_with_jump (L->b, NULL, head);
  L->b = done;
  for (int j = 0; j < n / L->W; j++)
    {
      gcc_jit_rvalue *x[8];
      for (int l = 0; l < L->W; l++)
        x[l] = zl_r (gcc_jit_context_new_array_access (
          L->ctx, NULL, zl_r (arr),
          gcc_jit_context_new_rvalue_from_int (L->ctx, L->t_int, j * L->W + l)));
      zl_set (L, out[j], zl_build (L, x));
    }
}

/* Half h (0 low, 1 high) of an 8-lane chunk, as 4 lanes (vextractf64x4;
   GCC rewrites the constant-offset access of a local into a bit-field
   reference, so the chunk stays in its register). */
static gcc_jit_rvalue *
half (zj_lower *L, gcc_jit_lvalue *chunk, int h)
{
  gcc_jit_rvalue *p = gcc_jit_context_new_cast (
    L->ctx, NULL, gcc_jit_lvalue_get_address (chunk, NULL),
    gcc_jit_type_get_pointer (L->t_v4));
  return zl_r (gcc_jit_context_new_array_access (
    L->ctx, NULL, p, gcc_jit_context_new_rvalue_from_int (L->ctx, L->t_int, h)));
}

/* W = 8: the products (8 lanes at a time: rounding is per element) go
   through one 4-lane accumulator, low half then high half of each chunk,
   which is element i into lane i % 4 in index order as in the 4-lane
   code. */
static gcc_jit_rvalue *
reduce8 (zj_lower *L, gcc_jit_rvalue **x, gcc_jit_rvalue **y, int n)
{
  gcc_jit_lvalue *acc = zl_tmp (L, L->t_v4), *p = zl_tmp (L, L->t_v);
  gcc_jit_rvalue *mz[4];
  gcc_jit_lvalue *z = zl_tmp (L, L->t_d);
  zl_set (L, z, zl_dbl (L, -0.0));
  for (int l = 0; l < 4; l++)
    mz[l] = zl_r (z);
  zl_set (L, acc, gcc_jit_context_new_rvalue_from_vector (L->ctx, NULL, L->t_v4, 4, mz));
  for (int j = 0; j < n; j++)
    {
      zl_set (L, p, y ? zl_bin (L, GCC_JIT_BINARY_OP_MULT, x[j], y[j]) : x[j]);
      for (int h = 0; h < 2; h++)
        zl_set (L, acc, zl_bin (L, GCC_JIT_BINARY_OP_PLUS, zl_r (acc), half (L, p, h)));
    }
  gcc_jit_rvalue *s = zl_bin (
    L, GCC_JIT_BINARY_OP_PLUS,
    zl_bin (L, GCC_JIT_BINARY_OP_PLUS, zl_lane (L, acc, 0), zl_lane (L, acc, 1)),
    zl_bin (L, GCC_JIT_BINARY_OP_PLUS, zl_lane (L, acc, 2), zl_lane (L, acc, 3)));
  gcc_jit_lvalue *r = zl_tmp (L, L->t_d);
  zl_set (L, r, s);
  return zl_r (r);
}

/* L = min(4, elements) lanes from -0.0 (the identity of addition), element i into lane i % L, then
   (l0 + l1) + (l2 + l3); with W = 2 two accumulators hold the 4 lanes. */
gcc_jit_rvalue *
zl_reduce (zj_lower *L, gcc_jit_rvalue **x, gcc_jit_rvalue **y, int n)
{
  if (L->W == 8)
    return reduce8 (L, x, y, n);
  const int elems = n * L->W, lanes = elems < 4 ? elems : 4;
  const int nacc = lanes / L->W;
  gcc_jit_lvalue *acc[2];
  for (int a = 0; a < nacc; a++)
    {
      acc[a] = zl_tmp (L, L->t_v);
      zl_set (L, acc[a], zl_bcast (L, zl_dbl (L, -0.0)));
    }
  for (int j = 0; j < n; j++)
    {
      gcc_jit_rvalue *p = y ? zl_bin (L, GCC_JIT_BINARY_OP_MULT, x[j], y[j]) : x[j];
      gcc_jit_lvalue *a = acc[j % nacc];
      zl_set (L, a, zl_bin (L, GCC_JIT_BINARY_OP_PLUS, zl_r (a), p));
    }
  gcc_jit_rvalue *l[4];
  for (int i = 0; i < lanes; i++)
    l[i] = zl_lane (L, acc[i / L->W], i % L->W);
  gcc_jit_rvalue *s = zl_bin (L, GCC_JIT_BINARY_OP_PLUS, l[0], l[1]);
  if (lanes == 4)
    s = zl_bin (L, GCC_JIT_BINARY_OP_PLUS, s,
                zl_bin (L, GCC_JIT_BINARY_OP_PLUS, l[2], l[3]));
  gcc_jit_lvalue *r = zl_tmp (L, L->t_d);
  zl_set (L, r, s);
  return zl_r (r);
}

/* Heaviside on the bits: scalar a >= 0, vector/matrix a > 0, 1.0 where
   it holds, else +0.0 (zj_lstep), NaN never.  libgccjit 12 has no vector
   comparison, and an asm compare into an AVX-512 mask register crashes
   it, so the predicate is integer arithmetic on i = the bits of a (with
   -fwrapv): a > 0 iff i - 1 >= 0 and +inf - i >= 0; a >= 0 adds -0.0
   (i == INT64_MIN).  Masks come from the sign bit (>> 63). */
static gcc_jit_rvalue *
vlconst (zj_lower *L, long long x)
{
  gcc_jit_type *t = gcc_jit_context_get_type (L->ctx, GCC_JIT_TYPE_LONG_LONG);
  gcc_jit_rvalue *e[8];
  for (int l = 0; l < L->W; l++)
    e[l] = gcc_jit_context_new_rvalue_from_long (L->ctx, t, x);
  gcc_jit_lvalue *v = zl_tmp (L, L->t_vl);
  zl_set (L, v, gcc_jit_context_new_rvalue_from_vector (L->ctx, NULL, L->t_vl,
                                                        (size_t) L->W, e));
  return zl_r (v);
}

static gcc_jit_rvalue *
lbin (zj_lower *L, enum gcc_jit_binary_op op, gcc_jit_rvalue *a,
      gcc_jit_rvalue *b)
{
  gcc_jit_lvalue *t = zl_tmp (L, L->t_vl);
  zl_set (L, t, gcc_jit_context_new_binary_op (L->ctx, NULL, op,
                                               L->t_vl, a, b));
  return zl_r (t);
}

/* All ones where x >= 0 (as signed), else 0. */
static gcc_jit_rvalue *
nonneg (zj_lower *L, gcc_jit_rvalue *x)
{
  gcc_jit_rvalue *sh = lbin (L, GCC_JIT_BINARY_OP_RSHIFT, x, vlconst (L, 63));
  gcc_jit_lvalue *t = zl_tmp (L, L->t_vl);
  zl_set (L, t, gcc_jit_context_new_unary_op (L->ctx, NULL,
                                              GCC_JIT_UNARY_OP_BITWISE_NEGATE,
                                              L->t_vl, sh));
  return zl_r (t);
}

gcc_jit_rvalue *
zl_lheaviside (zj_lower *L, gcc_jit_rvalue *a, bool or_equal)
{
  const long long inf = 0x7ff0000000000000LL;
  gcc_jit_lvalue *ib = zl_tmp (L, L->t_vl);
  zl_set (L, ib, gcc_jit_context_new_bitcast (L->ctx, NULL, a, L->t_vl));
  gcc_jit_rvalue *i = zl_r (ib);
  gcc_jit_rvalue *pos = lbin (L, GCC_JIT_BINARY_OP_MINUS, i, vlconst (L, 1));
  gcc_jit_rvalue *fin = lbin (L, GCC_JIT_BINARY_OP_MINUS, vlconst (L, inf), i);
  gcc_jit_rvalue *m = lbin (L, GCC_JIT_BINARY_OP_BITWISE_AND, nonneg (L, pos),
                            nonneg (L, fin));
  if (or_equal)
    {
      /* a is zero: j = i & ~sign is 0, i.e. j - 1 < 0. */
      gcc_jit_rvalue *j = lbin (L, GCC_JIT_BINARY_OP_BITWISE_AND, i,
                                vlconst (L, 0x7fffffffffffffffLL));
      gcc_jit_rvalue *jm1 = lbin (L, GCC_JIT_BINARY_OP_MINUS, j, vlconst (L, 1));
      gcc_jit_rvalue *zero = lbin (L, GCC_JIT_BINARY_OP_RSHIFT, jm1, vlconst (L, 63));
      m = lbin (L, GCC_JIT_BINARY_OP_BITWISE_OR, m, zero);
    }
  gcc_jit_rvalue *one = gcc_jit_context_new_bitcast (
    L->ctx, NULL, zl_bcast (L, zl_dbl (L, 1.0)), L->t_vl);
  gcc_jit_rvalue *r = lbin (L, GCC_JIT_BINARY_OP_BITWISE_AND, m, one);
  gcc_jit_lvalue *o = zl_tmp (L, L->t_v);
  zl_set (L, o, gcc_jit_context_new_bitcast (L->ctx, NULL, r, L->t_v));
  return zl_r (o);
}

