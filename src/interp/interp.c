/* interp.c -- the reference interpreter.
 *
 * A prepared program is decoded for one workspace into arrays of zj_dins:
 * op id plus direct pointers into that workspace's memory, constants
 * widened to double, element pointers for const-set ops, no-ops dropped, a
 * sentinel at the end.  Decoding costs a few ns per instruction and happens
 * once per task evaluation, never per example.
 */
#include "internal.h"
#include <math.h>
#include <string.h>
#include <sleef.h>
#include "reduce.h"
#include "kernels.h"

typedef struct zj_dins {
  uint32_t op;
  double *o;
  const double *a, *b;
  double c0, c1;
} zj_dins;

typedef struct zj_decoded {
  const zj_dins *setup, *predict, *learn;
  /* Per-task native Predict and Learn (ws->tnat, jit/ptask.c) or NULL:
     they replace the dispatch loop of those two components only, so
     errors, aborts and validation stay the code below. */
  const zj_lnative *nat;
  /* The lane evaluator's ACCURACY shortcuts, taken with nat (set by
     zj_interp_eval_task; doc/shortcuts.md): validation decides on the
     logit (logit), and training skips a sigmoid nothing reads
     (zj_s1_sigmoid_dead) when every training label lies in
     [1 - max_abs_error, max_abs_error], no error is recorded and
     validation overwrites s1 at the end. */
  bool logit, s1_dead;
} zj_decoded;

/* One instantiation of the interpreter per features size in
   ZJ_FEATURE_SIZES (internal.h). */
#define ZJ_F 2
#include "interp_f.h"
#undef ZJ_F
#define ZJ_F 4
#include "interp_f.h"
#undef ZJ_F
#define ZJ_F 8
#include "interp_f.h"
#undef ZJ_F
#define ZJ_F 16
#include "interp_f.h"
#undef ZJ_F
#define ZJ_F 32
#include "interp_f.h"
#undef ZJ_F

void
zj_layout_init (zj_layout *l, const zj_shape *shape)
{
  const size_t F = (size_t) shape->F;
  l->F = shape->F;
  l->ns = shape->ns;
  l->nv = shape->nv;
  l->s_off = 0;
  l->v_off = ((size_t) shape->ns + 7) & ~(size_t) 7;
  l->m_off = l->v_off + (((size_t) shape->nv * F + 7) & ~(size_t) 7);
  l->total = l->m_off + (size_t) shape->nm * F * F;
}

/* An unused operand (ZJ_KIND_N) gets mem itself: a valid pointer, never
   read. */
static double *
addr (double *mem, const zj_layout *l, zj_kind k, int a)
{
  return mem + zj_layout_elem (l, k, a);
}

static zj_dins *
decode_fn (const zj_fn *f, double *mem, const zj_layout *l, zj_dins *d)
{
  const int F = l->F;
  for (int i = 0; i < f->n; i++)
    {
      const zj_instr *in = &f->ins[i];
      const zj_op_info *o = &zj_ops[in->op];
      if (in->op == ZJ_NO_OP)
        continue;
      d->op = in->op;
      d->a = addr (mem, l, o->in1, in->in1);
      d->b = addr (mem, l, o->in2, in->in2);
      d->o = addr (mem, l, o->out, in->out);
      double c[2];
      d->o += zj_data_decode (in, F, c);
      d->c0 = c[0];
      d->c1 = c[1];
      d++;
    }
  d->op = ZJ_NUM_OPS;   /* sentinel: L_END */
  return d + 1;
}

static void
decode (const zj_program *p, zj_workspace *ws, zj_decoded *out)
{
  double *mem = ws->mem;
  size_t need = zj_program_size (p) + ZJ_NUM_COMPONENTS;
  if (need > ws->code_cap)
    {
      free (ws->code);
      ws->code_cap = need * 2;
      ws->code = zj_xmalloc (ws->code_cap * sizeof (zj_dins));
    }
  zj_dins *d = ws->code;
  out->setup = d;
  d = decode_fn (&p->fn[ZJ_SETUP], mem, &ws->lay, d);
  out->predict = d;
  d = decode_fn (&p->fn[ZJ_PREDICT], mem, &ws->lay, d);
  out->learn = d;
  decode_fn (&p->fn[ZJ_LEARN], mem, &ws->lay, d);
}

zj_workspace *
zj_workspace_new (const zj_shape *shape)
{
  zj_workspace *ws = zj_xcalloc (1, sizeof *ws);
  ws->shape = *shape;
  zj_layout_init (&ws->lay, shape);
  ws->sc_min_steps = ZJ_SC_MIN_STEPS;
  /* Scratch for aliasing-safe kernels (F*F) follows the memory. */
  ws->mem = zj_aligned_alloc ((ws->lay.total + (size_t) shape->F * shape->F + 8)
                              * sizeof (double));
  return ws;
}

void
zj_workspace_free (zj_workspace *ws)
{
  if (!ws)
    return;
  free (ws->mem);
  free (ws->code);
  free (ws->bmem);
  for (int i = 0; i < ZJ_LANE_ROWS_SETS; i++)
    free (ws->lrows[i].train);
  for (int i = 0; i < ZJ_LANE_RANGES_SETS; i++)
    free (ws->lranges[i].r);
  free (ws->sc_buf);
  zj_lsnap_free (ws->lsnap);
  free (ws);
}

const double *
zj_workspace_memory (const zj_workspace *ws, size_t *len)
{
  if (len)
    *len = ws->lay.total;
  return ws->mem;
}

void
zj_interp_nat_shortcuts (const zj_prepared *pp, const zj_task *t,
                         const zj_eval_opts *o, bool *logit, bool *s1_dead)
{
  *logit = *s1_dead = false;
  if (t->eval_type != ZJ_ACCURACY || o->no_shortcuts)
    return;
  *logit = true;
  if (o->record_errors <= 0 && o->n_valid != 0 && t->n_valid > 0
      && zj_s1_sigmoid_dead (&pp->prog))
    {
      /* A NaN label fails the range (and the interpreter's check). */
      bool in = true;
      for (int i = 0; i < t->n_train && in; i++)
        in = t->train_y[i] >= 1.0 - o->max_abs_error
             && t->train_y[i] <= o->max_abs_error;
      *s1_dead = in;
    }
}

double
zj_interp_eval_task (const zj_prepared *pp, const zj_task *t,
                     const zj_eval_opts *o, zj_rng *rng, zj_workspace *ws,
                     zj_eval_result *res)
{
  zj_eval_result local = { 0 };
  if (!res)
    res = &local;
  res->train_steps = 0;
  res->aborted = false;
  res->n_train_err = res->n_valid_err = 0;
  zj_eval_opts def;
  if (!o)
    {
      zj_eval_opts_default (&def);
      o = &def;
    }
  /* A prepared program was checked against its shape; the workspace and
     the task must have that shape's F. */
  ZJ_ASSERT (zj_features_size_ok (t->F) && pp->shape.F == t->F
             && ws->lay.F == t->F);
  zj_decoded d;
  decode (&pp->prog, ws, &d);
  d.nat = ws->tnat;
  d.logit = d.s1_dead = false;
  if (d.nat)
    zj_interp_nat_shortcuts (pp, t, o, &d.logit, &d.s1_dead);
  memset (ws->mem, 0, ws->lay.total * sizeof (double));
  double *T = ws->mem + ((ws->lay.total + 7) & ~(size_t) 7);
  double f = 0.0;
  switch (t->F)
    {
#define ZJ_EVAL_CASE(FF) \
    case FF: f = eval_f##FF (&d, t, o, rng, ws->mem, &ws->lay, T, res); break;
    ZJ_FEATURE_SIZES (ZJ_EVAL_CASE)
#undef ZJ_EVAL_CASE
    default: abort ();  /* zj_prepare rejects other sizes */
    }
  res->fitness = f;
  return f;
}

const double *
zj_interp_run_setup (const zj_prepared *pp, zj_rng *rng, zj_workspace *ws)
{
  zj_decoded d;
  decode (&pp->prog, ws, &d);
  memset (ws->mem, 0, ws->lay.total * sizeof (double));
  double *T = ws->mem + ((ws->lay.total + 7) & ~(size_t) 7);
  switch (ws->lay.F)
    {
    case 2: run_f2 (d.setup, rng, T); break;
    case 4: run_f4 (d.setup, rng, T); break;
    case 8: run_f8 (d.setup, rng, T); break;
    case 16: run_f16 (d.setup, rng, T); break;
    case 32: run_f32 (d.setup, rng, T); break;
    default: abort ();
    }
  return ws->mem;
}

bool
zj_fn_is_random (const zj_program *p, int c)
{
  for (int i = 0; i < p->fn[c].n; i++)
    if (zj_op_is_random (p->fn[c].ins[i].op))
      return true;
  return false;
}
