/* stencil_ir.h -- the state of the stencil builder, shared by the file
 * that sets up each stencil function (stencil_build.c) and the file that
 * emits the IR of its op (stencil_ops.c).  Internal to jit/.
 */
#ifndef ZJ_STENCIL_IR_H
#define ZJ_STENCIL_IR_H

#include "jit_internal.h"
#include "stencil.h"

typedef struct zj_sb {
  zj_lower L;                   /* lower_ir.c's helpers: ctx, fn, block, types */
  int F, C;
  bool threaded;
  gcc_jit_type *t_char, *t_charp, *t_size, *t_long, *t_vp;
  gcc_jit_lvalue *hole_g[ZJ_HOLE_COUNT];
  gcc_jit_param *par[5];        /* mem, row, s0, k, (threaded) h */
  gcc_jit_function *cont;
  gcc_jit_function *sleef[8];
  gcc_jit_function *mvt;        /* zj_lmatvec_tasks_call, or NULL */
  gcc_jit_lvalue *pO, *pA, *pB, *pT;   /* operand chunk pointers */
  gcc_jit_lvalue *dO, *dA;             /* the same as double pointers */
} zj_sb;

/* (type) (base + hole) into a new local: base is parameter base of the
   stencil function (0 mem, 1 row, 2 s0, 3 k), hole h is read from the
   imported global or, threaded, from the holes parameter. */
/* The holes, CONTINUE (copied stencils) and SLEEF imports (stencil_build.c). */
void zj_sb_imports (zj_sb *S, bool copied);
/* The tail call CONTINUE that ends a copied stencil (stencil_build.c). */
void zj_sb_end_continue (zj_sb *S);
gcc_jit_lvalue *zj_sb_opnd_ptr (zj_sb *S, int base, int h, gcc_jit_type *t);
/* The body of op's stencil into the current block of S->L.fn, from the
   operand pointers S->pO ... S->dA. */
void zj_sb_emit_op (zj_sb *S, int op);
/* The body of MATRIX_VECTOR_PRODUCT's MT variant: a call of the lane
   interpreter's per-task kernel on the copy at S->pA. */
void zj_sb_emit_matvec_tasks (zj_sb *S);

#endif
