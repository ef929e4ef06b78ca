/* ptask_run.c -- running per-task step kernels (ptask.h): a group of
 * tasks stepped together, as zj_interp_eval_task would run each, with
 * Setup, the example loop, the checks, the errors and validation in C
 * around the kernels' Predict and Learn (ptask.c makes those).
 */
#include "config.h"
#include "ptask.h"
#include "sigmoid.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

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
