/* lane_decode.h -- the lane evaluator's decoded code (lane_decode.c).
 *
 * The lane evaluator (interp_lanes.c, interp_lanes_f.h) runs a program as
 * an array of zj_lins whose operands point straight into the lanes'
 * memory; lane_decode.c builds that array.  These types are shared by the
 * two; nothing else includes this.
 */
#ifndef ZJ_LANE_DECODE_H
#define ZJ_LANE_DECODE_H

#include "internal.h"

/* One decoded instruction: op, output, operands, data constant. */
typedef struct zj_lins {
  uint32_t op;
  double *o;
  const double *a, *b;
  double c0;
} zj_lins;

/* Operand fields of decoded instructions that read v0 or s0. */
#define ZJ_LPATCH_MAX 32
typedef struct zj_lpatch {
  const double **slot[ZJ_LPATCH_MAX];
  int n;
} zj_lpatch;

/* Decoded-only op after the sentinel: a matrix-vector product on a
   per-task copy of a matrix that Predict and Learn never write
   (zj_lmatvec_tasks; a = the copy). */
#define ZJ_LOP_MATVEC_TASKS (ZJ_NUM_OPS + 1)
#define ZJ_LMVT_COPIES 4

typedef struct zj_ldecoded {
  const zj_lins *setup, *predict, *learn;
  bool predict_writes_v0;     /* else v0 needs no restoring before Learn */
  /* When Predict and Learn never write v0 or s0 (search programs never
     do), their reads of v0 and s0 are pointed at the example's row (and
     at zeros for s0 in Predict) instead of copying every example into
     memory: a few pointer stores per step instead of F + 1 lane copies. */
  bool patch;
  zj_lpatch pv0, ps0, lv0, ls0;
  bool s1_dead;               /* zj_s1_sigmoid_dead of the program */
  /* Per-task copies for ZJ_LOP_MATVEC_TASKS, made after Setup: the
     matrix at mt_src (lanes) into mt_dst (task after task). */
  int n_mt;
  const double *mt_src[ZJ_LMVT_COPIES];
  double *mt_dst[ZJ_LMVT_COPIES];
  /* Native Predict and Learn (baseline tier) or NULL; Setup is always
     interpreted.  mem and zeros are what the native calls get. */
  const zj_lnative *nat;
  double *mem;
  const double *zeros;
} zj_ldecoded;

/* Where f's decoded code puts its v0 and s0 reads (zj_ldecoded.patch). */
typedef struct zj_lpatches {
  zj_lpatch *v0, *s0;
  bool ok;            /* no write to v0 or s0, and few enough reads */
  bool writes_v0;
} zj_lpatches;

/* Decode f into d (element of address a of kind k at mem + (off[k] + a *
   mul[k]) * L, kind N at mem) and return the end past the sentinel; with
   pt, also collect f's reads of v0 and s0 (see zj_ldecoded.patch). */
zj_lins *zj_ldecode_fn (const zj_fn *f, double *mem, const zj_layout *l,
                        int L, zj_lins *d, zj_lpatches *pt);
/* Turns the matrix-vector products of Predict and Learn whose matrix is
   in zj_lmatvec_tasks_plan (neither writes it; the baseline tier's
   stencils read the same copies) into ZJ_LOP_MATVEC_TASKS on a per-task
   copy in mt
   (room for every matrix address, F * F * L doubles each) and lists the
   copies in d for leval to make after Setup. */
void zj_lmatvec_tasks_collect (const zj_program *p, zj_lins *pred,
                               zj_lins *learn, const zj_layout *l,
                               double *mem, int nt, int L, double *mt,
                               zj_ldecoded *d);

#endif
