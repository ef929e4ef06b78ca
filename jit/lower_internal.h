/* lower_internal.h -- the loop skeleton's pieces shared by lower.c and
 * lower_pair.c (zj_lw_*).
 *
 * lower.c builds the one-task evaluation function; lower_pair.c builds the
 * two-task one from the same pieces: the argument struct, the run's
 * locals, the control-flow helpers, the example and validation passes and
 * Learn with step locals.  Nothing outside the lowering includes this.
 */
#ifndef ZJ_LOWER_INTERNAL_H
#define ZJ_LOWER_INTERNAL_H

#include "jit_internal.h"

/* Field indices of zj_jit_args (ZJ_JIT_ARGS, jit_internal.h). */
enum {
#define ZJ_ARG_INDEX(ctype, irtype, name, NAME) A_##NAME,
  ZJ_JIT_ARGS (ZJ_ARG_INDEX)
#undef ZJ_ARG_INDEX
  A_COUNT
};

/* One zj_jit_args parameter of the function being built. */
typedef struct {
  zj_lower *L;
  gcc_jit_field *f[A_COUNT];
  gcc_jit_rvalue *args;
} zj_lw_args;

/* The locals of one task's run: its arguments, then the loop state. */
typedef struct {
  gcc_jit_lvalue *trx, *try_, *vax, *vay, *order, *mem, *terr, *verr, *ntrain,
    *per_epoch, *maxerr, *nvalid, *nvalid_total, *record, *save_at;
  gcc_jit_lvalue *steps, *ntr_err, *nva_err, *aborted, *remaining, *pos, *best,
    *chunk, *kk, *result, *ex, *label, *err, *i, *loss, *f, *e, *p;
} zj_lw_vars;

/* Learn with step locals (zj_lw_learn_begin): which addresses are step
   locals, and the memory locals they stand in for. */
typedef struct {
  bool *ls, *lv, *lm;
  gcc_jit_lvalue **keep_s, ***keep_v, ***keep_m;
} zj_lw_learn;

/* The memory locals of one task.  The pair function keeps two sets and
   swaps them into L around each task's part (zj_lw_tmem_swap). */
typedef struct {
  gcc_jit_lvalue **s, ***v, ***m, **fv, *last_row;
  gcc_jit_rvalue *row;
} zj_lw_tmem;

/* Arguments and locals (lower.c). */
gcc_jit_lvalue *zj_lw_arg (zj_lw_args *A, int i);
void zj_lw_make_vars (zj_lw_args *A, zj_lw_vars *V);
gcc_jit_rvalue *zj_lw_int (zj_lower *L, long x);
gcc_jit_rvalue *zj_lw_fabs (zj_lower *L, gcc_jit_rvalue *x);
void zj_lw_write_back (zj_lower *L, const zj_shape *sh, gcc_jit_rvalue *mem);

/* Control flow: new block, end L->b with a jump or a branch, compare,
   ++lv (lower.c). */
gcc_jit_block *zj_lw_blk (zj_lower *L, const char *name);
void zj_lw_jump (zj_lower *L, gcc_jit_block *to);
void zj_lw_branch (zj_lower *L, gcc_jit_rvalue *c, gcc_jit_block *t,
                   gcc_jit_block *f);
gcc_jit_rvalue *zj_lw_cmp (zj_lower *L, enum gcc_jit_comparison op,
                           gcc_jit_rvalue *a, gcc_jit_rvalue *b);
void zj_lw_incr (zj_lower *L, gcc_jit_lvalue *lv);
/* if (cnt < record_n) buf[cnt++] = e; */
void zj_lw_record (zj_lower *L, gcc_jit_lvalue *cnt, gcc_jit_lvalue *record_n,
                   gcc_jit_lvalue *buf, gcc_jit_rvalue *e);

/* Examples and passes (lower.c). */
void zj_lw_load_features (zj_lower *L, gcc_jit_rvalue *row);
void zj_lw_begin_example (zj_lower *L, gcc_jit_rvalue *row);
void zj_lw_end_example (zj_lower *L);
void zj_lw_lower_one (zj_lower *L, const zj_instr *in, int k);
/* The addresses p names, by kind (lower.c). */
void zj_lw_mark (const zj_program *p, bool *us, bool *uv, bool *um);
/* n vector locals named kind<a>_<j>, zeroed in the entry block (lower.c). */
gcc_jit_lvalue **zj_lw_new_chunks (zj_lower *L, const char *kind, int a, int n);
/* The whole of Learn with step locals, for the step numbered save_at
   (in_save) or any other (lower_learn.c). */
void zj_lw_lower_learn (zj_lower *L, const zj_program *p, const int *kidx,
                        bool in_save);
void zj_lw_lower_fn (zj_lower *L, const zj_fn *f, const int *kidx);
void zj_lw_emit_validate (zj_lower *L, zj_lw_vars *V, const zj_program *p,
                          int **kidx, bool acc, gcc_jit_rvalue *rms_args_unused);
void zj_lw_learn_begin (zj_lower *L, const zj_program *p, zj_lw_learn *st);
void zj_lw_learn_ins (zj_lower *L, const zj_instr *in, int kidx, bool in_save,
                      const zj_lw_learn *st);
void zj_lw_learn_end (zj_lower *L, zj_lw_learn *st);

/* The two-task function (lower_pair.c). */
void zj_lw_tmem_swap (zj_lower *L, zj_lw_tmem *t);
void zj_lw_emit_eval2 (zj_lower *L, zj_lw_args *A, zj_lw_args *B,
                       const zj_program *p, const zj_shape *sh, bool acc,
                       int **kidx, zj_lw_tmem *mb);

#endif
