/* pin_run.c -- a block of lane steps on a pinned kernel (stencil_pin.h)
 * without leaving the registers between examples.
 *
 * The fill chain loads the addresses the steps read, the Predict chain
 * also stores s1 (the check below reads it from memory), the Learn chain
 * only computes, the spill chain stores what the steps wrote: in between,
 * the program's memory stays in zmm10-31.  This file is compiled with
 * -ffixed-xmm10 ... -ffixed-xmm31 and -mno-vzeroupper (Makefile.am), so
 * that its own code never touches those registers, and it calls nothing
 * but the chains.  The steps are lnrun's (src/interp/interp_lanes_f.h)
 * without a companion, a sigmoid or ACCURACY's validation, which the
 * caller keeps for itself: the same checks, loss and records.
 */
#include "config.h"
#include "internal.h"
#include "kernels_lanes.h"
#include "stencil_pin.h"
#include "baseline_internal.h"
#include <string.h>

long
zj_pin_steps (const zj_lnative *n, const zj_lsteps *a)
{
  const int nb = a->nb, nl = nb * ZJ_LW;
  const zj_lv *pv = (const zj_lv *) a->s1;
  const zj_li *alive = a->alive_m;
  zj_lv *loss = a->loss;
  n->pfill (a->mem, a->rows, a->zeros, n->k);
  long k = a->k;
  for (; k < a->kn; k++)
    {
      const double *row = a->rows + (size_t) k * a->rowsz;
      const double *y = row + (size_t) a->F * nl;
      const zj_lv *yv = (const zj_lv *) y;
      n->ppredict (a->mem, row, a->zeros, n->k);
      if (zj_lany_bad (yv, pv, alive, nb, a->max_err))
        break;
      if (a->valid)
        {
          zj_lrms_valid (loss, k < a->n_rec ? (zj_lv *) (a->rec + (size_t) k * nl)
                                            : NULL, yv, pv, nb);
          continue;
        }
      if (k < a->n_rec)
        zj_lstore_err ((zj_lv *) (a->rec + (size_t) k * nl), yv, pv, nb);
      n->plearn (a->mem, row, y, n->k);
    }
  n->pspill (a->mem, a->rows, a->zeros, n->k);
  return k;
}

/* A pinned kernel's Predict and Learn one call at a time (the lane
   evaluator's other paths): fill, the component's chain, spill, from the
   block's chains (the fill and spill cover both components, which is
   correct: a register the component does not write goes back unchanged).
   The kernel is at k[-1], where the baseline's hook puts it. */
static inline void
component (double *mem, const double *row, const double *s0, const double *k,
           bool learn)
{
  const zj_bkernel *kr;
  memcpy (&kr, k - 1, sizeof kr);
  kr->pfill (mem, row, s0, k);
  (learn ? kr->plearn : kr->ppredict) (mem, row, s0, k);
  kr->pspill (mem, row, s0, k);
}

void
zj_pin_predict_call (double *mem, const double *row, const double *s0,
                     const double *k)
{
  component (mem, row, s0, k, false);
}

void
zj_pin_learn_call (double *mem, const double *row, const double *s0,
                   const double *k)
{
  component (mem, row, s0, k, true);
}
