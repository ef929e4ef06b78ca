/* stencil_pin.h -- pinned lane stencils: a candidate's memory in zmm
 * registers (doc/baseline_tier.md, "Register-resident stencils").
 *
 * For a shape whose scalars s1.. and vectors v1.. fit in zmm10-31 (8-lane
 * chunks, C chunks per element), libgccjit compiles one stencil per op and
 * per choice of its operands' addresses, on global register variables
 * bound to those registers, plus a fill (memory into the registers) and a
 * spill (back).  A component's code is the fill, its instructions' stencils
 * and the spill: values stay in registers from one instruction to the
 * next instead of a store and a load each.  v0 and s0 come from the
 * example row and the s0 source as in the lane stencils.  Experimental:
 * the baseline tier uses it under ZEROJIT_PIN=1 (jit/baseline_pin.c).
 */
#ifndef ZJ_STENCIL_PIN_H
#define ZJ_STENCIL_PIN_H

#include "stencil.h"

#define ZJ_PIN_R0 10            /* the first pinned register, zmm10 */
#define ZJ_PIN_NREG 22          /* zmm10 .. zmm31 */
#define ZJ_PIN_MAXADDR (ZJ_PIN_NREG + 1)   /* addresses per kind, 0 included */

typedef struct zj_pin_lib {
  int F, C, S, V;
  /* The stencils of op for output o and inputs a, b at
     st[first[op] + (o * na + a) * nb + b], na and nb the addresses of
     op's input kinds (1 for an unused slot): exactly the ones built. */
  size_t first[ZJ_NUM_OPS];
  size_t nst;
  zj_stencil *st;               /* size 0: none */
  /* move[0 fill, 1 spill][0 scalar, 1 vector][address] */
  zj_stencil move[2][2][ZJ_PIN_MAXADDR];
  void *image;
  zj_execmem mem;
  zj_perf_map perf;             /* zj:pin:F<F> */
} zj_pin_lib;

/* Most stencil slots a library may have: a binary scalar op takes S^3,
   so 15 scalars would be 13,500 functions (a quarter of a minute of
   libgccjit in the evaluating thread); the demo's shape has 440. */
#define ZJ_PIN_MAX_SLOTS 4096

/* Whether scalars 1..S-1 and vectors 1..V-1 of F elements in C chunks fit
   the pinned registers, in a library of at most ZJ_PIN_MAX_SLOTS
   stencils. */
bool zj_pin_fits (int F, int C, int S, int V);
/* Whether op has pinned stencils. */
bool zj_pin_op_ok (int op);
/* Builds (libgccjit, in a temporary file) and loads the library of a shape
   that fits.  -1 with err set on failure. */
int zj_pin_lib_load (zj_pin_lib *lib, int F, int C, int S, int V,
                     zj_error *err);
void zj_pin_lib_free (zj_pin_lib *lib);
/* op's stencil for output address o and inputs a, b (0 for an unused
   slot), or NULL. */
const zj_stencil *zj_pin_stencil (const zj_pin_lib *lib, int op, int o,
                                  int a, int b);
/* The pinned addresses ins[0..n) read before writing them (rd) and write
   (wr), by kind (0 scalar, 1 vector). */
void zj_pin_sets (const zj_sinst *ins, int n, bool rd[2][ZJ_PIN_MAXADDR],
                  bool wr[2][ZJ_PIN_MAXADDR]);
/* One piece of a pinned chain: the fill or the spill of address a of kind
   kind (0 scalar, 1 vector), or the stencil of instruction i. */
enum { ZJ_PIN_PART_FILL, ZJ_PIN_PART_OP, ZJ_PIN_PART_SPILL };
typedef struct zj_pin_part {
  int what;                     /* ZJ_PIN_PART_* */
  int kind, a;                  /* fill and spill */
  int i;                        /* op */
} zj_pin_part;
#define ZJ_PIN_PARTS_MAX(n) ((n) + 4 * ZJ_PIN_MAXADDR)

/* The pieces of the chain below in their order (fills, the n
   instructions, spills); returns their count, at most
   ZJ_PIN_PARTS_MAX (n). */
int zj_pin_chain_parts (int n, const bool fill[2][ZJ_PIN_MAXADDR],
                        const bool spill[2][ZJ_PIN_MAXADDR], zj_pin_part *parts);
/* A chain of fills (fill), ins[0..n)'s stencils and spills (spill), ending
   with vzeroupper; ret (vzu) or ret, which leaves the pinned registers to
   the next chain (zj_pin_steps).  offs (the parts' count + 1 entries, or
   NULL): where each part starts, then where the return starts.  With
   ZEROJIT_PERF_MAP=1 each part gets a line in perf's map,
   zj:pin:F<F>:<name>:<fill|spill>:<s|v><address>, <name>:<i>:<op> or
   <name>:ret. */
zj_stencil_fn zj_pin_emit_chain (zj_pin_lib *lib, const char *name,
                                 const zj_sinst *ins, int n,
                                 const bool fill[2][ZJ_PIN_MAXADDR],
                                 const bool spill[2][ZJ_PIN_MAXADDR], bool vzu,
                                 size_t s_bytes, size_t v_bytes, size_t *bytes,
                                 uint32_t *offs);
/* A block of steps on a pinned kernel's chains (jit/pin_run.c, compiled
   so that it never touches zmm10-31): zj_lsteps_fn. */
long zj_pin_steps (const zj_lnative *n, const zj_lsteps *a);
/* One component of a pinned kernel (fill, its chain, spill), the kernel
   read from k[-1] (jit/pin_run.c): zj_lnative_fn. */
void zj_pin_predict_call (double *mem, const double *row, const double *s0,
                          const double *k);
void zj_pin_learn_call (double *mem, const double *row, const double *s0,
                        const double *k);

#endif
