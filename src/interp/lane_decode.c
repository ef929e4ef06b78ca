/* lane_decode.c -- a program into the lane evaluator's code.
 *
 * Each instruction becomes one zj_lins whose operand pointers address the
 * lanes' memory directly (element i of task t at [i * L + t]), so the
 * dispatch loop (interp_lanes_f.h) decodes nothing per example.  Reads of
 * v0 and s0 are collected for patching to the example's row, and
 * matrix-vector products on a matrix Predict and Learn never write become
 * products on a per-task copy.  Apart from interp_lanes.c, which runs the
 * code, because decoding is a step of its own with its own tables.
 */
#include "internal.h"
#include "kernels_lanes.h"
#include "lane_decode.h"

/* Operand kinds of each op, and whether its data fields need decoding,
   in one word per op from ops.def: decoding runs on every evaluation. */
typedef struct lopk {
  uint8_t k1, k2, ko, data;    /* data: 0 none, else zj_data_decode */
} lopk;

static const lopk lopks[ZJ_NUM_OPS] = {
#define ZJ_OP(id, name, k1, k2, ko, data, rand, cost, form) \
  [id] = { ZJ_KIND_##k1, ZJ_KIND_##k2, ZJ_KIND_##ko, \
           ZJ_DATA_##data != ZJ_DATA_NONE },
#include <zerojit/ops.def>
#undef ZJ_OP
};

/* Decode f into d (element of address a of kind k at mem + (off[k] + a *
   mul[k]) * L, kind N at mem) and return the end past the sentinel; with
   pt, also collect f's reads of v0 and s0 (see zj_ldecoded.patch). */
zj_lins *
zj_ldecode_fn (const zj_fn *f, double *mem, const zj_layout *l, int L,
               zj_lins *d, zj_lpatches *pt)
{
  const int F = l->F;
  const size_t off[4] = { 0, l->s_off, l->v_off, l->m_off };
  const size_t mul[4] = { 0, 1, (size_t) F, (size_t) F * (size_t) F };
  if (pt)
    {
      pt->v0->n = pt->s0->n = 0;
      pt->ok = true;
      pt->writes_v0 = false;
    }
  for (int i = 0; i < f->n; i++)
    {
      const zj_instr *in = &f->ins[i];
      if (in->op == ZJ_NO_OP)
        continue;
      const lopk k = lopks[in->op];
      size_t oe = off[k.ko] + in->out * mul[k.ko];
      d->op = in->op;
      d->a = mem + (off[k.k1] + in->in1 * mul[k.k1]) * (size_t) L;
      d->b = mem + (off[k.k2] + in->in2 * mul[k.k2]) * (size_t) L;
      d->c0 = 0.0;
      if (k.data)
        {
          double c[2];
          oe += zj_data_decode (in, F, c);
          d->c0 = c[0];
        }
      d->o = mem + oe * (size_t) L;
      if (pt)
        {
          const bool w0 = in->out == 0;
          pt->writes_v0 |= w0 && k.ko == ZJ_KIND_V;
          pt->ok &= !(w0 && (k.ko == ZJ_KIND_V || k.ko == ZJ_KIND_S));
          const uint8_t kind[2] = { k.k1, k.k2 };
          const int addr[2] = { in->in1, in->in2 };
          const double **field[2] = { &d->a, &d->b };
          for (int j = 0; j < 2; j++)
            {
              if (addr[j] != 0)
                continue;
              zj_lpatch *p = kind[j] == ZJ_KIND_V ? pt->v0
                             : kind[j] == ZJ_KIND_S ? pt->s0 : NULL;
              if (!p)
                continue;
              if (p->n == ZJ_LPATCH_MAX)
                pt->ok = false;
              else
                p->slot[p->n++] = field[j];
            }
        }
      d++;
    }
  d->op = ZJ_NUM_OPS;   /* sentinel: L_END */
  return d + 1;
}

/* Matrix addresses Predict or Learn write (bit m; addresses >= 64 are
   never candidates). */
static uint64_t
lmatrices_written (const zj_program *p)
{
  uint64_t written = 0;
  for (int c = ZJ_PREDICT; c <= ZJ_LEARN; c++)
    for (int i = 0; i < p->fn[c].n; i++)
      {
        const zj_instr *in = &p->fn[c].ins[i];
        if (in->op != ZJ_NO_OP && zj_ops[in->op].out == ZJ_KIND_M)
          written |= 1ull << (in->out & 63);
      }
  return written;
}

/* Whether the per-task product beats the lane product for nt tasks in
   L lanes (bench_baseline's matvec at 1-32 tasks, bench/RESULTS.md
   session 7).  Per real task it costs about 1.2x (F = 16) and 1.3-1.5x
   (F = 8) what the lane product costs per lane, and the lane product
   pays for every lane, padding included: F = 16 wins at 1, 3 and 10
   tasks (of 8, 8 and 16 lanes) and loses at 8, 12 and 16; F = 8 wins at
   1 task only.  Beyond 2 vectors of lanes the interpreter's lane product
   runs with a run-time vector count and is 2-3x slower, so the per-task
   product always pays there; the stencils' lane product (constant chunk
   count) does not have that problem: zj_lmatvec_tasks_native. */
static bool
lmatvec_tasks_pay (int F, int nt, int L)
{
  return L > 16 || (F == 16 ? 3 * nt <= 2 * L : 4 * nt <= L);
}

bool
zj_lmatvec_tasks_native (int F, int nt, int L)
{
  /* With 3 chunks or more the stencils' lane product of F = 16 cost as
     much per lane as the per-task one per task (24 tasks: 25.0 and 25.5
     ns per task-example), so the per-task one pays whenever a lane is
     padding (17 tasks: 25.1 against 40.3). */
  return F == 16 ? 3 * nt <= 2 * L || L > 16 : 4 * nt <= L;
}

/* The matrix addresses whose products run per task (bit m): read by a
   MATRIX_VECTOR_PRODUCT of Predict or Learn, written by neither, the
   first ZJ_LMVT_COPIES such addresses in instruction order (Predict,
   then Learn), when that pays for nt tasks in L lanes.  The lane
   interpreter copies exactly these after Setup, and the baseline tier's
   stencils read the same copies. */
uint64_t
zj_lmatvec_tasks_plan (const zj_program *p, const zj_layout *l, int nt,
                       int L)
{
  const int F = l->F;
  if (!ZJ_LMATVEC_TASKS (F) || !lmatvec_tasks_pay (F, nt, L))
    return 0;
  const int nm = (int) ((l->total - l->m_off) / ((size_t) F * F));
  const uint64_t written = lmatrices_written (p);
  uint64_t plan = 0;
  int n = 0;
  for (int c = ZJ_PREDICT; c <= ZJ_LEARN; c++)
    for (int i = 0; i < p->fn[c].n; i++)
      {
        const zj_instr *in = &p->fn[c].ins[i];
        const int m = in->in1;
        if (in->op != ZJ_MATRIX_VECTOR_PRODUCT_OP || m >= nm || m >= 64
            || (written >> m & 1) || (plan >> m & 1))
          continue;
        if (n == ZJ_LMVT_COPIES)
          return plan;
        plan |= 1ull << m;
        n++;
      }
  return plan;
}

/* Turns the matrix-vector products of Predict and Learn whose matrix is
   in zj_lmatvec_tasks_plan (nt tasks in L lanes) into ZJ_LOP_MATVEC_TASKS on a per-task copy
   in mt (room for every matrix address, F * F * L doubles each) and
   lists the copies in d for leval to make after Setup. */
void
zj_lmatvec_tasks_collect (const zj_program *p, zj_lins *pred,
                          zj_lins *learn, const zj_layout *l, double *mem,
                          int nt, int L, double *mt, zj_ldecoded *d)
{
  const int F = l->F;
  d->n_mt = 0;
  const uint64_t plan = zj_lmatvec_tasks_plan (p, l, nt, L);
  if (!plan)
    return;
  for (int c = ZJ_PREDICT; c <= ZJ_LEARN; c++)
    {
      zj_lins *di = c == ZJ_PREDICT ? pred : learn;
      for (int i = 0; i < p->fn[c].n; i++)
        {
          const zj_instr *in = &p->fn[c].ins[i];
          if (in->op == ZJ_NO_OP)
            continue;
          zj_lins *dd = di++;
          const int m = in->in1;
          if (in->op != ZJ_MATRIX_VECTOR_PRODUCT_OP || m >= 64
              || !(plan >> m & 1))
            continue;
          double *dst = mt + (size_t) m * F * F * (size_t) L;
          int k = 0;
          while (k < d->n_mt && d->mt_dst[k] != dst)
            k++;
          if (k == d->n_mt)
            {
              ZJ_ASSERT (k < ZJ_LMVT_COPIES);
              d->mt_src[k] = mem + (l->m_off + (size_t) m * F * F)
                                  * (size_t) L;
              d->mt_dst[k] = dst;
              d->n_mt++;
            }
          dd->op = ZJ_LOP_MATVEC_TASKS;
          dd->a = dst;
        }
    }
}

/* The per-task product as a function, for the baseline tier's stencils
   (jit/stencil_ops.c calls it): the lane interpreter's kernel, so both
   tiers give the same bits by construction.  F and nb are constants in
   each stencil; the common ones get their own copy of the kernel. */
void
zj_lmatvec_tasks_call (double *o, const double *mt, const double *b, long F,
                       long nb, long nr)
{
#if ZJ_LW == 8
  zj_lv *O = (zj_lv *) o;
  const zj_lv *B = (const zj_lv *) b;
  if (F == 16 && nb == 2)
    zj_lmatvec_tasks (O, mt, B, 16, 2, (int) nr);
  else if (F == 16 && nb == 1)
    zj_lmatvec_tasks (O, mt, B, 16, 1, (int) nr);
  else if (F == 16)
    zj_lmatvec_tasks (O, mt, B, 16, (int) nb, (int) nr);
  else if (F == 8 && nb == 2)
    zj_lmatvec_tasks (O, mt, B, 8, 2, (int) nr);
  else if (F == 8 && nb == 1)
    zj_lmatvec_tasks (O, mt, B, 8, 1, (int) nr);
  else if (F == 8)
    zj_lmatvec_tasks (O, mt, B, 8, (int) nb, (int) nr);
  else
    abort ();
#else
  (void) o; (void) mt; (void) b; (void) F; (void) nb; (void) nr;
  abort ();   /* never called: no stencil reaches it on such builds */
#endif
}
