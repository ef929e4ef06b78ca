/* stencil_ptask.c -- per-task stencils: the IR of one libgccjit function
 * per op that performs the op for ONE task in the single-task
 * interpreter's memory layout (src/interp/interp.c: scalars, then vectors
 * of F doubles, then F x F column-major matrices).
 *
 * The body is the optimized tier's own lowering (lower_ops.c, the
 * zj_lower_ops table) on locals: the stencil loads its inputs from
 * memory into the lowering's vector locals (W doubles per chunk along
 * the elements), lowers the op with distinct local addresses for out,
 * in1 and in2, and stores the output's locals back.  All loads come
 * before the stores, so an output that aliases an input in memory gives
 * the interpreter's result (its kernels compute aliasing-safe, i.e. as
 * a function of the inputs), and the arithmetic, reduction order
 * (src/interp/reduce.h) and min/max forms are those the optimized tier
 * already proves bit-identical to the interpreter.  Three ops differ
 * from that lowering: the scalar SLEEF ops call their entry point
 * directly (a stub, like the lane stencils'); heaviside on vectors and
 * matrices uses the bit form (zl_lheaviside: an AVX-512 mask compare in
 * extended asm crashes libgccjit 12 here); a vector or matrix const-set
 * is the scalar const-set stencil at the element (jit/ptask.c).
 * Holes (stencil.h): O, A, B are byte offsets from mem, K the byte
 * offset of the instruction's constant in k.  Random ops have no
 * per-task stencil.
 */
#include "config.h"
#include "stencil_ir.h"
#include "baseline_internal.h"
#include <stdio.h>
#include <string.h>

bool
zj_ptask_F_ok (int F)
{
  return F >= 4 && F <= 32 && F % 4 == 0;
}

int
zj_ptask_W (int F)
{
  return ZJ_BL_W == 8 && F % 8 == 0 ? 8 : 4;
}

bool
zj_ptask_op_ok (int op)
{
  return op > ZJ_NO_OP && op < ZJ_NUM_OPS && !zj_op_is_random (op);
}

static int
sleef_index (int op)
{
  switch (op)
    {
    case ZJ_SCALAR_SIN_OP: return 0;
    case ZJ_SCALAR_COS_OP: return 1;
    case ZJ_SCALAR_TAN_OP: return 2;
    case ZJ_SCALAR_ARCSIN_OP: return 3;
    case ZJ_SCALAR_ARCCOS_OP: return 4;
    case ZJ_SCALAR_ARCTAN_OP: return 5;
    case ZJ_SCALAR_EXP_OP: return 6;
    case ZJ_SCALAR_LOG_OP: return 7;
    default: return -1;
    }
}

/* Chunks of a value of kind k (a scalar is one double). */
static int
nchunks (const zj_lower *L, zj_kind k)
{
  return k == ZJ_KIND_M ? L->F * L->C : k == ZJ_KIND_V ? L->C : 1;
}

/* Locals for address a of kind k. */
static void
make_locals (zj_lower *L, zj_kind k, int a)
{
  char name[32];
  if (k == ZJ_KIND_S)
    {
      snprintf (name, sizeof name, "s%d", a);
      L->s[a] = gcc_jit_function_new_local (L->fn, NULL, L->t_d, name);
      return;
    }
  if (k != ZJ_KIND_V && k != ZJ_KIND_M)
    return;
  const int n = nchunks (L, k);
  gcc_jit_lvalue **c = zj_xcalloc ((size_t) n, sizeof *c);
  for (int j = 0; j < n; j++)
    {
      snprintf (name, sizeof name, "%c%d_%d", k == ZJ_KIND_V ? 'v' : 'm', a, j);
      c[j] = gcc_jit_function_new_local (L->fn, NULL, L->t_v, name);
    }
  if (k == ZJ_KIND_V)
    L->v[a] = c;
  else
    L->m[a] = c;
}

static gcc_jit_lvalue *
chunk_at (zj_sb *S, gcc_jit_lvalue *p, int j)
{
  return gcc_jit_context_new_array_access (
    S->L.ctx, NULL, zl_r (p),
    gcc_jit_context_new_rvalue_from_int (S->L.ctx, S->L.t_int, j));
}

/* Memory <-> the locals of address a (kind k) through pointers pv
   (vector chunks) and pd (doubles). */
static void
move (zj_sb *S, zj_kind k, int a, gcc_jit_lvalue *pv, gcc_jit_lvalue *pd,
      bool load)
{
  zj_lower *L = &S->L;
  if (k == ZJ_KIND_S)
    {
      if (load)
        zl_set (L, L->s[a], zl_r (chunk_at (S, pd, 0)));
      else
        zl_set (L, chunk_at (S, pd, 0), zl_r (L->s[a]));
      return;
    }
  if (k != ZJ_KIND_V && k != ZJ_KIND_M)
    return;
  gcc_jit_lvalue **c = k == ZJ_KIND_V ? L->v[a] : L->m[a];
  for (int j = 0; j < nchunks (L, k); j++)
    if (load)
      zl_set (L, c[j], zl_r (chunk_at (S, pv, j)));
    else
      zl_set (L, chunk_at (S, pv, j), zl_r (c[j]));
}

static void
free_locals (zj_lower *L)
{
  for (int a = 0; a < 3; a++)
    {
      free (L->v[a]);
      free (L->m[a]);
      L->v[a] = L->m[a] = NULL;
      L->s[a] = NULL;
    }
}

static void
build_one (zj_sb *S, int op)
{
  zj_lower *L = &S->L;
  gcc_jit_context *ctx = L->ctx;
  char name[48];
  zj_stencil_name (name, sizeof name, op, 0);
  gcc_jit_type *cdp = gcc_jit_type_get_pointer (gcc_jit_type_get_const (L->t_d));
  S->par[0] = gcc_jit_context_new_param (ctx, NULL, L->t_dp, "mem");
  S->par[1] = gcc_jit_context_new_param (ctx, NULL, cdp, "row");
  S->par[2] = gcc_jit_context_new_param (ctx, NULL, cdp, "s0");
  S->par[3] = gcc_jit_context_new_param (ctx, NULL, cdp, "k");
  L->fn = gcc_jit_context_new_function (ctx, NULL, GCC_JIT_FUNCTION_EXPORTED,
                                        gcc_jit_context_get_type (ctx, GCC_JIT_TYPE_VOID),
                                        name, 4, S->par, 0);
  L->b = L->entry = gcc_jit_function_new_block (L->fn, "entry");
  gcc_jit_block *body = gcc_jit_function_new_block (L->fn, "body");
  L->ntmp = 0;
  memset (L->kv, 0, 4 * sizeof *L->kv);
  const zj_op_info *o = &zj_ops[op];
  gcc_jit_lvalue *pO = NULL, *pA = NULL, *pB = NULL, *dO = NULL, *dA = NULL,
    *dB = NULL;
  if (o->out != ZJ_KIND_N)
    {
      pO = zj_sb_opnd_ptr (S, 0, ZJ_HOLE_O, L->t_vp);
      dO = zj_sb_opnd_ptr (S, 0, ZJ_HOLE_O, L->t_dp);
    }
  if (o->in1 != ZJ_KIND_N)
    {
      pA = zj_sb_opnd_ptr (S, 0, ZJ_HOLE_A, L->t_vp);
      dA = zj_sb_opnd_ptr (S, 0, ZJ_HOLE_A, L->t_dp);
    }
  if (o->in2 != ZJ_KIND_N)
    {
      pB = zj_sb_opnd_ptr (S, 0, ZJ_HOLE_B, L->t_vp);
      dB = zj_sb_opnd_ptr (S, 0, ZJ_HOLE_B, L->t_dp);
    }
  gcc_jit_lvalue *kp = zj_sb_opnd_ptr (S, 3, ZJ_HOLE_K, L->t_dp);
  L->kptr = zl_r (kp);
  L->b = body;
  /* Local addresses: a vector input is address 0 with L->row on its
     memory, so the lowering's broadcasts of its elements (matrix-vector
     and outer products, row broadcast) load them from memory instead of
     extracting lanes (zl_velem); the memory holds them until the
     stores. */
  int ao = 2, a1 = 1, a2 = 0;
  L->row = NULL;
  if (o->in2 == ZJ_KIND_V)
    L->row = zl_r (dB);
  else if (o->in1 == ZJ_KIND_V)
    {
      a1 = 0;
      a2 = 1;
      L->row = zl_r (dA);
    }
  make_locals (L, o->out, ao);
  make_locals (L, o->in1, a1);
  make_locals (L, o->in2, a2);
  move (S, o->in1, a1, pA, dA, true);
  move (S, o->in2, a2, pB, dB, true);
  const int si = sleef_index (op);
  if (si >= 0)
    {
      gcc_jit_rvalue *a = zl_r (L->s[a1]);
      zl_set (L, L->s[ao], gcc_jit_context_new_call (ctx, NULL, S->sleef[si], 1, &a));
    }
  else if (op == ZJ_VECTOR_HEAVYSIDE_OP || op == ZJ_MATRIX_HEAVYSIDE_OP)
    {
      gcc_jit_lvalue **oc = o->out == ZJ_KIND_V ? L->v[ao] : L->m[ao];
      gcc_jit_lvalue **ac = o->out == ZJ_KIND_V ? L->v[a1] : L->m[a1];
      for (int j = 0; j < nchunks (L, o->out); j++)
        zl_set (L, oc[j], zl_lheaviside (L, zl_r (ac[j]), false));
    }
  else
    {
      const zj_instr in = { .op = (uint16_t) op, .in1 = (uint16_t) a1,
                            .in2 = (uint16_t) a2, .out = (uint16_t) ao };
      zj_lower_ops[op] (L, &in, 0);
    }
  /* GCC takes mem + &zj_hole_o and mem + &zj_hole_a for pointers into
     two different objects and may sink input loads below output stores.
     That is harmless where chunk j of the output depends on chunk j of
     same-kind inputs only (addresses are equal or disjoint), so only the
     ops whose output may be an input read in another pattern get an
     empty asm that clobbers memory, keeping every load first. */
  if (op == ZJ_MATRIX_VECTOR_PRODUCT_OP || op == ZJ_MATRIX_TRANSPOSE_OP
      || op == ZJ_MATRIX_MATRIX_PRODUCT_OP)
    {
      gcc_jit_extended_asm *bar = gcc_jit_block_add_extended_asm (L->b, NULL, "");
      gcc_jit_extended_asm_add_clobber (bar, "memory");
    }
  move (S, o->out, ao, pO, dO, false);
  free_locals (L);
  zj_sb_end_continue (S);
  gcc_jit_block_end_with_jump (L->entry, NULL, body);
}

void
zj_ptask_build_ir (void *gctx, int F, int W)
{
  /* No zmm: the asm helpers keep VEX-encodable "x" operands, as the
     lane stencils do (lower_ir.c, wide). */
  static const zj_isa isa = { .avx = true };
  gcc_jit_context *ctx = gctx;
  zj_sb S;
  memset (&S, 0, sizeof S);
  S.F = F;
  S.C = F / W;
  zj_lower *L = &S.L;
  L->ctx = ctx;
  L->isa = &isa;
  L->F = F;
  L->W = W;
  L->C = F / W;
  L->t_d = gcc_jit_context_get_type (ctx, GCC_JIT_TYPE_DOUBLE);
  L->t_int = gcc_jit_context_get_type (ctx, GCC_JIT_TYPE_INT);
  L->t_long = gcc_jit_context_get_type (ctx, GCC_JIT_TYPE_LONG);
  L->t_bool = gcc_jit_context_get_type (ctx, GCC_JIT_TYPE_BOOL);
  L->t_void_ptr = gcc_jit_context_get_type (ctx, GCC_JIT_TYPE_VOID_PTR);
  L->t_v = gcc_jit_type_get_vector (L->t_d, (size_t) W);
  L->t_v4 = gcc_jit_type_get_vector (L->t_d, 4);
  L->t_vl = gcc_jit_type_get_vector (gcc_jit_context_get_type (ctx, GCC_JIT_TYPE_LONG_LONG),
                                     (size_t) W);
  L->t_dp = gcc_jit_type_get_pointer (L->t_d);
  /* Memory is only 8-byte aligned in general (e.g. F = 4 at 8 lanes). */
  L->t_vp = gcc_jit_type_get_pointer (gcc_jit_type_get_aligned (L->t_v, 8));
  L->sqrt_fn = gcc_jit_context_get_builtin_function (ctx, "__builtin_sqrt");
  gcc_jit_lvalue *kv[4], *sl[3];
  gcc_jit_lvalue **vl[3], **ml[3];
  L->kv = kv;
  L->nk = 4;
  L->s = sl;
  L->v = vl;
  L->m = ml;
  memset (vl, 0, sizeof vl);
  memset (ml, 0, sizeof ml);
  S.t_vp = L->t_vp;
  S.t_long = L->t_long;
  zj_sb_imports (&S, true);
  for (int op = 1; op < ZJ_NUM_OPS; op++)
    if (zj_ptask_op_ok (op) && op != ZJ_VECTOR_CONST_SET_OP
        && op != ZJ_MATRIX_CONST_SET_OP)
      build_one (&S, op);
}
