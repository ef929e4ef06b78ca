/* stencil_build.c -- one libgccjit function per op and variant: the
 * stencil library's IR.
 *
 * Sets up the context (types, the imported holes, CONTINUE and the SLEEF
 * entry points) and, for each op and operand-source variant, a function
 * with its parameters and operand pointers, whose body stencil_ops.c
 * emits; kept apart so that file holds only what each op computes.
 */
#include "config.h"
#include "stencil_ir.h"
#include <stdio.h>
#include <string.h>

static const char *const hole_names[ZJ_HOLE_COUNT] = {
  "zj_hole_o", "zj_hole_a", "zj_hole_b", "zj_hole_t", "zj_hole_nr",
  "zj_hole_k",
};

static const char *const sleef_names[8] = {
  "Sleef_sin_u10", "Sleef_cos_u10", "Sleef_tan_u10", "Sleef_asin_u10",
  "Sleef_acos_u10", "Sleef_atan_u10", "Sleef_exp_u10", "Sleef_log_u10",
};

void
zj_stencil_name (char *buf, size_t n, int op, int variant)
{
  snprintf (buf, n, "zj_st_%d_%d", op, variant);
}

/* Ends the current block with the stencil's required tail call
   CONTINUE (mem, row, s0, k): in copied code, the next stencil. */
void
zj_sb_end_continue (zj_sb *S)
{
  zj_lower *L = &S->L;
  gcc_jit_context *ctx = L->ctx;
  gcc_jit_rvalue *args[4];
  for (int i = 0; i < 4; i++)
    args[i] = gcc_jit_param_as_rvalue (S->par[i]);
  gcc_jit_rvalue *call = gcc_jit_context_new_call (ctx, NULL, S->cont, 4, args);
  gcc_jit_rvalue_set_bool_require_tail_call (call, 1);
  gcc_jit_block_add_eval (L->b, NULL, call);
  gcc_jit_block_end_with_void_return (L->b, NULL);
}

/* What a stencil imports: the char types its holes use, the holes and
   its tail call CONTINUE (copied stencils only), and the scalar SLEEF
   entry points.  S->L's context and double types are set. */
void
zj_sb_imports (zj_sb *S, bool copied)
{
  zj_lower *L = &S->L;
  gcc_jit_context *ctx = L->ctx;
  S->t_char = gcc_jit_context_get_type (ctx, GCC_JIT_TYPE_CHAR);
  S->t_charp = gcc_jit_type_get_pointer (S->t_char);
  S->t_size = gcc_jit_context_get_type (ctx, GCC_JIT_TYPE_SIZE_T);
  if (copied)
    {
      for (int h = 0; h < ZJ_HOLE_COUNT; h++)
        S->hole_g[h] = gcc_jit_context_new_global (ctx, NULL,
                                                   GCC_JIT_GLOBAL_IMPORTED,
                                                   S->t_char, hole_names[h]);
      gcc_jit_type *cdp = gcc_jit_type_get_pointer (gcc_jit_type_get_const (L->t_d));
      gcc_jit_param *cp[4];
      cp[0] = gcc_jit_context_new_param (ctx, NULL, L->t_dp, "mem");
      cp[1] = gcc_jit_context_new_param (ctx, NULL, cdp, "row");
      cp[2] = gcc_jit_context_new_param (ctx, NULL, cdp, "s0");
      cp[3] = gcc_jit_context_new_param (ctx, NULL, cdp, "k");
      S->cont = gcc_jit_context_new_function (
        ctx, NULL, GCC_JIT_FUNCTION_IMPORTED,
        gcc_jit_context_get_type (ctx, GCC_JIT_TYPE_VOID), "CONTINUE", 4, cp, 0);
    }
  for (int i = 0; i < 8; i++)
    {
      gcc_jit_param *x = gcc_jit_context_new_param (ctx, NULL, L->t_d, "x");
      S->sleef[i] = gcc_jit_context_new_function (ctx, NULL,
                                                  GCC_JIT_FUNCTION_IMPORTED,
                                                  L->t_d, sleef_names[i], 1, &x, 0);
    }
}

bool
zj_stencil_mt_built (int F, int W)
{
  return W == 8 && (F == 8 || F == 16);
}

bool
zj_stencil_variant_ok (int op, int v)
{
  const zj_op_info *o = &zj_ops[op];
  if ((v & ZJ_SV_MT) && op != ZJ_MATRIX_VECTOR_PRODUCT_OP)
    return false;
  if ((v & ZJ_SV_A) && o->in1 != ZJ_KIND_S && o->in1 != ZJ_KIND_V)
    return false;
  if ((v & ZJ_SV_B) && o->in2 != ZJ_KIND_S && o->in2 != ZJ_KIND_V)
    return false;
  return true;
}

/* One stencil function for op and variant. */
static void
build_one (zj_sb *S, int op, int v)
{
  zj_lower *L = &S->L;
  gcc_jit_context *ctx = L->ctx;
  char name[48];
  zj_stencil_name (name, sizeof name, op, v);
  /* A parameter belongs to one function: fresh ones for each. */
  gcc_jit_type *dp = L->t_dp;
  gcc_jit_type *cdp = gcc_jit_type_get_pointer (gcc_jit_type_get_const (L->t_d));
  S->par[0] = gcc_jit_context_new_param (ctx, NULL, dp, "mem");
  S->par[1] = gcc_jit_context_new_param (ctx, NULL, cdp, "row");
  S->par[2] = gcc_jit_context_new_param (ctx, NULL, cdp, "s0");
  S->par[3] = gcc_jit_context_new_param (ctx, NULL, cdp, "k");
  S->par[4] = gcc_jit_context_new_param (
    ctx, NULL, gcc_jit_type_get_pointer (gcc_jit_type_get_const (S->t_size)), "h");
  L->fn = gcc_jit_context_new_function (ctx, NULL, GCC_JIT_FUNCTION_EXPORTED,
                                        gcc_jit_context_get_type (ctx, GCC_JIT_TYPE_VOID),
                                        name, S->threaded ? 5 : 4, S->par, 0);
  L->b = L->entry = gcc_jit_function_new_block (L->fn, "entry");
  L->ntmp = 0;
  const zj_op_info *o = &zj_ops[op];
  /* Alternate bases: v0 reads from the row (param 1), s0 from param 2. */
  const int abase = (v & ZJ_SV_A) ? (o->in1 == ZJ_KIND_V ? 1 : 2) : 0;
  const int bbase = (v & ZJ_SV_B) ? (o->in2 == ZJ_KIND_V ? 1 : 2) : 0;
  S->pO = o->out != ZJ_KIND_N ? zj_sb_opnd_ptr (S, 0, ZJ_HOLE_O, S->t_vp) : NULL;
  S->pA = o->in1 != ZJ_KIND_N ? zj_sb_opnd_ptr (S, abase, ZJ_HOLE_A, S->t_vp) : NULL;
  S->pB = o->in2 != ZJ_KIND_N ? zj_sb_opnd_ptr (S, bbase, ZJ_HOLE_B, S->t_vp) : NULL;
  S->pT = zj_sb_opnd_ptr (S, 0, ZJ_HOLE_T, S->t_vp);
  S->dO = o->out != ZJ_KIND_N ? zj_sb_opnd_ptr (S, 0, ZJ_HOLE_O, L->t_dp) : NULL;
  S->dA = o->in1 != ZJ_KIND_N ? zj_sb_opnd_ptr (S, abase, ZJ_HOLE_A, L->t_dp) : NULL;
  if (v & ZJ_SV_MT)
    zj_sb_emit_matvec_tasks (S);
  else
    zj_sb_emit_op (S, op);
  if (S->threaded)
    {
      gcc_jit_block_end_with_void_return (L->b, NULL);
      return;
    }
  zj_sb_end_continue (S);
}

void
zj_stencil_build_ir (void *gctx, int F, int W, int C, bool threaded)
{
  gcc_jit_context *ctx = gctx;
  if (C == ZJ_PTASK_C)
    {
      zj_ptask_build_ir (gctx, F, W);
      return;
    }
  static const zj_isa isa = { .avx = true };
  zj_sb S;
  memset (&S, 0, sizeof S);
  S.F = F;
  S.C = C;
  S.threaded = threaded;
  zj_lower *L = &S.L;
  L->ctx = ctx;
  L->isa = &isa;
  L->F = F;
  L->W = W;
  L->t_d = gcc_jit_context_get_type (ctx, GCC_JIT_TYPE_DOUBLE);
  L->t_dp = gcc_jit_type_get_pointer (L->t_d);
  L->t_v = gcc_jit_type_get_vector (L->t_d, (size_t) W);
  L->t_vl = gcc_jit_type_get_vector (gcc_jit_context_get_type (ctx, GCC_JIT_TYPE_LONG_LONG), (size_t) W);
  S.t_vp = gcc_jit_type_get_pointer (L->t_v);
  S.t_long = gcc_jit_context_get_type (ctx, GCC_JIT_TYPE_LONG);
  zj_sb_imports (&S, !threaded);
  /* The per-task product: copied stencils only (the threaded design is
     for measurements and keeps the lane product). */
  const bool mt = !threaded && zj_stencil_mt_built (F, W);
  if (mt)
    {
      gcc_jit_type *dp = L->t_dp;
      gcc_jit_type *cdp = gcc_jit_type_get_pointer (gcc_jit_type_get_const (L->t_d));
      gcc_jit_param *mp[6];
      mp[0] = gcc_jit_context_new_param (ctx, NULL, dp, "o");
      mp[1] = gcc_jit_context_new_param (ctx, NULL, cdp, "mt");
      mp[2] = gcc_jit_context_new_param (ctx, NULL, cdp, "b");
      mp[3] = gcc_jit_context_new_param (ctx, NULL, S.t_long, "F");
      mp[4] = gcc_jit_context_new_param (ctx, NULL, S.t_long, "nb");
      mp[5] = gcc_jit_context_new_param (ctx, NULL, S.t_long, "nr");
      S.mvt = gcc_jit_context_new_function (
        ctx, NULL, GCC_JIT_FUNCTION_IMPORTED,
        gcc_jit_context_get_type (ctx, GCC_JIT_TYPE_VOID),
        "zj_lmatvec_tasks_call", 6, mp, 0);
    }
  for (int op = 1; op < ZJ_NUM_OPS; op++)
    {
      if (zj_op_is_random (op))
        continue;
      for (int v = 0; v < ZJ_SV_COUNT; v++)
        if (zj_stencil_variant_ok (op, v) && (mt || !(v & ZJ_SV_MT)))
          build_one (&S, op, v);
    }
}
