/* shortcut.h -- exact evaluation shortcuts: when training is unobservable.
 *
 * A program whose step reads what earlier steps wrote only through an
 * acyclic chain D links long (an empty Learn and a stateless Predict: D =
 * 0) ends each training chunk in the memory its last D + 1 steps give,
 * whatever came before.  The only other effect of a training step is its
 * abort check.  If interval arithmetic over the steps proves that no
 * training example can abort, the lane evaluator runs only the last
 * D + 1 steps of each chunk and counts the others (doc/shortcuts.md has
 * the argument).
 */
#ifndef ZJ_SHORTCUT_H
#define ZJ_SHORTCUT_H

#include "internal.h"

/* A closed interval of finite doubles. */
typedef struct zj_ival {
  double lo, hi;
} zj_ival;

/* What the structure allows. */
typedef enum zj_shortcut_kind {
  ZJ_SC_NONE = 0,
  /* Each chunk's last step alone gives the chunk's final memory. */
  ZJ_SC_LAST_STEP,
  /* The same, but s1 is only ever changed by ACCURACY training's
     s1 := sigmoid(s1) (Predict neither writes nor reads it): s1 must be
     iterated once per skipped step, which stops early at a fixed point. */
  ZJ_SC_SIGMOID_CHAIN
} zj_shortcut_kind;

/* The structural half: Learn (pruned) is empty, Predict has no random
   op and every location it reads before writing it in the same pass is
   never written by it (v0 and s0 are the example's, written by the
   executor each step; under ACCURACY training also rewrites s1 each
   step, so Predict must not read s1 before writing it).  Partial writes
   (one element of a vector or matrix) write a location without killing
   it.  p is the executed (pruned) program. */
zj_shortcut_kind zj_shortcut_structural (const zj_program *p,
                                         const zj_shape *sh,
                                         zj_eval_type et);

/* How many earlier training steps a step's memory depends on, at most:
   the longest chain of written locations whose value after a step depends
   on another's value before it (Predict, then Learn; v0 and s0 are the
   example's; ACCURACY's sigmoid makes s1 depend on itself).  -1 for a
   cycle (state that accumulates), a random op, or too many locations. */
int zj_shortcut_depth (const zj_program *p, const zj_shape *sh,
                       zj_eval_type et);

/* One op over intervals, the memory bank as `m` (lay->total intervals of
   one task; element layout as the single-task memory).  False when the
   op is not modelled, an input interval leaves the op's domain, or an
   output endpoint is not finite: the caller then gives up.  F = lay->F. */
bool zj_ival_exec (const zj_instr *in, const zj_layout *lay, zj_ival *m,
                   zj_ival *tmp);   /* 3 * F * F intervals */

/* The proof for one lane: m0 holds the lane's memory after Setup as
   point intervals; x[i] the range of feature i over the task's training
   examples, y the label range, vx[i] the range of validation feature i.
   Runs steps over intervals (Predict with v0 = x, s0 = 0; the abort
   check for every label in y; ACCURACY's sigmoid; Learn with v0 = x,
   s0 = y) and validation's Predict (v0 = vx) from the hull of every state
   a step can start from, until that hull stops growing (depth: what
   zj_shortcut_plan said): true when no training step of this task can
   abort.  h, s and g have room for lay->total intervals, tmp for
   3 * F * F. */
bool zj_shortcut_prove (const zj_fn *predict, const zj_fn *learn,
                        const zj_layout *lay, const zj_ival *m0, zj_ival *h,
                        zj_ival *s, zj_ival *g, const zj_ival *x, zj_ival y,
                        const zj_ival *vx, bool acc, double max_err,
                        int depth, zj_ival *tmp);

/* The shortcut a program allows: LAST_STEP with *depth = D (each chunk's
   memory is what its last D + 1 steps give from any state: run those),
   SIGMOID_CHAIN (*depth = 0), or NONE. */
zj_shortcut_kind zj_shortcut_plan (const zj_program *p, const zj_shape *sh,
                                   zj_eval_type et, int *depth);

#endif
