/* baseline_pin.c -- the baseline tier's pinned kernels (ZEROJIT_PIN=1,
 * doc/baseline_tier.md, "Register-resident stencils"): whether a
 * candidate can run on the pinned library, the four chains of its kernel
 * and their emission (the library itself: stencil_pin.c; the block
 * runner: pin_run.c).
 */
#include "config.h"
#include "baseline_internal.h"
#include "jit_internal.h"
#include <string.h>

/* Whether the m decoded instructions can run on pinned stencils: every op
   has them, no matrix copy, v0 and s0 from the row, and the shape is the
   library's (loaded here for the first shape that fits: from the disk
   cache, or half a second of libgccjit, counted like a library load). */
bool
zj_bl_pin_ready (zj_baseline *b, const zj_layout *lay, int L, bool patch, int m)
{
  if (!b->pin_on || !patch || b->pin_state < 0)
    return false;
  for (int i = 0; i < m; i++)
    if (!zj_pin_op_ok (b->ins[i].op) || (b->ins[i].variant & ZJ_SV_MT))
      return false;
  const int F = lay->F, C = L / ZJ_BL_W;
  if (b->pin_state == 1)
    return b->pin.F == F && b->pin.C == C && b->pin.S == lay->ns
           && b->pin.V == lay->nv;
  if (!zj_pin_fits (F, C, lay->ns, lay->nv))
    return false;
  const double t0 = zj_now_ns ();
  b->pin_state = zj_pin_lib_load (&b->pin, F, C, lay->ns, lay->nv, &b->err) == 0
                 ? 1 : -1;
  b->st.lib_ms += (zj_now_ns () - t0) * 1e-6;
  if (b->pin_state < 0)
    b->st.failures++;
  return b->pin_state > 0;
}

const char *const zj_bl_pin_chain_names[ZJ_BL_PIN_CHAINS] = {
  "fill", "Predict", "Learn", "spill"
};

void
zj_bl_pin_chains_of (const zj_baseline *b, int np, int m, zj_bl_pin_chains *c)
{
  /* The chains of a block of steps (zj_pin_steps): fill what the steps
     read or write, Predict stores s1 for the check when the steps write
     it, spill what they write.  An address written only by Learn is
     filled too: a block that aborts at its first check spills it without
     Learn having run.  One component at a time runs the same chains
     (zj_pin_predict_call, zj_pin_learn_call): four chains a kernel. */
  bool rd[2][ZJ_PIN_MAXADDR], wr[2][ZJ_PIN_MAXADDR];
  memset (c, 0, sizeof *c);
  zj_pin_sets (b->ins, m, rd, wr);
  for (int k = 0; k < 2; k++)
    for (int a = 0; a < ZJ_PIN_MAXADDR; a++)
      {
        c->fill[0][k][a] = rd[k][a] || wr[k][a];
        c->spill[3][k][a] = wr[k][a];
      }
  c->spill[1][0][1] = wr[0][1];
  c->ins[1] = b->ins;
  c->n[1] = np;
  c->ins[2] = b->ins + np;
  c->n[2] = m - np;
  c->vzu[3] = true;
}

bool
zj_bl_pin_emit (zj_baseline *b, zj_bkernel *k, const zj_layout *lay, int L,
                int np, int m, size_t *bytes)
{
  const size_t row = (size_t) L * sizeof (double);
  const size_t sb = lay->s_off * row, vb = lay->v_off * row;
  zj_bl_pin_chains c;
  zj_bl_pin_chains_of (b, np, m, &c);
  zj_lnative_fn *dst[ZJ_BL_PIN_CHAINS] = { &k->pfill, &k->ppredict, &k->plearn,
                                            &k->pspill };
  *bytes = 0;
  for (int j = 0; j < ZJ_BL_PIN_CHAINS; j++)
    {
      size_t nb = 0;
      *dst[j] = zj_pin_emit_chain (&b->pin, zj_bl_pin_chain_names[j], c.ins[j],
                                   c.n[j], (const bool (*)[ZJ_PIN_MAXADDR]) c.fill[j],
                                   (const bool (*)[ZJ_PIN_MAXADDR]) c.spill[j],
                                   c.vzu[j], sb, vb, &nb, NULL);
      *bytes += nb;
    }
  if (!k->pfill || !k->ppredict || !k->plearn || !k->pspill)
    {
      k->pfill = k->ppredict = k->plearn = k->pspill = NULL;
      return false;
    }
  k->predict = zj_pin_predict_call;
  k->learn = zj_pin_learn_call;
  return true;
}
