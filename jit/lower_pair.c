/* lower_pair.c -- two tasks of one program in ONE native function.
 *
 * The pair function (zj_lw_emit_eval2) runs two tasks' training steps
 * interleaved, instruction by instruction, so that each task's dependency
 * chain fills the cycles the other's leaves idle; jit.c runs the compiled
 * function and falls back to two single runs on an abort.  It is built
 * from the same skeleton pieces as the one-task function of lower.c
 * (shared through lower_internal.h); it lives apart because it is an
 * optional second function (isa->pairs, zj_lower_pair_ok) and lower.c had
 * grown past what one reads in a sitting.
 */
#include "config.h"
#include "jit_internal.h"
#include "lower_internal.h"

void
zj_lw_tmem_swap (zj_lower *L, zj_lw_tmem *t)
{
  zj_lw_tmem cur = { L->s, L->v, L->m, L->fv, L->last_row, L->row };
  L->s = t->s; L->v = t->v; L->m = t->m; L->fv = t->fv; L->last_row = t->last_row;
  L->row = t->row;
  *t = cur;
}

/* Whether two tasks may run interleaved, bit-identical to one after the
   other: rng draws only in Setup, so that Setup A, Setup B, then both
   trainings draw what A's run then B's run would. */
bool
zj_lower_pair_ok (const zj_program *p)
{
  for (int c = ZJ_PREDICT; c <= ZJ_LEARN; c++)
    for (int i = 0; i < p->fn[c].n; i++)
      if (zj_ops[p->fn[c].ins[i].op].random)
        return false;
  return true;
}

/* best = max(best, f) */
static void
keep_best (zj_lower *L, zj_lw_vars *V, gcc_jit_block *next)
{
  gcc_jit_block *up = zj_lw_blk (L, NULL);
  zj_lw_branch (L, zj_lw_cmp (L, GCC_JIT_COMPARISON_GT, zl_r (V->f), zl_r (V->best)), up, next);
  L->b = up;
  zl_set (L, V->best, zl_r (V->f));
  zj_lw_jump (L, next);
  L->b = next;
}

/* Function f of both tasks, instruction by instruction: A's, then B's
   (swapped in from mb), so that each instruction's dependency chain has
   the other task's instruction beside it, in one basic block when the ops
   need none.  With LA/LB, Learn with step locals (zj_lw_learn_ins). */
static void
lower_fn2 (zj_lower *L, const zj_fn *f, const int *kidx, zj_lw_tmem *mb,
           const zj_lw_learn *la, const zj_lw_learn *lb, bool in_save)
{
  for (int i = 0; i < f->n; i++)
    for (int t = 0; t < 2; t++)
      {
        if (t == 1)
          zj_lw_tmem_swap (L, mb);
        if (la)
          zj_lw_learn_ins (L, &f->ins[i], kidx[i], in_save, t ? lb : la);
        else
          zj_lw_lower_one (L, &f->ins[i], kidx[i]);
        if (t == 1)
          zj_lw_tmem_swap (L, mb);
      }
}

/* One training step of each task, interleaved (lower_fn2); an abort of
   either jumps to abort_blk.  Both tasks are at the same step (the pair
   function leaves at the first abort), so one test of A's step counter
   chooses the save step for both. */
static void
emit_train_step2 (zj_lower *L, zj_lw_vars *V2[2], const zj_program *p, int **kidx,
                  bool acc, gcc_jit_block *abort_blk, zj_lw_tmem *mb)
{
  gcc_jit_lvalue *row[2];
  for (int t = 0; t < 2; t++)
    {
      zj_lw_vars *V = V2[t];
      if (t == 1)
        zj_lw_tmem_swap (L, mb);
      zl_set (L, V->ex, zl_r (gcc_jit_context_new_array_access (L->ctx, NULL, zl_r (V->order), zl_r (V->pos))));
      zj_lw_incr (L, V->pos);
      zl_set (L, V->label, zl_r (gcc_jit_context_new_array_access (L->ctx, NULL, zl_r (V->try_), zl_r (V->ex))));
      zj_lw_incr (L, V->steps);
      row[t] = zl_tmp (L, L->t_dp);
      zl_set (L, row[t], gcc_jit_lvalue_get_address (
        gcc_jit_context_new_array_access (
          L->ctx, NULL, zl_r (V->trx),
          zl_bin (L, GCC_JIT_BINARY_OP_MULT, zl_r (V->ex),
                  gcc_jit_context_new_rvalue_from_int (L->ctx, L->t_int, L->F))), NULL));
      zj_lw_load_features (L, zl_r (row[t]));
      zl_set (L, L->s[0], zl_dbl (L, 0.0));
      zj_lw_begin_example (L, zl_r (row[t]));
      if (t == 1)
        zj_lw_tmem_swap (L, mb);
    }
  lower_fn2 (L, &p->fn[ZJ_PREDICT], kidx[ZJ_PREDICT], mb, NULL, NULL, false);
  for (int t = 0; t < 2; t++)
    {
      zj_lw_vars *V = V2[t];
      if (t == 1)
        zj_lw_tmem_swap (L, mb);
      zj_lw_end_example (L);
      if (acc)
        {
          gcc_jit_rvalue *s1 = zl_r (L->s[1]);
          zl_set (L, L->s[1], zl_call (L, ZJ_RT_SIGMOID, 1, &s1));
        }
      zl_set (L, V->err, zj_lw_fabs (L, zl_bin (L, GCC_JIT_BINARY_OP_MINUS, zl_r (V->label), zl_r (L->s[1]))));
      if (t == 1)
        zj_lw_tmem_swap (L, mb);
    }
  for (int t = 0; t < 2; t++)
    {
      gcc_jit_block *ok = zj_lw_blk (L, "train_ok");
      zj_lw_branch (L, zj_lw_cmp (L, GCC_JIT_COMPARISON_LE, zl_r (V2[t]->err), zl_r (V2[t]->maxerr)),
              ok, abort_blk);
      L->b = ok;
    }
  for (int t = 0; t < 2; t++)
    {
      zj_lw_vars *V = V2[t];
      if (t == 1)
        zj_lw_tmem_swap (L, mb);
      zj_lw_record (L, V->ntr_err, V->record, V->terr, zl_r (V->err));
      zj_lw_load_features (L, zl_r (row[t]));
      zl_set (L, L->s[0], zl_r (V->label));
      zj_lw_begin_example (L, zl_r (row[t]));
      if (t == 1)
        zj_lw_tmem_swap (L, mb);
    }
  const zj_fn *lf = &p->fn[ZJ_LEARN];
  zj_lw_learn la, lb;
  if (zj_lower_step_locals (p, L->shape))
    {
      gcc_jit_block *save = zj_lw_blk (L, "learn_save"), *plain = zj_lw_blk (L, "learn"),
        *join = zj_lw_blk (L, NULL);
      zj_lw_branch (L, zj_lw_cmp (L, GCC_JIT_COMPARISON_EQ, zl_r (V2[0]->steps), zl_r (V2[0]->save_at)),
              save, plain);
      gcc_jit_rvalue *row0[2] = { L->row, mb->row };   /* zj_lw_lower_one clears them */
      for (int pass = 0; pass < 2; pass++)
        {
          L->b = pass ? plain : save;
          L->row = row0[0];
          mb->row = row0[1];
          zj_lw_learn_begin (L, p, &la);
          zj_lw_tmem_swap (L, mb);
          zj_lw_learn_begin (L, p, &lb);
          zj_lw_tmem_swap (L, mb);
          lower_fn2 (L, lf, kidx[ZJ_LEARN], mb, &la, &lb, pass == 0);
          zj_lw_learn_end (L, &la);
          zj_lw_tmem_swap (L, mb);
          zj_lw_learn_end (L, &lb);
          zj_lw_tmem_swap (L, mb);
          zj_lw_jump (L, join);
        }
      L->b = join;
    }
  else
    lower_fn2 (L, lf, kidx[ZJ_LEARN], mb, NULL, NULL, false);
  zj_lw_end_example (L);
  zj_lw_tmem_swap (L, mb);
  zj_lw_end_example (L);
  zj_lw_tmem_swap (L, mb);
}

/* Two tasks of equal sizes (the caller checks) in one function, their
   training steps interleaved: a training step is one long dependency
   chain (the matrix-vector product's F adds, then Learn's update of the
   matrix the next product reads), and the other task's step fills the
   cycles that chain leaves idle (issue 11: NN program at F=16, 56.8 to
   ~40 ns per step).  Setup A, Setup B, then per chunk A's and B's steps
   in turn and A's and B's validation.  Any training abort returns at once
   with aborted = 1 in A's arguments and nothing written: the caller runs
   the two tasks one after the other instead (zj_jit_eval_pair). */
void
zj_lw_emit_eval2 (zj_lower *L, zj_lw_args *A, zj_lw_args *B, const zj_program *p,
            const zj_shape *sh, bool acc, int **kidx, zj_lw_tmem *mb)
{
  zj_lw_vars VA, VB;
  zj_lw_make_vars (A, &VA);
  zj_lw_make_vars (B, &VB);
  zj_lw_vars *V2[2] = { &VA, &VB };
  gcc_jit_block *first = zj_lw_blk (L, "setup");
  L->b = first;
  gcc_jit_rvalue *zl = zj_lw_int (L, 0), *zi = gcc_jit_context_zero (L->ctx, L->t_int);
  for (int t = 0; t < 2; t++)
    {
      zj_lw_vars *V = V2[t];
      if (t == 1)
        zj_lw_tmem_swap (L, mb);
      zl_set (L, V->steps, zl); zl_set (L, V->pos, zl);
      zl_set (L, V->ntr_err, zi); zl_set (L, V->nva_err, zi); zl_set (L, V->aborted, zi);
      zl_set (L, V->best, zl_dbl (L, 0.0));
      zj_lw_lower_fn (L, &p->fn[ZJ_SETUP], kidx[ZJ_SETUP]);
      if (t == 1)
        zj_lw_tmem_swap (L, mb);
    }
  zl_set (L, VA.remaining, zl_r (VA.ntrain));
  gcc_jit_block *head = zj_lw_blk (L, "epoch_head"), *chunk = zj_lw_blk (L, "chunk"),
    *thead = zj_lw_blk (L, "train_head"), *tbody = zj_lw_blk (L, "train_body"),
    *tdone = zj_lw_blk (L, "train_done"), *tabort = zj_lw_blk (L, "train_abort"),
    *fin = zj_lw_blk (L, "finish");
  zj_lw_jump (L, head);
  L->b = head;
  zj_lw_branch (L, zj_lw_cmp (L, GCC_JIT_COMPARISON_GT, zl_r (VA.remaining), zl), chunk, fin);
  L->b = chunk;
  {
    gcc_jit_block *a = zj_lw_blk (L, NULL), *b = zj_lw_blk (L, NULL), *j = zj_lw_blk (L, NULL);
    zj_lw_branch (L, zj_lw_cmp (L, GCC_JIT_COMPARISON_LT, zl_r (VA.remaining), zl_r (VA.per_epoch)), a, b);
    L->b = a; zl_set (L, VA.chunk, zl_r (VA.remaining)); zj_lw_jump (L, j);
    L->b = b; zl_set (L, VA.chunk, zl_r (VA.per_epoch)); zj_lw_jump (L, j);
    L->b = j;
  }
  zl_set (L, VA.kk, zl);
  zj_lw_jump (L, thead);
  L->b = thead;
  zj_lw_branch (L, zj_lw_cmp (L, GCC_JIT_COMPARISON_LT, zl_r (VA.kk), zl_r (VA.chunk)), tbody, tdone);
  L->b = tbody;
  emit_train_step2 (L, V2, p, kidx, acc, tabort, mb);
  zj_lw_incr (L, VA.kk);
  zj_lw_jump (L, thead);
  L->b = tabort;
  zl_set (L, zj_lw_arg (A, A_ABORTED), gcc_jit_context_one (L->ctx, L->t_int));
  gcc_jit_block_end_with_return (L->b, NULL, zl_dbl (L, 0.0));
  L->b = tdone;
  gcc_jit_block_add_assignment_op (L->b, NULL, VA.remaining, GCC_JIT_BINARY_OP_MINUS,
                                   zl_r (VA.per_epoch));
  zj_lw_emit_validate (L, &VA, p, kidx, acc, NULL);
  keep_best (L, &VA, zj_lw_blk (L, NULL));
  zj_lw_tmem_swap (L, mb);
  zj_lw_emit_validate (L, &VB, p, kidx, acc, NULL);
  zj_lw_tmem_swap (L, mb);
  keep_best (L, &VB, head);
  L->b = fin;
  for (int t = 0; t < 2; t++)
    {
      zj_lw_vars *V = V2[t];
      zj_lw_args *X = t ? B : A;
      if (t == 1)
        zj_lw_tmem_swap (L, mb);
      zj_lw_write_back (L, sh, zl_r (V->mem));
      if (t == 1)
        zj_lw_tmem_swap (L, mb);
      zl_set (L, zj_lw_arg (X, A_TRAIN_STEPS), zl_r (V->steps));
      zl_set (L, zj_lw_arg (X, A_N_TRAIN_ERR), zl_r (V->ntr_err));
      zl_set (L, zj_lw_arg (X, A_N_VALID_ERR), zl_r (V->nva_err));
      zl_set (L, zj_lw_arg (X, A_ABORTED), zi);
      zl_set (L, zj_lw_arg (X, A_FITNESS), zl_r (V->best));
    }
  gcc_jit_block_end_with_return (L->b, NULL, zl_r (VA.best));
  gcc_jit_block_end_with_jump (L->entry, NULL, first);
}
