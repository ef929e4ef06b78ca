/* ptask.c -- per-task step kernels keyed by structure (ptask.h).
 *
 * Predict and Learn are decoded into per-task stencil records (holes:
 * byte offsets in the single-task layout, the constant's slot) and a
 * constant table; the key is that structure (ops, offsets, const-set
 * element), not the constants and not Setup, so a child that changes
 * only those runs its parent's code.  A miss copies and patches the
 * stencils (stencil_emit.c).  The per-task stencil library is loaded
 * through a baseline context (zj_bl_lib_for with C = ZJ_PTASK_C), so it
 * is built, cached on disk and polled in the background exactly like the
 * lane libraries.
 */
#include "config.h"
#include "ptask.h"
#include "stencil.h"
#include "baseline_internal.h"
#include "ktable.h"
#include <stdlib.h>
#include <string.h>

#define PT_BUCKETS0 1024

typedef struct zj_pkernel {
  zj_kentry e;               /* first: the table's entry */
  zj_lnative_fn predict, learn;
} zj_pkernel;

struct zj_ptask {
  zj_baseline *libs;         /* loads the per-task libraries */
  zj_ktable kernels;
  zj_sinst *ins;
  double *k;
  uint32_t *key;
  size_t cap;
  zj_ptask_stats st;
  zj_error err;
};

zj_ptask *
zj_ptask_new (void)
{
  zj_ptask *t = zj_xcalloc (1, sizeof *t);
  t->libs = zj_baseline_new (false);
  zj_ktable_init (&t->kernels, PT_BUCKETS0);
  return t;
}

static void
drop (zj_kentry *e)
{
  free (e);
}

void
zj_ptask_free (zj_ptask *t)
{
  if (!t)
    return;
  zj_ktable_free (&t->kernels, drop);
  zj_baseline_free (t->libs);
  free (t->ins);
  free (t->k);
  free (t->key);
  free (t);
}

void
zj_ptask_set_builds (zj_ptask *t, struct zj_stencil_builds *s)
{
  zj_baseline_set_builds (t->libs, s);
}

void
zj_ptask_set_notice (zj_ptask *t, zj_tier_notice fn, void *ctx)
{
  zj_baseline_set_notice (t->libs, fn, ctx);
}

void
zj_ptask_stats_get (const zj_ptask *t, zj_ptask_stats *s)
{
  *s = t->st;
  zj_baseline_stats b;
  zj_baseline_stats_get (t->libs, &b);
  s->failures = b.failures;
}

const char *
zj_ptask_error (const zj_ptask *t)
{
  return t->err.msg[0] ? t->err.msg : zj_baseline_error (t->libs);
}

bool
zj_ptask_eligible (const zj_program *p, int F)
{
  if (!zj_ptask_F_ok (F))
    return false;
  for (int c = ZJ_PREDICT; c <= ZJ_LEARN; c++)
    for (int i = 0; i < p->fn[c].n; i++)
      {
        const int op = p->fn[c].ins[i].op;
        if (op != ZJ_NO_OP && !zj_ptask_op_ok (op))
          return false;
      }
  return true;
}

/* Read-only matrix-vector products on the lanes' per-task copies cost
   what they cost per task (the same 2F^2 operations in the same order),
   and the per-task example loop costs 8-12 ns per task-example more than
   the lanes'; so only the other matrix ops send a candidate per task.
   F = 16, 10 tasks, ns per task-example, lane stencils / per-task groups
   (bench/bench_layout.sh, bench/RESULTS.md session 10): tiny 11.3 / 22.4,
   dots 16.4 / 28.6, stateful 20.3 / 31.5, matvec 30.7 / 38.8,
   paper_best 36.9 / 40.7, matvec_learn 192.6 / 88.7, neural_net
   202.5 / 85.4. */
bool
zj_ptask_wanted (const zj_program *p, const zj_shape *shape, int nt)
{
  bool matrix = false;
  for (int c = ZJ_PREDICT; c <= ZJ_LEARN && !matrix; c++)
    for (int i = 0; i < p->fn[c].n && !matrix; i++)
      {
        const zj_op_info *o = &zj_ops[p->fn[c].ins[i].op];
        matrix = o->out == ZJ_KIND_M || o->in1 == ZJ_KIND_M || o->in2 == ZJ_KIND_M;
      }
  if (!matrix || !zj_ptask_eligible (p, shape->F))
    return false;
  zj_layout lay;
  int L;
  size_t t_off, mt_off;
  zj_bl_geometry (shape, nt, &lay, &L, &t_off, &mt_off);
  const uint64_t plan = ZJ_BL_W == 8 && zj_lmatvec_tasks_native (shape->F, nt, L)
                        ? zj_lmatvec_tasks_plan (p, &lay, nt, L) : 0;
  for (int c = ZJ_PREDICT; c <= ZJ_LEARN; c++)
    for (int i = 0; i < p->fn[c].n; i++)
      {
        const zj_instr *in = &p->fn[c].ins[i];
        const zj_op_info *o = &zj_ops[in->op];
        if (in->op == ZJ_NO_OP)
          continue;
        if (in->op == ZJ_MATRIX_VECTOR_PRODUCT_OP && in->in1 < 64
            && (plan >> in->in1 & 1))
          continue;
        if (o->out == ZJ_KIND_M || o->in1 == ZJ_KIND_M || o->in2 == ZJ_KIND_M)
          return true;
      }
  return false;
}

/* The split's static rule: the lanes' short last chunk costs a whole
   chunk, which a matrix op makes dearer than its few tasks per task
   (dots, without one, lose: 174 against 190 ns per example at 10
   tasks; bench/RESULTS.md session 10). */
bool
zj_ptask_split_wanted (const zj_program *p, const zj_shape *shape)
{
  bool matrix = false;
  for (int c = ZJ_PREDICT; c <= ZJ_LEARN && !matrix; c++)
    for (int i = 0; i < p->fn[c].n && !matrix; i++)
      {
        const zj_op_info *o = &zj_ops[p->fn[c].ins[i].op];
        matrix = o->out == ZJ_KIND_M || o->in1 == ZJ_KIND_M || o->in2 == ZJ_KIND_M;
      }
  return matrix && zj_ptask_eligible (p, shape->F);
}

bool
zj_ptask_ready (zj_ptask *t, int F)
{
  return zj_ptask_F_ok (F) && zj_bl_lib_for (t->libs, F, ZJ_PTASK_C) != NULL;
}

/* Byte offset of address a of kind k in the single-task layout. */
static size_t
byte_at (const zj_layout *l, zj_kind k, int a)
{
  const size_t F = (size_t) l->F;
  switch (k)
    {
    case ZJ_KIND_S: return (l->s_off + (size_t) a) * sizeof (double);
    case ZJ_KIND_V: return (l->v_off + (size_t) a * F) * sizeof (double);
    case ZJ_KIND_M: return (l->m_off + (size_t) a * F * F) * sizeof (double);
    default: return 0;
    }
}

/* Decodes p's Predict and Learn into t->ins, t->k (constant m of the
   m-th instruction) and t->key; returns the key length (-1: an op without
   a per-task stencil) and sets np to Predict's instruction count. */
static int
decode (zj_ptask *t, const zj_program *p, const zj_layout *lay, int *np)
{
  const int F = lay->F;
  const int n = p->fn[ZJ_PREDICT].n + p->fn[ZJ_LEARN].n;
  if ((size_t) n + 1 > t->cap)
    {
      t->cap = 2 * (size_t) n + 16;
      t->ins = zj_xrealloc (t->ins, t->cap * sizeof *t->ins);
      t->k = zj_xrealloc (t->k, t->cap * sizeof *t->k);
      t->key = zj_xrealloc (t->key, (4 * t->cap + 8) * sizeof *t->key);
    }
  uint32_t *key = t->key;
  int nk = 0, m = 0;
  key[nk++] = (uint32_t) F | (uint32_t) zj_ptask_W (F) << 8;
  key[nk++] = (uint32_t) (lay->v_off | lay->m_off << 16);
  for (int c = ZJ_PREDICT; c <= ZJ_LEARN; c++)
    {
      if (c == ZJ_LEARN)
        *np = m;
      const zj_fn *f = &p->fn[c];
      for (int i = 0; i < f->n; i++)
        {
          const zj_instr *in = &f->ins[i];
          if (in->op == ZJ_NO_OP)
            continue;
          if (!zj_ptask_op_ok (in->op))
            return -1;
          const zj_op_info *o = &zj_ops[in->op];
          zj_sinst *s = &t->ins[m];
          double cv[2];
          /* A const-set's element offset is part of the structure: a
             vector or matrix const-set is the scalar one at that
             element. */
          const size_t oe = byte_at (lay, o->out, in->out)
                            + zj_data_decode (in, F, cv) * sizeof (double);
          const bool cset = in->op == ZJ_VECTOR_CONST_SET_OP
                            || in->op == ZJ_MATRIX_CONST_SET_OP;
          memset (s, 0, sizeof *s);
          s->op = cset ? ZJ_SCALAR_CONST_SET_OP : in->op;
          s->variant = 0;
          s->hole[ZJ_HOLE_O] = oe;
          s->hole[ZJ_HOLE_A] = byte_at (lay, o->in1, in->in1);
          s->hole[ZJ_HOLE_B] = byte_at (lay, o->in2, in->in2);
          s->hole[ZJ_HOLE_K] = (size_t) m * sizeof (double);
          t->k[m] = cv[0];
          key[nk++] = (uint32_t) s->op | (uint32_t) c << 12;
          key[nk++] = (uint32_t) s->hole[ZJ_HOLE_O];
          key[nk++] = (uint32_t) s->hole[ZJ_HOLE_A];
          key[nk++] = (uint32_t) s->hole[ZJ_HOLE_B];
          m++;
        }
    }
  key[nk++] = (uint32_t) m;
  return nk;
}

bool
zj_ptask_get (zj_ptask *t, const zj_program *p, const zj_layout *lay,
              zj_lnative *nat)
{
  if (!zj_ptask_F_ok (lay->F))
    return false;
  const double t0 = zj_now_ns ();
  int np = 0;
  const int nk = decode (t, p, lay, &np);
  if (nk < 0)
    return false;
  const uint64_t h = zj_ktable_hash (t->key, nk);
  zj_pkernel *k = (zj_pkernel *) zj_ktable_find (&t->kernels, h, t->key, nk);
  if (k)
    t->st.hits++;
  else
    {
      zj_stencil_lib *lib = zj_bl_lib_for (t->libs, lay->F, ZJ_PTASK_C);
      if (!lib)
        {
          t->st.fallbacks++;
          return false;
        }
      const int m = (int) t->key[nk - 1];
      size_t b1 = 0, b2 = 0;
      zj_lnative_fn pr = zj_stencil_emit (lib, t->ins, np, ZJ_PREDICT, &b1, NULL);
      zj_lnative_fn le
        = pr ? zj_stencil_emit (lib, t->ins + np, m - np, ZJ_LEARN, &b2, NULL)
             : NULL;
      if (!le)
        {
          /* Executable memory full (or a stencil missing from an old
             cache): start over; no code runs between evaluations. */
          zj_ktable_clear (&t->kernels, drop);
          zj_execmem_reset_code (&lib->mem);
          zj_error_set (&t->err, "per-task stencils: cannot emit the step kernel");
          t->st.fallbacks++;
          return false;
        }
      k = zj_xcalloc (1, sizeof *k);
      k->predict = pr;
      k->learn = le;
      zj_ktable_add (&t->kernels, &k->e, h, t->key, nk);
      t->st.kernels++;
      t->st.bytes += b1 + b2;
      t->st.ready_ns += zj_now_ns () - t0;
    }
  nat->predict = k->predict;
  nat->learn = k->learn;
  nat->k = t->k;
  return true;
}
