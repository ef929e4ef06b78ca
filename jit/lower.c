/* lower.c -- a prepared program to ONE native task-evaluation function.
 *
 * Emits libgccjit IR for the interpreter's eval_f<F> (src/interp/interp_f.h):
 * Setup, then epochs of training chunks over t->order (Predict, sigmoid for
 * ACCURACY, abort test, error recording, Learn), validation after each
 * chunk, best of epochs.  Program memory lives in locals for the whole run
 * and is written back to the workspace at the end.  The per-op lowering is
 * in lower_ops.c, the IR helpers (zl_*) in lower_ir.c, Learn with step
 * locals in lower_learn.c and the two-task function in lower_pair.c; this file has the loop skeleton, the memory
 * locals and the constant table, and lends the pieces of the skeleton to
 * lower_pair.c through lower_internal.h (zj_lw_*).
 */
#include "config.h"
#include "jit_internal.h"
#include "lower_internal.h"
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------- args struct */
enum { IR_DP, IR_IP, IR_VP, IR_VPP, IR_LONG, IR_D, IR_INT };

static gcc_jit_type *
args_type (zj_lower *L, gcc_jit_field **f)
{
  gcc_jit_context *c = L->ctx;
  gcc_jit_type *const ir[] = {
    [IR_DP] = L->t_dp, [IR_IP] = gcc_jit_type_get_pointer (L->t_int),
    [IR_VP] = L->t_void_ptr, [IR_VPP] = gcc_jit_type_get_pointer (L->t_void_ptr),
    [IR_LONG] = L->t_long, [IR_D] = L->t_d, [IR_INT] = L->t_int };
  static const int types[A_COUNT] = {
#define ZJ_ARG_IRTYPE(ctype, irtype, name, NAME) IR_##irtype,
    ZJ_JIT_ARGS (ZJ_ARG_IRTYPE)
#undef ZJ_ARG_IRTYPE
  };
  static const char *const names[A_COUNT] = {
#define ZJ_ARG_NAME(ctype, irtype, name, NAME) #name,
    ZJ_JIT_ARGS (ZJ_ARG_NAME)
#undef ZJ_ARG_NAME
  };
  for (int i = 0; i < A_COUNT; i++)
    f[i] = gcc_jit_context_new_field (c, NULL, ir[types[i]], names[i]);
  return gcc_jit_struct_as_type (
    gcc_jit_context_new_struct_type (c, NULL, "zj_jit_args", A_COUNT, f));
}

gcc_jit_lvalue *
zj_lw_arg (zj_lw_args *A, int i)
{
  return gcc_jit_rvalue_dereference_field (A->args, NULL, A->f[i]);
}

/* A local initialised from an argument field in the entry block. */
static gcc_jit_lvalue *
arg_local (zj_lw_args *A, int i, gcc_jit_type *t, const char *name)
{
  gcc_jit_lvalue *lv = gcc_jit_function_new_local (A->L->fn, NULL, t, name);
  gcc_jit_block_add_assignment (A->L->entry, NULL, lv, zl_r (zj_lw_arg (A, i)));
  return lv;
}

/* ----------------------------------------------------- memory locals */
void
zj_lw_mark (const zj_program *p, bool *us, bool *uv, bool *um)
{
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    for (int i = 0; i < p->fn[c].n; i++)
      {
        const zj_instr *in = &p->fn[c].ins[i];
        const zj_op_info *o = &zj_ops[in->op];
        const zj_kind k[3] = { o->in1, o->in2, o->out };
        const int a[3] = { in->in1, in->in2, in->out };
        for (int j = 0; j < 3; j++)
          {
            if (k[j] == ZJ_KIND_S) us[a[j]] = true;
            if (k[j] == ZJ_KIND_V) uv[a[j]] = true;
            if (k[j] == ZJ_KIND_M) um[a[j]] = true;
          }
      }
  us[0] = us[1] = uv[0] = true;   /* the executor's label, prediction, features */
}

static gcc_jit_rvalue *
vptr (zj_lower *L, gcc_jit_rvalue *base, gcc_jit_rvalue *idx)
{
  gcc_jit_lvalue *e = gcc_jit_context_new_array_access (L->ctx, NULL, base, idx);
  return gcc_jit_context_new_cast (L->ctx, NULL, gcc_jit_lvalue_get_address (e, NULL),
                                   L->t_vp);
}

gcc_jit_rvalue *
zj_lw_int (zj_lower *L, long x)
{
  return gcc_jit_context_new_rvalue_from_long (L->ctx, L->t_long, x);
}

static void
store_chunks (zj_lower *L, gcc_jit_block *b, gcc_jit_rvalue *mem, size_t off,
              gcc_jit_lvalue **ch, int n)
{
  for (int j = 0; j < n; j++)
    gcc_jit_block_add_assignment (
      b, NULL,
      gcc_jit_rvalue_dereference (vptr (L, mem, zj_lw_int (L, (long) (off + (size_t) j * L->W))), NULL),
      zl_r (ch[j]));
}

gcc_jit_lvalue **
zj_lw_new_chunks (zj_lower *L, const char *kind, int a, int n)
{
  gcc_jit_lvalue **c = zj_xcalloc ((size_t) n, sizeof *c);
  gcc_jit_rvalue *zero = zl_bcast (L, zl_dbl (L, 0.0));   /* a variable */
  for (int j = 0; j < n; j++)
    {
      char name[32];
      snprintf (name, sizeof name, "%s%d_%d", kind, a, j);
      c[j] = gcc_jit_function_new_local (L->fn, NULL, L->t_v, name);
      gcc_jit_block_add_assignment (L->entry, NULL, c[j], zero);
    }
  return c;
}

static void
alloc_memory (zj_lower *L, const zj_program *p, const zj_shape *sh)
{
  bool us[sh->ns + 2], uv[sh->nv + 1], um[sh->nm + 1];
  memset (us, 0, sizeof us);
  memset (uv, 0, sizeof uv);
  memset (um, 0, sizeof um);
  zj_lw_mark (p, us, uv, um);
  L->s = zj_xcalloc ((size_t) sh->ns + 2, sizeof *L->s);
  L->v = zj_xcalloc ((size_t) sh->nv + 1, sizeof *L->v);
  L->m = zj_xcalloc ((size_t) sh->nm + 1, sizeof *L->m);
  gcc_jit_block *save = L->b;
  L->b = L->entry;       /* zero initialisers go to the entry block */
  for (int a = 0; a < sh->ns; a++)
    if (us[a])
      {
        char name[32];
        snprintf (name, sizeof name, "s%d", a);
        L->s[a] = gcc_jit_function_new_local (L->fn, NULL, L->t_d, name);
        gcc_jit_block_add_assignment (L->entry, NULL, L->s[a], zl_dbl (L, 0.0));
      }
  for (int a = 0; a < sh->nv; a++)
    if (uv[a])
      L->v[a] = zj_lw_new_chunks (L, "v", a, L->C);
  for (int a = 0; a < sh->nm; a++)
    if (um[a])
      L->m[a] = zj_lw_new_chunks (L, "m", a, L->F * L->C);
  L->b = save;
}

/* When neither Predict nor Learn writes v0, v0 is the current example's
   features in both, and the memory v0 at the end is the last example's
   (or Setup's, before any example).  Predict and Learn then read v0 from
   locals of their own, loaded from the row each step, and the end copies
   the last row: v0's values stop flowing from one step to the next, so
   they are not kept (spilled) across the loop. */
static void
feature_locals (zj_lower *L, const zj_program *p)
{
  for (int c = ZJ_PREDICT; c <= ZJ_LEARN; c++)
    for (int i = 0; i < p->fn[c].n; i++)
      if (zj_ops[p->fn[c].ins[i].op].out == ZJ_KIND_V && p->fn[c].ins[i].out == 0)
        return;
  L->fv = zj_lw_new_chunks (L, "f", 0, L->C);
  L->last_row = gcc_jit_function_new_local (L->fn, NULL, L->t_dp, "last_row");
  gcc_jit_block_add_assignment (L->entry, NULL, L->last_row,
                                gcc_jit_context_null (L->ctx, L->t_dp));
}

static void
free_set (zj_lower *L, const zj_shape *sh)
{
  free (L->fv);
  for (int a = 0; a < sh->nv; a++)
    free (L->v[a]);
  for (int a = 0; a < sh->nm; a++)
    free (L->m[a]);
  free (L->s);
  free (L->v);
  free (L->m);
}

static void
free_memory (zj_lower *L, const zj_shape *sh)
{
  free_set (L, sh);
  free (L->kv);
}

void
zj_lw_write_back (zj_lower *L, const zj_shape *sh, gcc_jit_rvalue *mem)
{
  zj_layout lay;
  zj_layout_init (&lay, sh);
  for (int a = 0; a < sh->ns; a++)
    if (L->s[a])
      gcc_jit_block_add_assignment (
        L->b, NULL,
        gcc_jit_context_new_array_access (L->ctx, NULL, mem, zj_lw_int (L, (long) (lay.s_off + a))),
        zl_r (L->s[a]));
  for (int a = L->fv ? 1 : 0; a < sh->nv; a++)
    if (L->v[a])
      store_chunks (L, L->b, mem, lay.v_off + (size_t) a * L->F, L->v[a], L->C);
  for (int a = 0; a < sh->nm; a++)
    if (L->m[a])
      store_chunks (L, L->b, mem, lay.m_off + (size_t) a * L->F * L->F, L->m[a],
                    L->F * L->C);
  if (!L->fv)
    return;
  /* v0: the last example's features, or Setup's v0 if none was loaded. */
  gcc_jit_block *from_row = gcc_jit_function_new_block (L->fn, NULL),
    *from_setup = gcc_jit_function_new_block (L->fn, NULL),
    *done = gcc_jit_function_new_block (L->fn, NULL);
  gcc_jit_block_end_with_conditional (
    L->b, NULL,
    gcc_jit_context_new_comparison (L->ctx, NULL, GCC_JIT_COMPARISON_NE, zl_r (L->last_row),
                                    gcc_jit_context_null (L->ctx, L->t_dp)),
    from_row, from_setup);
  for (int j = 0; j < L->C; j++)
    gcc_jit_block_add_assignment (
      from_row, NULL,
      gcc_jit_rvalue_dereference (vptr (L, mem, zj_lw_int (L, (long) (lay.v_off + (size_t) j * L->W))), NULL),
      zl_r (gcc_jit_rvalue_dereference (vptr (L, zl_r (L->last_row), zj_lw_int (L, j * L->W)), NULL)));
  gcc_jit_block_end_with_jump (from_row, NULL, done);
  store_chunks (L, from_setup, mem, lay.v_off, L->v[0], L->C);
  gcc_jit_block_end_with_jump (from_setup, NULL, done);
  L->b = done;
}

/* ------------------------------------------------------ control flow */
gcc_jit_block *
zj_lw_blk (zj_lower *L, const char *name)
{
  return gcc_jit_function_new_block (L->fn, name);
}

void
zj_lw_jump (zj_lower *L, gcc_jit_block *to)
{
  gcc_jit_block_end_with_jump (L->b, NULL, to);
}

void
zj_lw_branch (zj_lower *L, gcc_jit_rvalue *c, gcc_jit_block *t, gcc_jit_block *f)
{
  gcc_jit_block_end_with_conditional (L->b, NULL, c, t, f);
}

gcc_jit_rvalue *
zj_lw_cmp (zj_lower *L, enum gcc_jit_comparison op, gcc_jit_rvalue *a, gcc_jit_rvalue *b)
{
  return gcc_jit_context_new_comparison (L->ctx, NULL, op, a, b);
}

void
zj_lw_incr (zj_lower *L, gcc_jit_lvalue *lv)
{
  gcc_jit_block_add_assignment_op (
    L->b, NULL, lv, GCC_JIT_BINARY_OP_PLUS,
    gcc_jit_context_new_rvalue_from_int (L->ctx, gcc_jit_rvalue_get_type (zl_r (lv)), 1));
}

/* v0 := x[0..F), from a row pointer (into the feature locals, if any). */
void
zj_lw_load_features (zj_lower *L, gcc_jit_rvalue *row)
{
  gcc_jit_lvalue **v0 = L->fv ? L->fv : L->v[0];
  for (int j = 0; j < L->C; j++)
    zl_set (L, v0[j],
            zl_r (gcc_jit_rvalue_dereference (vptr (L, row, zj_lw_int (L, j * L->W)), NULL)));
  if (L->fv)
    zl_set (L, L->last_row, row);
}

/* With feature locals (L->fv, feature_locals), v0 means them inside an
   example and the memory's v0 outside it: swap the two. */
static void
swap_v0 (zj_lower *L)
{
  if (L->fv)
    {
      gcc_jit_lvalue **t = L->v[0];
      L->v[0] = L->fv;
      L->fv = t;
    }
}

/* Predict or Learn of one example follows: v0 is the row just loaded. */
void
zj_lw_begin_example (zj_lower *L, gcc_jit_rvalue *row)
{
  L->row = row;
  swap_v0 (L);
}

void
zj_lw_end_example (zj_lower *L)
{
  L->row = NULL;
  swap_v0 (L);
}

/* Once an instruction writes v0, it no longer equals the feature row. */
void
zj_lw_lower_one (zj_lower *L, const zj_instr *in, int k)
{
  zj_lower_ops[in->op] (L, in, k);
  if (zj_ops[in->op].out == ZJ_KIND_V && in->out == 0)
    L->row = NULL;
}

void
zj_lw_lower_fn (zj_lower *L, const zj_fn *f, const int *kidx)
{
  for (int i = 0; i < f->n; i++)
    zj_lw_lower_one (L, &f->ins[i], kidx[i]);
}

/* if (cnt < record) { buf[cnt++] = e; } */
void
zj_lw_record (zj_lower *L, gcc_jit_lvalue *cnt, gcc_jit_lvalue *record_n,
        gcc_jit_lvalue *buf, gcc_jit_rvalue *e)
{
  gcc_jit_block *yes = zj_lw_blk (L, NULL), *done = zj_lw_blk (L, NULL);
  zj_lw_branch (L, zj_lw_cmp (L, GCC_JIT_COMPARISON_LT, zl_r (cnt), zl_r (record_n)), yes, done);
  L->b = yes;
  zl_set (L, gcc_jit_context_new_array_access (L->ctx, NULL, zl_r (buf), zl_r (cnt)), e);
  zj_lw_incr (L, cnt);
  zj_lw_jump (L, done);
  L->b = done;
}

/* Constant-table slot of each instruction, in Setup, Predict, Learn order. */
static int
assign_kidx (const zj_program *p, int *kidx[ZJ_NUM_COMPONENTS])
{
  int n = 0;
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    {
      kidx[c] = zj_xmalloc (((size_t) p->fn[c].n + 1) * sizeof (int));
      for (int i = 0; i < p->fn[c].n; i++)
        {
          kidx[c][i] = n;
          n += zj_op_const_count (p->fn[c].ins[i].op);
        }
    }
  return n;
}

void
zj_lw_make_vars (zj_lw_args *A, zj_lw_vars *V)
{
  zj_lower *L = A->L;
  V->trx = arg_local (A, A_TRAIN_X, L->t_dp, "trx");
  V->try_ = arg_local (A, A_TRAIN_Y, L->t_dp, "try");
  V->vax = arg_local (A, A_VALID_X, L->t_dp, "vax");
  V->vay = arg_local (A, A_VALID_Y, L->t_dp, "vay");
  V->order = arg_local (A, A_ORDER, gcc_jit_type_get_pointer (L->t_int), "order");
  V->mem = arg_local (A, A_MEM, L->t_dp, "mem");
  V->terr = arg_local (A, A_TRAIN_ERR, L->t_dp, "terr");
  V->verr = arg_local (A, A_VALID_ERR, L->t_dp, "verr");
  V->ntrain = arg_local (A, A_N_TRAIN, L->t_long, "ntrain");
  V->per_epoch = arg_local (A, A_PER_EPOCH, L->t_long, "per_epoch");
  V->maxerr = arg_local (A, A_MAX_ABS_ERROR, L->t_d, "maxerr");
  V->nvalid = arg_local (A, A_N_VALID, L->t_int, "nvalid");
  V->nvalid_total = arg_local (A, A_N_VALID_TOTAL, L->t_int, "nvalid_total");
  V->record = arg_local (A, A_RECORD_ERRORS, L->t_int, "record");
  V->save_at = arg_local (A, A_SAVE_STEP, L->t_long, "save_at");
#define LOC(name, t) V->name = gcc_jit_function_new_local (L->fn, NULL, t, #name)
  LOC (steps, L->t_long); LOC (ntr_err, L->t_int); LOC (nva_err, L->t_int);
  LOC (aborted, L->t_int); LOC (remaining, L->t_long); LOC (pos, L->t_long);
  LOC (best, L->t_d); LOC (chunk, L->t_long); LOC (kk, L->t_long);
  LOC (result, L->t_d); LOC (ex, L->t_int); LOC (label, L->t_d);
  LOC (err, L->t_d); LOC (i, L->t_int); LOC (loss, L->t_d); LOC (f, L->t_d);
  LOC (e, L->t_d); LOC (p, L->t_d);
#undef LOC
}

gcc_jit_rvalue *
zj_lw_fabs (zj_lower *L, gcc_jit_rvalue *x)
{
  return gcc_jit_context_new_unary_op (L->ctx, NULL, GCC_JIT_UNARY_OP_ABS, L->t_d, x);
}

/* The validation pass; on exit from it, V->f holds its fitness. */
void
zj_lw_emit_validate (zj_lower *L, zj_lw_vars *V, const zj_program *p, int **kidx, bool acc,
               gcc_jit_rvalue *rms_args_unused)
{
  gcc_jit_block *head = zj_lw_blk (L, "val_head"), *body = zj_lw_blk (L, "val_body"),
    *done = zj_lw_blk (L, "val_done"), *end = zj_lw_blk (L, "val_end");
  zl_set (L, V->loss, zl_dbl (L, 0.0));
  zl_set (L, V->i, gcc_jit_context_zero (L->ctx, L->t_int));
  zj_lw_jump (L, head);
  L->b = head;
  zj_lw_branch (L, zj_lw_cmp (L, GCC_JIT_COMPARISON_LT, zl_r (V->i), zl_r (V->nvalid)), body, done);
  L->b = body;
  zl_set (L, V->label, zl_r (gcc_jit_context_new_array_access (L->ctx, NULL, zl_r (V->vay), zl_r (V->i))));
  gcc_jit_lvalue *rowv = zl_tmp (L, L->t_dp);
  zl_set (L, rowv, gcc_jit_lvalue_get_address (
    gcc_jit_context_new_array_access (
      L->ctx, NULL, zl_r (V->vax),
      zl_bin (L, GCC_JIT_BINARY_OP_MULT, zl_r (V->i),
              gcc_jit_context_new_rvalue_from_int (L->ctx, L->t_int, L->F))), NULL));
  gcc_jit_rvalue *row = zl_r (rowv);
  zj_lw_load_features (L, row);
  zl_set (L, L->s[0], zl_dbl (L, 0.0));
  zj_lw_begin_example (L, row);
  zj_lw_lower_fn (L, &p->fn[ZJ_PREDICT], kidx[ZJ_PREDICT]);
  zj_lw_end_example (L);
  if (acc)
    {
      gcc_jit_rvalue *s1 = zl_r (L->s[1]);
      zl_set (L, V->p, zl_call (L, ZJ_RT_SIGMOID, 1, &s1));
      gcc_jit_rvalue *a = gcc_jit_context_new_cast (
        L->ctx, NULL, zj_lw_cmp (L, GCC_JIT_COMPARISON_GT, zl_r (V->label), zl_dbl (L, 0.5)), L->t_int);
      gcc_jit_rvalue *b = gcc_jit_context_new_cast (
        L->ctx, NULL, zj_lw_cmp (L, GCC_JIT_COMPARISON_GT, zl_r (V->p), zl_dbl (L, 0.5)), L->t_int);
      gcc_jit_rvalue *ne = gcc_jit_context_new_cast (
        L->ctx, NULL, zj_lw_cmp (L, GCC_JIT_COMPARISON_NE, a, b), L->t_int);
      zl_set (L, V->e, gcc_jit_context_new_cast (L->ctx, NULL, ne, L->t_d));
      zl_set (L, V->loss, zl_bin (L, GCC_JIT_BINARY_OP_PLUS, zl_r (V->loss), zl_r (V->e)));
    }
  else
    {
      gcc_jit_block *ok = zj_lw_blk (L, "val_ok"), *bad = zj_lw_blk (L, "val_abort");
      zl_set (L, V->p, zl_bin (L, GCC_JIT_BINARY_OP_MINUS, zl_r (V->label), zl_r (L->s[1])));
      zl_set (L, V->e, zj_lw_fabs (L, zl_r (V->p)));
      zj_lw_branch (L, zj_lw_cmp (L, GCC_JIT_COMPARISON_LE, zl_r (V->e), zl_r (V->maxerr)), ok, bad);
      L->b = bad;
      zl_set (L, V->f, zl_dbl (L, 0.0));
      zj_lw_jump (L, end);
      L->b = ok;
      zl_set (L, V->loss, zl_bin (L, GCC_JIT_BINARY_OP_PLUS, zl_r (V->loss),
                                  zl_bin (L, GCC_JIT_BINARY_OP_MULT, zl_r (V->p), zl_r (V->p))));
    }
  zj_lw_record (L, V->nva_err, V->record, V->verr, zl_r (V->e));
  zj_lw_incr (L, V->i);
  zj_lw_jump (L, head);
  L->b = done;
  if (acc)
    zl_set (L, V->f, zl_bin (L, GCC_JIT_BINARY_OP_MINUS, zl_dbl (L, 1.0),
                             zl_bin (L, GCC_JIT_BINARY_OP_DIVIDE, zl_r (V->loss),
                                     gcc_jit_context_new_cast (L->ctx, NULL, zl_r (V->nvalid_total), L->t_d))));
  else
    {
      gcc_jit_rvalue *a[2] = { zl_r (V->loss), zl_r (V->nvalid_total) };
      zl_set (L, V->f, zl_call (L, ZJ_RT_RMS_FITNESS, 2, a));
    }
  zj_lw_jump (L, end);
  L->b = end;
}

/* One training step body (the loop test is the caller's). */
static void
emit_train_step (zj_lower *L, zj_lw_vars *V, const zj_program *p, int **kidx, bool acc,
                 gcc_jit_block *abort_blk)
{
  zl_set (L, V->ex, zl_r (gcc_jit_context_new_array_access (L->ctx, NULL, zl_r (V->order), zl_r (V->pos))));
  zj_lw_incr (L, V->pos);
  zl_set (L, V->label, zl_r (gcc_jit_context_new_array_access (L->ctx, NULL, zl_r (V->try_), zl_r (V->ex))));
  zj_lw_incr (L, V->steps);
  gcc_jit_lvalue *row = zl_tmp (L, L->t_dp);
  zl_set (L, row, gcc_jit_lvalue_get_address (
    gcc_jit_context_new_array_access (
      L->ctx, NULL, zl_r (V->trx),
      zl_bin (L, GCC_JIT_BINARY_OP_MULT, zl_r (V->ex),
              gcc_jit_context_new_rvalue_from_int (L->ctx, L->t_int, L->F))), NULL));
  zj_lw_load_features (L, zl_r (row));
  zl_set (L, L->s[0], zl_dbl (L, 0.0));
  zj_lw_begin_example (L, zl_r (row));
  zj_lw_lower_fn (L, &p->fn[ZJ_PREDICT], kidx[ZJ_PREDICT]);
  zj_lw_end_example (L);
  if (acc)
    {
      gcc_jit_rvalue *s1 = zl_r (L->s[1]);
      zl_set (L, L->s[1], zl_call (L, ZJ_RT_SIGMOID, 1, &s1));
    }
  zl_set (L, V->err, zj_lw_fabs (L, zl_bin (L, GCC_JIT_BINARY_OP_MINUS, zl_r (V->label), zl_r (L->s[1]))));
  gcc_jit_block *ok = zj_lw_blk (L, "train_ok");
  zj_lw_branch (L, zj_lw_cmp (L, GCC_JIT_COMPARISON_LE, zl_r (V->err), zl_r (V->maxerr)), ok, abort_blk);
  L->b = ok;
  zj_lw_record (L, V->ntr_err, V->record, V->terr, zl_r (V->err));
  zj_lw_load_features (L, zl_r (row));
  zl_set (L, L->s[0], zl_r (V->label));
  zj_lw_begin_example (L, zl_r (row));
  if (zj_lower_step_locals (p, L->shape))
    {
      gcc_jit_block *save = zj_lw_blk (L, "learn_save"), *plain = zj_lw_blk (L, "learn"),
        *join = zj_lw_blk (L, NULL);
      zj_lw_branch (L, zj_lw_cmp (L, GCC_JIT_COMPARISON_EQ, zl_r (V->steps), zl_r (V->save_at)),
              save, plain);
      gcc_jit_rvalue *row0 = L->row;   /* zj_lw_lower_one clears it on a v0 write */
      L->b = save;
      zj_lw_lower_learn (L, p, kidx[ZJ_LEARN], true);
      zj_lw_jump (L, join);
      L->b = plain;
      L->row = row0;
      zj_lw_lower_learn (L, p, kidx[ZJ_LEARN], false);
      zj_lw_jump (L, join);
      L->b = join;
    }
  else
    zj_lw_lower_learn (L, p, kidx[ZJ_LEARN], false);
  zj_lw_end_example (L);
}

static void
emit_eval (zj_lower *L, zj_lw_args *A, const zj_program *p, const zj_shape *sh,
           bool acc, int **kidx)
{
  zj_lw_vars V;
  zj_lw_make_vars (A, &V);
  gcc_jit_block *first = zj_lw_blk (L, "setup");
  L->b = first;
  gcc_jit_rvalue *zl = zj_lw_int (L, 0), *zi = gcc_jit_context_zero (L->ctx, L->t_int);
  zl_set (L, V.steps, zl); zl_set (L, V.pos, zl);
  zl_set (L, V.ntr_err, zi); zl_set (L, V.nva_err, zi); zl_set (L, V.aborted, zi);
  zl_set (L, V.best, zl_dbl (L, 0.0));
  zj_lw_lower_fn (L, &p->fn[ZJ_SETUP], kidx[ZJ_SETUP]);
  zl_set (L, V.remaining, zl_r (V.ntrain));
  gcc_jit_block *head = zj_lw_blk (L, "epoch_head"), *chunk = zj_lw_blk (L, "chunk"),
    *thead = zj_lw_blk (L, "train_head"), *tbody = zj_lw_blk (L, "train_body"),
    *tdone = zj_lw_blk (L, "train_done"), *tabort = zj_lw_blk (L, "train_abort"),
    *fin = zj_lw_blk (L, "finish"), *exit = zj_lw_blk (L, "exit");
  zj_lw_jump (L, head);
  L->b = head;
  zj_lw_branch (L, zj_lw_cmp (L, GCC_JIT_COMPARISON_GT, zl_r (V.remaining), zl), chunk, fin);
  /* chunk = min(remaining, per_epoch) */
  L->b = chunk;
  {
    gcc_jit_block *a = zj_lw_blk (L, NULL), *b = zj_lw_blk (L, NULL), *j = zj_lw_blk (L, NULL);
    zj_lw_branch (L, zj_lw_cmp (L, GCC_JIT_COMPARISON_LT, zl_r (V.remaining), zl_r (V.per_epoch)), a, b);
    L->b = a; zl_set (L, V.chunk, zl_r (V.remaining)); zj_lw_jump (L, j);
    L->b = b; zl_set (L, V.chunk, zl_r (V.per_epoch)); zj_lw_jump (L, j);
    L->b = j;
  }
  zl_set (L, V.kk, zl);
  zj_lw_jump (L, thead);
  L->b = thead;
  zj_lw_branch (L, zj_lw_cmp (L, GCC_JIT_COMPARISON_LT, zl_r (V.kk), zl_r (V.chunk)), tbody, tdone);
  L->b = tbody;
  emit_train_step (L, &V, p, kidx, acc, tabort);
  zj_lw_incr (L, V.kk);
  zj_lw_jump (L, thead);
  /* abort: fitness 0 if nothing was validated yet, else the best so far */
  L->b = tabort;
  zl_set (L, V.aborted, gcc_jit_context_one (L->ctx, L->t_int));
  {
    gcc_jit_block *z = zj_lw_blk (L, NULL), *nz = zj_lw_blk (L, NULL);
    zj_lw_branch (L, zj_lw_cmp (L, GCC_JIT_COMPARISON_EQ, zl_r (V.remaining), zl_r (V.ntrain)), z, nz);
    L->b = z; zl_set (L, V.result, zl_dbl (L, 0.0)); zj_lw_jump (L, exit);
    L->b = nz; zl_set (L, V.result, zl_r (V.best)); zj_lw_jump (L, exit);
  }
  L->b = tdone;
  gcc_jit_block_add_assignment_op (L->b, NULL, V.remaining, GCC_JIT_BINARY_OP_MINUS,
                                   zl_r (V.per_epoch));
  zj_lw_emit_validate (L, &V, p, kidx, acc, NULL);
  {
    gcc_jit_block *up = zj_lw_blk (L, NULL);
    zj_lw_branch (L, zj_lw_cmp (L, GCC_JIT_COMPARISON_GT, zl_r (V.f), zl_r (V.best)), up, head);
    L->b = up; zl_set (L, V.best, zl_r (V.f)); zj_lw_jump (L, head);
  }
  L->b = fin;
  zl_set (L, V.result, zl_r (V.best));
  zj_lw_jump (L, exit);
  L->b = exit;
  zj_lw_write_back (L, sh, zl_r (V.mem));
  zl_set (L, zj_lw_arg (A, A_TRAIN_STEPS), zl_r (V.steps));
  zl_set (L, zj_lw_arg (A, A_N_TRAIN_ERR), zl_r (V.ntr_err));
  zl_set (L, zj_lw_arg (A, A_N_VALID_ERR), zl_r (V.nva_err));
  zl_set (L, zj_lw_arg (A, A_ABORTED), zl_r (V.aborted));
  gcc_jit_block_end_with_return (L->b, NULL, zl_r (V.result));
  gcc_jit_block_end_with_jump (L->entry, NULL, first);
}

static void
init_types (zj_lower *L)
{
  gcc_jit_context *c = L->ctx;
  L->t_d = gcc_jit_context_get_type (c, GCC_JIT_TYPE_DOUBLE);
  L->t_int = gcc_jit_context_get_type (c, GCC_JIT_TYPE_INT);
  L->t_long = gcc_jit_context_get_type (c, GCC_JIT_TYPE_LONG);
  L->t_bool = gcc_jit_context_get_type (c, GCC_JIT_TYPE_BOOL);
  L->t_void_ptr = gcc_jit_context_get_type (c, GCC_JIT_TYPE_VOID_PTR);
  L->t_v = gcc_jit_type_get_vector (L->t_d, (size_t) L->W);
  L->t_v4 = gcc_jit_type_get_vector (L->t_d, 4);
  L->t_vl = gcc_jit_type_get_vector (gcc_jit_context_get_type (c, GCC_JIT_TYPE_LONG_LONG),
                                     (size_t) L->W);
  L->t_dp = gcc_jit_type_get_pointer (L->t_d);
  /* Features rows and memory are only 8-byte aligned in general. */
  L->t_vp = gcc_jit_type_get_pointer (gcc_jit_type_get_aligned (L->t_v, 8));
  L->sqrt_fn = gcc_jit_context_get_builtin_function (c, "__builtin_sqrt");
}

/* One exported function: the task evaluation NAME (one argument), or with
   PAIR the two-task one (two arguments, zj_lw_emit_eval2). */
static int
lower_function (gcc_jit_context *ctx, const zj_isa *isa, const zj_program *p,
                const zj_shape *shape, zj_eval_type et, const char *name,
                bool pair, zj_error *err)
{
  if (shape->ns < 2 || shape->nv < 1 || !zj_features_size_ok (shape->F))
    {
      zj_error_set (err, "jit/lower.c: shape F=%d ns=%d nv=%d cannot be lowered",
                    shape->F, shape->ns, shape->nv);
      return -1;
    }
  zj_lower Lv, *L = &Lv;
  memset (L, 0, sizeof *L);
  L->ctx = ctx;
  L->isa = isa;
  L->F = shape->F;
  L->shape = shape;
  L->W = isa->zmm && shape->F % 8 == 0 ? 8
         : isa->avx ? (shape->F < 4 ? shape->F : 4) : 2;
  L->C = L->F / L->W;
  init_types (L);
  zj_lw_args A;
  A.L = L;
  gcc_jit_type *at = args_type (L, A.f);
  gcc_jit_param *pa[2] = {
    gcc_jit_context_new_param (ctx, NULL, gcc_jit_type_get_pointer (at), "a"),
    gcc_jit_context_new_param (ctx, NULL, gcc_jit_type_get_pointer (at), "b") };
  L->fn = gcc_jit_context_new_function (ctx, NULL, GCC_JIT_FUNCTION_EXPORTED, L->t_d,
                                        name, pair ? 2 : 1, pa, 0);
  A.args = gcc_jit_param_as_rvalue (pa[0]);
  zj_lw_args B = A;
  B.args = gcc_jit_param_as_rvalue (pa[1]);
  L->entry = zj_lw_blk (L, "entry");
  int *kidx[ZJ_NUM_COMPONENTS];
  L->nk = assign_kidx (p, kidx);
  L->kv = zj_xcalloc ((size_t) L->nk + 1, sizeof *L->kv);
  L->kptr = zl_r (arg_local (&A, A_K, L->t_dp, "kptr"));
  L->rt = zl_r (arg_local (&A, A_RT, gcc_jit_type_get_pointer (L->t_void_ptr), "rt"));
  L->rng = zl_r (arg_local (&A, A_RNG, L->t_void_ptr, "rng"));
  L->b = L->entry;
  alloc_memory (L, p, shape);
  feature_locals (L, p);
  if (pair)
    {
      zj_lw_tmem mb = { L->s, L->v, L->m, L->fv, L->last_row, NULL };
      alloc_memory (L, p, shape);   /* B's set, swapped in by zj_lw_emit_eval2 */
      feature_locals (L, p);
      zj_lw_tmem_swap (L, &mb);
      zj_lw_emit_eval2 (L, &A, &B, p, shape, et == ZJ_ACCURACY, kidx, &mb);
      zj_lw_tmem_swap (L, &mb);
      free_set (L, shape);
      zj_lw_tmem_swap (L, &mb);
    }
  else
    emit_eval (L, &A, p, shape, et == ZJ_ACCURACY, kidx);
  free_memory (L, shape);
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    free (kidx[c]);
  const char *e = gcc_jit_context_get_first_error (ctx);
  if (e)
    {
      zj_error_set (err, "jit/lower.c: libgccjit: %s", e);
      return -1;
    }
  return 0;
}

int
zj_lower_program (gcc_jit_context *ctx, const zj_isa *isa, const zj_program *p,
                  const zj_shape *shape, zj_eval_type et, const char *name,
                  zj_error *err)
{
  if (lower_function (ctx, isa, p, shape, et, name, false, err) != 0)
    return -1;
  if (!isa->pairs || !zj_lower_pair_ok (p))
    return 0;
  char pname[64];
  snprintf (pname, sizeof pname, "%s" ZJ_PAIR_SUFFIX, name);
  return lower_function (ctx, isa, p, shape, et, pname, true, err);
}
