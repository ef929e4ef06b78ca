/* fused.h -- fused step kernels: a component's instructions in one loop
 * over the lane chunks.
 *
 * The baseline tier's stencils run one op at a time, each a loop over the
 * chunks that loads its operands from lane memory and stores its result,
 * so a stateful step is bound by loads and stores and ties the lane
 * interpreter.  Every op is lane-wise (lanes are tasks), so chunk q of
 * every result depends only on chunk q of the inputs: a fused kernel runs
 * ONE loop over the chunks and, inside it, every instruction of the
 * component as straight-line code with its element loops unrolled; memory
 * elements live in locals between instructions, are loaded on first use
 * and stored at the end only when something after the component reads
 * them (element liveness over Predict -> Learn -> Predict ... and
 * Predict -> Predict of validation).  The functions have the stencil
 * chain's signature and constant table (baseline.c: k[m] is instruction
 * m's constant), and compute the same bits as the lane interpreter: the
 * same reduction order (src/interp/reduce.h), products rounded before
 * adding, -ffp-contract=off (doc/baseline_tier.md, "Fused step kernels").
 *
 * Files: fused.c (eligibility, liveness, the function skeleton, the
 * compile), fused_ops.c (what each op computes on one chunk).
 */
#ifndef ZJ_FUSED_H
#define ZJ_FUSED_H

#include "jit_internal.h"

/* Emitted vector operations per chunk above which a component is not
   fused (compile time grows with them; matrix-matrix products at F=16
   alone are 4096). */
#define ZJ_FUSED_MAX_WORK 2400

/* The lane geometry and operand sources a fused kernel is made for. */
typedef struct zj_fused_geom {
  zj_layout lay;
  int W;              /* lanes per chunk (4 or 8) */
  int C;              /* chunks per element (L / W) */
  int nt;             /* real lanes */
  bool patch;         /* v0 from the row and s0 from the s0 argument */
  bool keep_stores;   /* store every written element (tests compare all
                         of memory), not only the live ones */
} zj_fused_geom;

/* Whether p's Predict and Learn can be fused for F (every op lowered, no
   random op, within ZJ_FUSED_MAX_WORK); the reason when not. */
bool zj_fused_eligible (const zj_program *p, int F, const char **why);

/* Vector operations per chunk of p's Predict and Learn together: what a
   fused compile's cost and a fused step's saving grow with. */
long zj_fused_work (const zj_program *p, int F);

/* Sets up ctx for W-lane chunks (the stencils' options: -O2,
   -ffp-contract=off, AVX2 or AVX-512). */
void zj_fused_setup_ctx (gcc_jit_context *ctx, int W);
/* Adds the exported functions pname (Predict) and lname (Learn) of p for
   geometry g to ctx.  -1 with err set when p is not eligible. */
int zj_fused_build (gcc_jit_context *ctx, const zj_program *p,
                    const zj_fused_geom *g, const char *pname,
                    const char *lname, zj_error *err);

/* A fused kernel compiled in this process. */
typedef struct zj_fused_code {
  gcc_jit_result *result;
  zj_lnative_fn predict, learn;
  double compile_ms;
} zj_fused_code;

/* ZEROJIT_FUSED_ASM=FILE also writes the compile's assembly to FILE
   (inspection).  ZEROJIT_FAIL_COMPILE=1 makes it fail (tests). */
int zj_fused_compile (const zj_program *p, const zj_fused_geom *g,
                      zj_fused_code *out, zj_error *err);
void zj_fused_code_free (zj_fused_code *c);

/* A fused kernel made by the compile thread for the baseline kernel that
   will run it: shared by the two (refs), its state set once from pending
   to ready or failed (release; readers acquire), the functions and what
   holds them (a dlopen handle from a compile worker, or an in-process
   result) set before. */
enum { ZJ_FUSE_PENDING, ZJ_FUSE_READY, ZJ_FUSE_FAILED };
typedef struct zj_fused_slot {
  int refs, state;
  zj_lnative_fn predict, learn;
  void *dl;
  zj_fused_code code;
  double compile_ms;     /* its share of the batch's compile */
} zj_fused_slot;

/* A new pending slot with one reference. */
zj_fused_slot *zj_fused_slot_new (void);
void zj_fused_slot_ref (zj_fused_slot *s);
void zj_fused_slot_unref (zj_fused_slot *s);
int zj_fused_slot_state (const zj_fused_slot *s);
void zj_fused_slot_set_state (zj_fused_slot *s, int state);

/* The n kernels of programs p for geometries g in one libgccjit context,
   in a compile worker of j when it has them (jit.c, worker.c), else in
   this process; fills each slot's functions (not its state). */
int zj_jit_compile_fused (zj_jit *j, int n, const zj_program *const *p,
                          const zj_fused_geom *g, zj_fused_slot **slots,
                          zj_error *err);
/* The worker's side (worker.c): names ZJ_FUSED_NAME "p_i" / "l_i". */
#define ZJ_FUSED_NAME "zj_fused_"
int zj_workers_compile_fused (zj_workers *w, int n, const zj_program *const *p,
                              const zj_fused_geom *g, zj_fused_slot **slots,
                              zj_error *err);

/* ------------------------------------------------ internal to fused*.c */
/* An operand: where element i of it is read from. */
enum { ZJ_FB_MEM, ZJ_FB_ROW, ZJ_FB_S0 };
typedef struct zj_fopnd {
  int base;           /* ZJ_FB_* */
  size_t e;           /* first element (single-task layout index) */
} zj_fopnd;

/* The emitter of one component's chunk body. */
typedef struct zj_fe {
  zj_lower L;
  int F, C;
  gcc_jit_rvalue *q;          /* chunk index */
  gcc_jit_rvalue *par[4];     /* mem, row, s0, k */
  /* Values are locals assigned once per chunk, so an rvalue stays valid
     after its element is rewritten. */
  gcc_jit_rvalue **cur;       /* [total] element e's value, or NULL */
  gcc_jit_rvalue **rowc;      /* [F] row elements read so far */
  gcc_jit_rvalue *s0c;
  bool *dirty;                /* [total] cur[e] differs from memory */
  gcc_jit_rvalue **pend;      /* [F*F] outputs of the op being emitted */
  bool *pset;                 /* [F*F] which of them */
  gcc_jit_type *t_vp, *t_cvp, *t_long;
} zj_fe;

/* Element i of operand o, as a local. */
gcc_jit_rvalue *zj_fe_get (zj_fe *E, zj_fopnd o, int i);
/* Output element i of the op being emitted (committed by zj_fe_commit,
   after every input has been read: outputs may alias inputs). */
void zj_fe_put (zj_fe *E, int i, gcc_jit_rvalue *v);
/* Emits op (instruction m of the kernel, constant at k[m]) into E's
   current block: inputs a, b; outputs through zj_fe_put. */
void zj_fe_op (zj_fe *E, int op, zj_fopnd a, zj_fopnd b, int m);
/* Vector operations op emits per chunk (ZJ_FUSED_MAX_WORK), or -1 when
   it is not lowered. */
int zj_fused_op_work (int op, int F);

#endif
