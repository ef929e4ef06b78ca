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
#include "sigmoid.h"
#include <math.h>
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

/* ------------------------------------------------------------ pairs */
/* One task of a pair: zj_interp_eval_task's loop (interp_f.h) as a state
   machine that advances half an example per call, so that two tasks' steps
   alternate and the out-of-order core overlaps their dependency chains
   (Predict -> sigmoid -> Learn -> next Predict is serial within a task). */
enum { P_TRAIN, P_VALID, P_DONE };

typedef struct pstate {
  const zj_task *t;
  zj_eval_result *res;
  double *mem, *s, *v0;
  size_t vbytes;
  bool acc, logit, s1_dead;
  bool v0_kept;                /* Predict never writes v0 */
  int phase;
  long n_train, remaining, pos, chunk, k;
  /* The task's training examples, for pnext_train: order[0..n_pos), rows
     of F doubles in tx, labels in ty. */
  const int *order;
  const double *tx, *ty;
  size_t F;
  long n_pos;
  int vi, nv;
  double loss, best, fit;
  const double *x;             /* the example under way */
  double label;
} pstate;

/* x into v0 (F doubles): a constant-size copy for the common F, which
   the compiler inlines (a libc call per half step cost 5-7% of a
   per-task step at F = 16). */
static inline void
put_row (double *v0, const double *x, size_t bytes)
{
  switch (bytes)
    {
    case 4 * sizeof (double): memcpy (v0, x, 4 * sizeof (double)); break;
    case 8 * sizeof (double): memcpy (v0, x, 8 * sizeof (double)); break;
    case 16 * sizeof (double): memcpy (v0, x, 16 * sizeof (double)); break;
    case 32 * sizeof (double): memcpy (v0, x, 32 * sizeof (double)); break;
    default: memcpy (v0, x, bytes); break;
    }
}

static bool
predict_writes_v0 (const zj_program *p)
{
  const zj_fn *f = &p->fn[ZJ_PREDICT];
  for (int i = 0; i < f->n; i++)
    if (f->ins[i].op != ZJ_NO_OP && zj_ops[f->ins[i].op].out == ZJ_KIND_V
        && f->ins[i].out == 0)
      return true;
  return false;
}

static void
pstate_init (pstate *p, const zj_prepared *pp, const zj_task *t,
             const zj_eval_opts *o, zj_workspace *ws, zj_eval_result *res)
{
  memset (p, 0, sizeof *p);
  p->t = t;
  p->res = res;
  res->train_steps = 0;
  res->aborted = false;
  res->n_train_err = res->n_valid_err = 0;
  p->mem = ws->mem;
  p->s = ws->mem + ws->lay.s_off;
  p->v0 = ws->mem + ws->lay.v_off;
  p->vbytes = (size_t) t->F * sizeof (double);
  p->acc = t->eval_type == ZJ_ACCURACY;
  p->v0_kept = !predict_writes_v0 (&pp->prog);
  zj_interp_nat_shortcuts (pp, t, o, &p->logit, &p->s1_dead);
  p->n_train = (long) t->n_train * t->epochs;
  p->order = t->order;
  p->tx = t->train_x;
  p->ty = t->train_y;
  p->F = (size_t) t->F;
  p->n_pos = p->n_train;
  if (o->n_all_train >= 0 && o->n_all_train < p->n_train)
    p->n_train = o->n_all_train;
  p->nv = (o->n_valid >= 0 && o->n_valid < t->n_valid) ? o->n_valid : t->n_valid;
  p->remaining = p->n_train;
  p->chunk = p->remaining < t->n_train ? p->remaining : t->n_train;
  p->phase = p->remaining > 0 ? P_TRAIN : P_DONE;
}

/* The next training example of p's chunk (k < chunk): its row into v0,
   s0 = 0. */
static inline __attribute__ ((always_inline)) void
pnext_train (pstate *p)
{
  p->k++;
  const int ex = p->order[p->pos++];
  p->x = p->tx + (size_t) ex * p->F;
  p->label = p->ty[ex];
  p->res->train_steps++;
  /* The next step's row, a step ahead: the order is random and a task's
     rows (8000 x 16 doubles on the paper setting) do not fit in L2, so
     each row was a miss that the copy into v0 waited for (a fifth of a
     per-task step's own time in perf). */
  if (p->pos < p->n_pos)
    {
      const int nx_ex = p->order[p->pos];
      const char *nx = (const char *) (p->tx + (size_t) nx_ex * p->F);
      for (size_t b = 0; b < p->vbytes; b += 64)
        __builtin_prefetch (nx + b);
      __builtin_prefetch (&p->ty[nx_ex]);
    }
  put_row (p->v0, p->x, p->vbytes);
  p->s[0] = 0.0;
}

/* The start of the next example: phase changes (the end of a training
   chunk, of a validation pass), then its input; its Predict is the
   caller's.  False once the task is done (nothing started). */
static bool
pstart (pstate *p)
{
  const zj_task *t = p->t;
  for (;;)
    {
      if (p->phase == P_DONE)
        return false;
      if (p->phase == P_TRAIN)
        {
          if (p->k < p->chunk)
            break;
          p->remaining -= t->n_train;
          p->phase = P_VALID;
          p->vi = 0;
          p->loss = 0.0;
          continue;
        }
      if (p->vi < p->nv)
        break;
      /* The pass is over (vi > nv: it ended on an RMS abort, and
         validate gives 0.0). */
      const double f = p->vi > p->nv ? 0.0
        : p->acc ? 1.0 - p->loss / t->n_valid : zj_rms_fitness (p->loss, t->n_valid);
      if (f > p->best)
        p->best = f;
      if (p->remaining > 0)
        {
          p->chunk = p->remaining < t->n_train ? p->remaining : t->n_train;
          p->k = 0;
          p->phase = P_TRAIN;
        }
      else
        {
          p->fit = p->best;
          p->phase = P_DONE;
        }
    }
  if (p->phase == P_TRAIN)
    {
      pnext_train (p);
      return true;
    }
  const int i = p->vi++;
  p->x = t->valid_x + (size_t) i * (size_t) t->F;
  p->label = t->valid_y[i];
  put_row (p->v0, p->x, p->vbytes);
  p->s[0] = 0.0;
  return true;
}

/* A training example's check failed: the task ends. */
static void
pabort (pstate *p)
{
  p->res->aborted = true;
  p->fit = p->remaining == p->n_train ? 0.0 : p->best;
  p->phase = P_DONE;
}

/* After Predict: the training example's sigmoid, check and Learn's
   input (true: Learn is to run, the caller's), or the validation
   example's error. */
static bool
pcheck (pstate *p, const zj_eval_opts *o, double sg)
{
  double *s = p->s;
  const double label = p->label;
  if (p->phase == P_TRAIN)
    {
      if (p->s1_dead)
        {
          if (ZJ_UNLIKELY (isnan (s[1])))
            {
              s[1] = zj_sigmoid (s[1]);
              goto aborted;
            }
        }
      else
        {
          if (p->acc)
            s[1] = sg;             /* zj_sigmoid (s[1]): psigmoids */
          const double err = fabs (label - s[1]);
          if (ZJ_UNLIKELY (!(err <= o->max_abs_error)))
            goto aborted;
          if (ZJ_UNLIKELY (p->res->n_train_err < o->record_errors))
            p->res->train_err[p->res->n_train_err++] = err;
        }
      /* The interpreter copies x again before Learn; where Predict
         cannot have changed v0 that rewrites the same bits. */
      if (!p->v0_kept)
        put_row (p->v0, p->x, p->vbytes);
      s[0] = label;
      return true;
    aborted:
      pabort (p);
      return false;
    }
  double e;
  if (p->acc)
    {
      const double xs = s[1];
      const bool sign = !(fabs (xs) < 0x1p-20) || xs == 0.0;
      const bool pos = p->logit && sign ? xs > 0.0 : zj_sigmoid (xs) > 0.5;
      e = ((label > 0.5) == pos) ? 0.0 : 1.0;
      p->loss += e;
    }
  else
    {
      const double d = label - s[1];
      e = fabs (d);
      if (ZJ_UNLIKELY (!(e <= o->max_abs_error)))
        {
          p->vi = p->nv + 1;       /* validate returns 0.0: the pass ends */
          return false;
        }
      p->loss += d * d;
    }
  if (ZJ_UNLIKELY (p->res->n_valid_err < o->record_errors))
    p->res->valid_err[p->res->n_valid_err++] = e;
  return false;
}

/* The training sigmoids pcheck needs (sg[i] = zj_sigmoid (s[1]) of task
   i), ZJ_LW tasks per SLEEF call: zj_lsigmoid works lane by lane and
   zj_sigmoid is its lane 0, so the bits are the same, and a per-task
   step no longer pays a whole vector exp and divide for one value. */
static void
psigmoids (const pstate *st, const bool *live, int n, double *sg)
{
  int idx[ZJ_PTASK_GROUP_MAX], m = 0;
  for (int i = 0; i < n; i++)
    if (live[i] && st[i].phase == P_TRAIN && st[i].acc && !st[i].s1_dead)
      idx[m++] = i;
  for (int q = 0; q < m; q += ZJ_LW)
    {
      zj_lv x = zj_lsplat (0.0);
      for (int w = 0; w < ZJ_LW && q + w < m; w++)
        x[w] = st[idx[q + w]].s[1];
      x = zj_lsigmoid (x);
      for (int w = 0; w < ZJ_LW && q + w < m; w++)
        sg[idx[q + w]] = x[w];
    }
}

/* A group's run as a state machine (zj_ptask_run, ptask.h): step
   finishes the previous example's half step (checks and Learns), then
   starts the next (every task's Predict and the training sigmoids), so
   that a sigmoid's latency (~90 cycles of SLEEF's exp and a divide on
   the step's serial chain) passes while the caller does other work. */
struct zj_ptask_run {
  const zj_prepared *pp;
  const zj_lnative *nat;
  const zj_eval_opts *o;
  zj_rng *rng;
  int n, left;
  bool started, pending;
  const zj_task *t[ZJ_PTASK_GROUP_MAX];
  zj_workspace *ws[ZJ_PTASK_GROUP_MAX];
  zj_eval_result *res[ZJ_PTASK_GROUP_MAX];
  pstate st[ZJ_PTASK_GROUP_MAX];
  bool live[ZJ_PTASK_GROUP_MAX];
  double sg[ZJ_PTASK_GROUP_MAX];
  long steady;                 /* steps steady_step may run */
};

/* How many of the next steps need of pcheck and pstart only a training
   example's check and the next example of the same chunk (steady_step):
   every live task trains with a live s1 and records no errors; the
   fewest examples left in a live task's chunk. */
static long
steady_steps (const zj_ptask_run *r)
{
  long m = -1;
  for (int i = 0; i < r->n; i++)
    {
      if (!r->live[i])
        continue;
      const pstate *p = &r->st[i];
      if (p->phase != P_TRAIN || p->s1_dead
          || p->res->n_train_err < r->o->record_errors)
        return 0;
      if (m < 0 || p->chunk - p->k < m)
        m = p->chunk - p->k;
    }
  return m < 0 ? 0 : m;
}

/* zj_ptask_run_step within the tasks' training chunks for a group of N
   (a constant: the split's rest holds 1 to 3 tasks): pcheck's and
   pstart's work on a training example without their phases.  In a split
   evaluation the rest's step shares the core with the lanes', so its
   instructions count: the generic step was a fifth of the paper search's
   time outside copied code (perf, session 14). */
static inline __attribute__ ((always_inline)) bool
steady_step_n (zj_ptask_run *r, const int N)
{
  pstate *st = r->st;
  bool *live = r->live;
  const zj_lnative *nat = r->nat;
  const double maxe = r->o->max_abs_error;
  bool learn[ZJ_PTASK_GROUP_MAX];
  for (int i = 0; i < N; i++)
    {
      learn[i] = live[i];
      if (!live[i])
        continue;
      pstate *p = &st[i];
      double *s = p->s;
      if (p->acc)
        s[1] = r->sg[i];         /* zj_sigmoid (s[1]): psigmoids */
      if (ZJ_UNLIKELY (!(fabs (p->label - s[1]) <= maxe)))
        {
          pabort (p);
          learn[i] = live[i] = false;
          r->left--;
          continue;
        }
      if (!p->v0_kept)
        put_row (p->v0, p->x, p->vbytes);
      s[0] = p->label;
    }
  for (int i = 0; i < N; i++)
    if (learn[i])
      nat->learn (st[i].mem, NULL, NULL, nat->k);
  if (ZJ_UNLIKELY (r->left == 0))
    {
      r->pending = false;
      r->steady = 0;
      return false;
    }
  for (int i = 0; i < N; i++)
    if (live[i])
      pnext_train (&st[i]);
  for (int i = 0; i < N; i++)
    if (live[i])
      nat->predict (st[i].mem, NULL, NULL, nat->k);
  psigmoids (st, live, N, r->sg);
  r->steady--;
  return true;
}

static bool
steady_step (zj_ptask_run *r)
{
  switch (r->n)
    {
    case 1: return steady_step_n (r, 1);
    case 2: return steady_step_n (r, 2);
    case 3: return steady_step_n (r, 3);
    default: return steady_step_n (r, r->n);
    }
}

zj_ptask_run *
zj_ptask_run_new (void)
{
  return calloc (1, sizeof (zj_ptask_run));
}

void
zj_ptask_run_free (zj_ptask_run *r)
{
  free (r);
}

void
zj_ptask_run_init (zj_ptask_run *r, const zj_prepared *pp,
                   const zj_lnative *nat, const zj_task *const *t, int n,
                   const zj_eval_opts *o, zj_rng *rng,
                   zj_workspace *const *ws, zj_eval_result *const *res)
{
  ZJ_ASSERT (n >= 1 && n <= ZJ_PTASK_GROUP_MAX && o);
  r->pp = pp;
  r->nat = nat;
  r->o = o;
  r->rng = rng;
  r->n = r->left = n;
  r->started = r->pending = false;
  r->steady = 0;
  for (int i = 0; i < n; i++)
    {
      r->t[i] = t[i];
      r->ws[i] = ws[i];
      r->res[i] = res[i];
      r->live[i] = true;
      r->sg[i] = 0.0;
    }
}

bool
zj_ptask_run_started (const zj_ptask_run *r)
{
  return r->started;
}

bool
zj_ptask_run_step (zj_ptask_run *r)
{
  if (r->steady > 0)
    return steady_step (r);
  const int n = r->n;
  pstate *st = r->st;
  bool *live = r->live;
  if (ZJ_UNLIKELY (!r->started))
    {
      /* Setups in task order, at the first step: the generator's draws
         as one task after the other, after whatever the caller drew
         before (Predict and Learn draw none: zj_ptask_eligible). */
      for (int i = 0; i < n; i++)
        zj_interp_run_setup (r->pp, r->rng, r->ws[i]);
      for (int i = 0; i < n; i++)
        pstate_init (&st[i], r->pp, r->t[i], r->o, r->ws[i], r->res[i]);
      r->started = true;
    }
  const zj_lnative *nat = r->nat;
  if (r->pending)
    {
      bool learn[ZJ_PTASK_GROUP_MAX];
      for (int i = 0; i < n; i++)
        learn[i] = live[i] && pcheck (&st[i], r->o, r->sg[i]);
      for (int i = 0; i < n; i++)
        if (learn[i])
          nat->learn (st[i].mem, NULL, NULL, nat->k);
      r->pending = false;
    }
  if (r->left == 0)
    return false;
  for (int i = 0; i < n; i++)
    if (live[i] && !(live[i] = pstart (&st[i])))
      r->left--;
  for (int i = 0; i < n; i++)
    if (live[i])
      nat->predict (st[i].mem, NULL, NULL, nat->k);
  psigmoids (st, live, n, r->sg);
  r->pending = true;
  r->steady = steady_steps (r);
  return true;
}

void
zj_ptask_run_finish (zj_ptask_run *r, double *f)
{
  while (zj_ptask_run_step (r))
    ;
  for (int i = 0; i < r->n; i++)
    r->res[i]->fitness = f[i] = r->st[i].fit;
}

void
zj_ptask_eval_group (const zj_prepared *pp, const zj_lnative *nat,
                     const zj_task *const *t, int n, const zj_eval_opts *o,
                     zj_rng *rng, zj_workspace *const *ws,
                     zj_eval_result *const *res, double *f)
{
  zj_eval_opts def;
  if (!o)
    {
      zj_eval_opts_default (&def);
      o = &def;
    }
  /* Half steps alternate (every task's Predict, then the rest of every
     task's step), so the tasks' serial chains sit in the core's window
     together, and the training sigmoids of a step are one SLEEF call
     for up to ZJ_LW tasks. */
  zj_ptask_run r;
  zj_ptask_run_init (&r, pp, nat, t, n, o, rng, ws, res);
  zj_ptask_run_finish (&r, f);
}

void
zj_ptask_eval_pair (const zj_prepared *pp, const zj_lnative *nat,
                    const zj_task *a, const zj_task *b,
                    const zj_eval_opts *o, zj_rng *rng, zj_workspace *wsa,
                    zj_workspace *wsb, zj_eval_result *ra, zj_eval_result *rb,
                    double f[2])
{
  zj_eval_result ea = { 0 }, eb = { 0 };
  const zj_task *t[2] = { a, b };
  zj_workspace *ws[2] = { wsa, wsb };
  zj_eval_result *r[2] = { ra ? ra : &ea, rb ? rb : &eb };
  zj_ptask_eval_group (pp, nat, t, 2, o, rng, ws, r, f);
}
