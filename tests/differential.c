/* differential.c -- random programs through every tier, compared bit for bit.
 *
 * The interpreter is the reference semantics.  Every other tier (the lane
 * interpreter, the baseline stencil tier on the lanes, the JIT at -O1, and
 * any tier added to `tiers` below)
 * evaluates the same random programs on the same random tasks, and must
 * give the same fitness, train steps, abort flag, recorded errors and final
 * memory (two NaNs match: which NaN operand x86 propagates depends on the
 * operand order the compiler picks, in every tier).  Programs use every op,
 * random memory sizes, NaN/inf/huge inputs, aborting runs, ACCURACY and RMS
 * and up to three epochs.  Each mismatch is shrunk (instructions removed
 * while it persists) and written as a program in text form with the case
 * that shows it, for `zerojit eval`.
 *
 *   differential [--programs N] [--F 2,4,...] [--seed S] [--out DIR]
 *                [--tiers lanes,jit] [--batch B] [--native-every K]
 *                [--every32 K32] [--jobs J] [--native-seconds S]
 *
 * N programs per F; every K-th of them also goes through the native tiers
 * (every K*K32-th at F = 32, K32 = 5 by default): a whole-evaluation
 * compile at -O1 costs ~20 ms (F = 2) to ~0.4 s (F = 32) of CPU per random
 * program, even with B programs per libgccjit context, so native tiers see
 * a sample unless K = 1.  J processes share the work (libgccjit compiles
 * one context at a time per process); --native-seconds bounds the time
 * per F the native tiers take, and the table says exactly how many
 * programs they compared and how many functions they compiled.  Without arguments: the quick slice `make
 * check` runs (400 programs at each of F = 2, 4, 8, 16, 32, every 40th
 * native); `make check-full` 2,000 at each F.  bench/bench_differential.sh
 * runs the big sweep.  Exit status 1 when any tier differs.
 */
#include "config.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zerojit/zerojit.h>
#include <zerojit/search.h>
#include "internal.h"
#if HAVE_JIT
#include <zerojit/jit.h>
#include "baseline.h"
#endif
#include "testutil.h"

enum { NREC = 8, MAXF = 32 };

/* ---------------------------------------------------------------- cases */
typedef struct dcase {
  zj_program prog;
  zj_shape shape;
  bool prune;
  zj_task *task;
  zj_eval_opts o;
  uint64_t seed;            /* the evaluation's generator */
  zj_prepared *pp;
} dcase;

typedef struct outcome {
  double fitness;
  long steps;
  bool aborted;
  int nte, nve;
  double te[NREC], ve[NREC];
  double *mem;              /* NULL when the tier does not expose it */
  size_t len;
} outcome;

static double
special (zj_rng *r)
{
  static const double sp[] = { NAN, INFINITY, -INFINITY, 0.0, -0.0, 1e300, -1e-300, 1e-320 };
  return sp[zj_rng_below (r, 8)];
}

static zj_task *
random_task (zj_rng *r, int F, zj_eval_type et)
{
  const int ntr = 1 + (int) zj_rng_below (r, 6), nva = 1 + (int) zj_rng_below (r, 5);
  const int epochs = 1 + (int) zj_rng_below (r, 3);
  const bool specials = zj_rng_below (r, 3) == 0;
  const double scale = zj_rng_below (r, 8) == 0 ? 1e4 : 1.0;   /* aborts */
  double trx[6 * MAXF], tr_y[6], vax[5 * MAXF], va_y[5];
  for (int i = 0; i < ntr * F; i++)
    trx[i] = specials && zj_rng_below (r, 8) == 0 ? special (r) : zj_rng_normal (r);
  for (int i = 0; i < nva * F; i++)
    vax[i] = specials && zj_rng_below (r, 8) == 0 ? special (r) : zj_rng_normal (r);
  for (int i = 0; i < ntr; i++)
    tr_y[i] = et == ZJ_ACCURACY ? (double) zj_rng_below (r, 2) : scale * zj_rng_normal (r);
  for (int i = 0; i < nva; i++)
    va_y[i] = et == ZJ_ACCURACY ? (double) zj_rng_below (r, 2) : scale * zj_rng_normal (r);
  zj_task *t = zj_test_task (F, ntr, trx, tr_y, nva, vax, va_y, epochs, et);
  zj_test_shuffle_epochs (t, r);
  return t;
}

/* Every op, generated as the search generates them (zj_random_instruction),
   with some const sets given non-finite values.  Half the programs have no
   random op, so that the lane interpreter (which has none) applies. */
static void
random_program (zj_rng *r, const zj_shape *sh, zj_program *p)
{
  zj_program_clear (p);
  const bool deterministic = zj_rng_below (r, 2);
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    {
      const int n = (int) zj_rng_below (r, 9);
      for (int i = 0; i < n; i++)
        {
          int op;
          do
            op = (int) zj_rng_below (r, ZJ_NUM_OPS);
          while (deterministic && zj_op_is_random (op));
          zj_instr in;
          zj_random_instruction (r, op, sh, &in);
          if (op == ZJ_SCALAR_CONST_SET_OP && zj_rng_below (r, 8) == 0)
            in.act = special (r);
          zj_fn_push (&p->fn[c], in);
        }
    }
  if (zj_rng_below (r, 4) != 0)
    zj_fn_push (&p->fn[ZJ_PREDICT],
                zj_test_ins (ZJ_VECTOR_INNER_PRODUCT_OP,
                             (int) zj_rng_below (r, (uint32_t) sh->nv), 0, 1));
}

static void
new_case (zj_rng *r, int F, dcase *k)
{
  k->shape.F = F;
  k->shape.ns = 3 + (int) zj_rng_below (r, 18);
  k->shape.nv = 2 + (int) zj_rng_below (r, 19);
  k->shape.nm = 1 + (int) zj_rng_below (r, 20);
  zj_program_init (&k->prog);
  random_program (r, &k->shape, &k->prog);
  const zj_eval_type et = zj_rng_below (r, 2) ? ZJ_ACCURACY : ZJ_RMS_ERROR;
  k->task = random_task (r, F, et);
  zj_eval_opts_default (&k->o);
  k->o.record_errors = (int) zj_rng_below (r, NREC + 1);
  if (zj_rng_below (r, 2))
    k->o.max_abs_error = 1e300;
  if (zj_rng_below (r, 4) == 0)
    k->o.n_all_train = (long) zj_rng_below (r, 10);
  if (zj_rng_below (r, 4) == 0)
    k->o.n_valid = (int) zj_rng_below (r, 4);
  k->prune = zj_rng_below (r, 2);
  k->seed = zj_rng_next (r);
  zj_error err;
  k->pp = zj_prepare (&k->prog, &k->shape, k->prune, &err);
  if (!k->pp)
    {
      fprintf (stderr, "differential: cannot prepare a random program: %s\n", err.msg);
      exit (2);
    }
}

static void
free_case (dcase *k)
{
  zj_prepared_free (k->pp);
  zj_program_free (&k->prog);
  zj_task_free (k->task);
  free (k->task);
}

/* ---------------------------------------------------------------- tiers */
/* A tier: prepares native code for a batch of cases (NULL for none) and
   evaluates one case; eval returns -1 when the tier does not apply. */
typedef struct tier {
  const char *name;
  void *(*open) (const struct tier *t);
  void (*prepare) (void *st, dcase *const *k, int n, void **h);
  int (*eval) (void *st, void *h, const dcase *k, zj_workspace *ws, outcome *out);
  void (*release) (void *st, void *h);
  void (*close) (void *st);
  int opt_level;             /* native tiers: libgccjit -O level */
  bool native;               /* costly to prepare: sampled (--native-every) */
} tier;

static void
result_to_outcome (double fit, const zj_eval_result *r, outcome *out)
{
  out->fitness = fit;
  out->steps = r->train_steps;
  out->aborted = r->aborted;
  out->nte = r->n_train_err;
  out->nve = r->n_valid_err;
}

static int
interp_eval (void *st, void *h, const dcase *k, zj_workspace *ws, outcome *out)
{
  zj_eval_result r = { 0 };
  r.train_err = out->te;
  r.valid_err = out->ve;
  zj_rng rng;
  zj_rng_seed (&rng, k->seed);
  double f = zj_interp_eval_task (k->pp, k->task, &k->o, &rng, ws, &r);
  result_to_outcome (f, &r, out);
  out->mem = (double *) zj_workspace_memory (ws, &out->len);
  return 0;
}

static int
lanes_eval (void *st, void *h, const dcase *k, zj_workspace *ws, outcome *out)
{
  zj_eval_result r = { 0 };
  r.train_err = out->te;
  r.valid_err = out->ve;
  const zj_task *ts[1] = { k->task };
  double f[1];
  zj_rng rng;
  zj_rng_seed (&rng, k->seed);
  if (zj_interp_eval_lanes (k->pp, ts, 1, &k->o, &rng, 0, ws, &r, f) != 0)
    return -1;
  result_to_outcome (f[0], &r, out);
  out->mem = NULL;             /* lanes keep memory per lane, not in ws */
  return 0;
}

#if HAVE_JIT
static int jit_pair_eval (void *st, void *h, const dcase *k, zj_workspace *ws,
                          outcome *out);

static void *
jit_open (const tier *t)
{
  zj_jit_opts o;
  zj_jit_opts_default (&o);
  o.opt_level = t->opt_level;
  o.pairs = t->eval == jit_pair_eval;
  zj_error err;
  zj_jit *j = zj_jit_new (&o, &err);
  if (!j)
    {
      fprintf (stderr, "differential: %s: %s\n", t->name, err.msg);
      exit (2);
    }
  return j;
}

static void
jit_prepare (void *st, dcase *const *k, int n, void **h)
{
  const zj_prepared *pps[n];
  zj_eval_type ets[n];
  for (int i = 0; i < n; i++)
    {
      pps[i] = k[i]->pp;
      ets[i] = k[i]->task->eval_type;
    }
  zj_error err;
  if (zj_jit_get_batch (st, n, pps, ets, (zj_jit_entry **) h, &err) != 0)
    {
      fprintf (stderr, "differential: batch compile failed: %s\n", err.msg);
      exit (2);
    }
}

static int
jit_eval (void *st, void *h, const dcase *k, zj_workspace *ws, outcome *out)
{
  zj_eval_result r = { 0 };
  r.train_err = out->te;
  r.valid_err = out->ve;
  zj_rng rng;
  zj_rng_seed (&rng, k->seed);
  double f = zj_jit_eval_task (h, k->pp, k->task, &k->o, &rng, ws, &r);
  result_to_outcome (f, &r, out);
  out->mem = (double *) zj_workspace_memory (ws, &out->len);
  return 0;
}

/* The same code's pair function (zj_jit_eval_pair) with the case's task
   in both places: the first task's outcome must be the single run's (the
   second's Setup draws after it; tests/test_jit.c checks both). */
static int
jit_pair_eval (void *st, void *h, const dcase *k, zj_workspace *ws, outcome *out)
{
  zj_eval_result r = { 0 }, r2 = { 0 };
  r.train_err = out->te;
  r.valid_err = out->ve;
  double te2[NREC], ve2[NREC];
  r2.train_err = te2;
  r2.valid_err = ve2;
  zj_rng rng;
  zj_rng_seed (&rng, k->seed);
  zj_workspace *ws2 = zj_workspace_new (&k->shape);
  double f[2];
  zj_jit_eval_pair (h, k->pp, k->task, k->task, &k->o, &rng, ws, ws2, &r, &r2, f);
  zj_workspace_free (ws2);
  result_to_outcome (f[0], &r, out);
  out->mem = (double *) zj_workspace_memory (ws, &out->len);
  return 0;
}

static void jit_release (void *st, void *h) { zj_jit_release (st, h); }
static void jit_close (void *st) { zj_jit_free (st); }

/* The baseline tier: the lane interpreter with copied stencils attached.
   An evaluation it left to the interpreter (no kernel) is not counted. */
static void *
baseline_open (const tier *t)
{
  return zj_baseline_new (false);
}

static int
baseline_eval (void *st, void *h, const dcase *k, zj_workspace *ws, outcome *out)
{
  zj_baseline_stats a, b;
  zj_baseline_stats_get (st, &a);
  zj_baseline_attach (st, ws);
  int rc = lanes_eval (NULL, NULL, k, ws, out);
  zj_baseline_attach (NULL, ws);
  zj_baseline_stats_get (st, &b);
  return rc == 0 && b.hits + b.kernels > a.hits + a.kernels ? 0 : -1;
}

static void baseline_close (void *st) { zj_baseline_free (st); }
#endif

/* The reference first.  A new native tier is one more line: its name, the
   hooks (the JIT's, when it is reached through zj_jit_opts) and options. */
static const tier tiers[] = {
  { "interp", NULL, NULL, interp_eval, NULL, NULL, 0, false },
  { "lanes", NULL, NULL, lanes_eval, NULL, NULL, 0, false },
#if HAVE_JIT
  { "baseline", baseline_open, NULL, baseline_eval, NULL, baseline_close, 0, false },
  { "jit-O1", jit_open, jit_prepare, jit_eval, jit_release, jit_close, 1, true },
  { "jit-pair", jit_open, jit_prepare, jit_pair_eval, jit_release, jit_close, 1, true },
#endif
};
enum { NTIERS = sizeof tiers / sizeof tiers[0] };

/* ------------------------------------------------------------ comparing */
static bool
same_bits (const void *a, const void *b, size_t n)
{
  return memcmp (a, b, n) == 0;
}

static bool
same_outcome (const outcome *a, const outcome *b, const char **what)
{
  if (!same_bits (&a->fitness, &b->fitness, sizeof a->fitness))
    return *what = "fitness", false;
  if (a->steps != b->steps)
    return *what = "train steps", false;
  if (a->aborted != b->aborted)
    return *what = "abort flag", false;
  if (a->nte != b->nte || a->nve != b->nve
      || !same_bits (a->te, b->te, sizeof (double) * (size_t) a->nte)
      || !same_bits (a->ve, b->ve, sizeof (double) * (size_t) a->nve))
    return *what = "recorded errors", false;
  if (a->mem && b->mem)
    {
      if (a->len != b->len)
        return *what = "memory size", false;
      for (size_t i = 0; i < a->len; i++)
        if (!same_bits (&a->mem[i], &b->mem[i], sizeof (double))
            && !(isnan (a->mem[i]) && isnan (b->mem[i])))
          return *what = "final memory", false;
    }
  return true;
}

/* Outcome of case k in tier t (with a fresh native entry when needed);
   true when it agrees with the interpreter.  -1 when not applicable. */
static int
agrees (const tier *t, void *st, const dcase *k, const char **what)
{
  zj_workspace *w0 = zj_workspace_new (&k->shape), *w1 = zj_workspace_new (&k->shape);
  outcome a, b;
  memset (&a, 0, sizeof a);
  memset (&b, 0, sizeof b);
  interp_eval (NULL, NULL, k, w0, &a);
  void *h = NULL;
  if (t->prepare)
    {
      dcase *kk = (dcase *) k;
      t->prepare (st, &kk, 1, &h);
    }
  int rc = t->eval (st, h, k, w1, &b);
  if (t->release)
    t->release (st, h);
  if (rc == 0)
    rc = same_outcome (&a, &b, what) ? 1 : 0;
  zj_workspace_free (w0);
  zj_workspace_free (w1);
  return rc;
}

/* Remove instructions one at a time while the mismatch persists. */
static void
shrink (const tier *t, void *st, dcase *k)
{
  bool progress = true;
  while (progress)
    {
      progress = false;
      for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
        for (int i = 0; i < k->prog.fn[c].n; i++)
          {
            zj_program q;
            zj_program_init (&q);
            for (int cc = 0; cc < ZJ_NUM_COMPONENTS; cc++)
              for (int j = 0; j < k->prog.fn[cc].n; j++)
                if (cc != c || j != i)
                  zj_fn_push (&q.fn[cc], k->prog.fn[cc].ins[j]);
            zj_error err;
            zj_prepared *pp = zj_prepare (&q, &k->shape, k->prune, &err);
            if (!pp)
              {
                zj_program_free (&q);
                continue;
              }
            zj_prepared *old = k->pp;
            k->pp = pp;
            const char *what;
            if (agrees (t, st, k, &what) == 0)
              {
                zj_prepared_free (old);
                zj_program_free (&k->prog);
                k->prog = q;
                progress = true;
                i--;
              }
            else
              {
                k->pp = old;
                zj_prepared_free (pp);
                zj_program_free (&q);
              }
          }
    }
}

static void
write_mismatch (const char *dir, const tier *t, const dcase *k, long index,
                const char *what)
{
  char path[4096];
  snprintf (path, sizeof path, "%s/mismatch-F%d-%s-%ld.txt", dir, k->shape.F, t->name,
            index);
  FILE *f = fopen (path, "w");
  if (!f)
    {
      fprintf (stderr, "differential: %s: %s\n", path, strerror (errno));
      return;
    }
  const zj_task *ts = k->task;
  fprintf (f, "# %s differs from the interpreter in %s (program %ld)\n", t->name,
           what, index);
  fprintf (f, "# F=%d memory %d,%d,%d %s %s, %d train / %d valid examples, %d epochs,"
           " eval seed %llu\n", k->shape.F, k->shape.ns, k->shape.nv, k->shape.nm,
           k->prune ? "pruned" : "--no-prune",
           ts->eval_type == ZJ_ACCURACY ? "ACCURACY" : "RMS", ts->n_train, ts->n_valid,
           ts->epochs, (unsigned long long) k->seed);
  fprintf (f, "# options: n_all_train %ld, n_valid %d, max_abs_error %g, record_errors %d\n",
           k->o.n_all_train, k->o.n_valid, k->o.max_abs_error, k->o.record_errors);
  for (int i = 0; i < ts->n_train; i++)
    {
      fprintf (f, "# train %d: label %.17g x", i, ts->train_y[i]);
      for (int j = 0; j < ts->F; j++)
        fprintf (f, " %.17g", ts->train_x[i * ts->F + j]);
      fprintf (f, "\n");
    }
  for (int i = 0; i < ts->n_valid; i++)
    {
      fprintf (f, "# valid %d: label %.17g x", i, ts->valid_y[i]);
      for (int j = 0; j < ts->F; j++)
        fprintf (f, " %.17g", ts->valid_x[i * ts->F + j]);
      fprintf (f, "\n");
    }
  zj_program_print (&k->prog, true, f);
  fclose (f);
  fprintf (stderr, "differential: %s differs (%s): %s\n", t->name, what, path);
}

/* ---------------------------------------------------------------- sweep */
/* compiled: functions a native tier compiled (programs of the same pruned
   structure share one; constants are data, not code). */
typedef struct tally { long compared, mismatches, skipped, compiled; } tally;

static long
compiles_so_far (int t, void *st)
{
#if HAVE_JIT
  if (tiers[t].native && st)
    {
      zj_jit_stats js;
      zj_jit_get_stats (st, &js);
      return js.compiles;
    }
#endif
  return 0;
}

static double
now_s (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return (double) t.tv_sec + 1e-9 * (double) t.tv_nsec;
}

/* How a sweep is split and bounded: job `job` of `jobs` takes every
   jobs-th batch (all jobs draw every case, so the cases do not depend on
   the split); native tiers stop taking new batches at `native_until`
   (CLOCK_MONOTONIC seconds, 0 for no limit) and every native tier sees
   the same programs. */
typedef struct split {
  int job, jobs;
  double native_until;
  int every32;              /* native every K*every32-th program at F = 32 */
} split;

static void
sweep_F (int F, long n, uint64_t seed, int batch, int every, const bool *use,
         const char *out, void **st, tally tl[NTIERS], const split *spl)
{
  zj_rng r;
  zj_rng_seed (&r, seed * 1000003u + (uint64_t) F);
  dcase *cs = calloc ((size_t) batch, sizeof *cs);
  dcase **cp = calloc ((size_t) batch, sizeof *cp);
  void **h = calloc ((size_t) batch, sizeof *h);
  outcome *ref = calloc ((size_t) batch, sizeof *ref);
  zj_workspace **wref = calloc ((size_t) batch, sizeof *wref);
  bool native_on = true;
  long compiles0[NTIERS];
  for (int t = 0; t < NTIERS; t++)
    compiles0[t] = compiles_so_far (t, st[t]);
  for (long i0 = 0; i0 < n; i0 += batch)
    {
      const int m = n - i0 < batch ? (int) (n - i0) : batch;
      const bool mine = (i0 / batch) % spl->jobs == spl->job;
      for (int i = 0; i < m; i++)
        {
          new_case (&r, F, &cs[i]);
          cp[i] = &cs[i];
          if (!mine)
            continue;
          wref[i] = zj_workspace_new (&cs[i].shape);
          interp_eval (NULL, NULL, &cs[i], wref[i], &ref[i]);
        }
      if (!mine)
        {
          for (int i = 0; i < m; i++)
            free_case (&cs[i]);
          continue;
        }
      if (native_on && spl->native_until > 0 && now_s () > spl->native_until)
        native_on = false;
      for (int t = 1; t < NTIERS; t++)
        {
          if (!use[t] || (tiers[t].native && !native_on))
            continue;
          /* Native tiers: the cases whose index is a multiple of every. */
          int sel[m], ns = 0;
          dcase *sp[m];
          void *sh[m];
          for (int i = 0; i < m; i++)
            if (!tiers[t].native || (i0 + i) % (F == 32 ? spl->every32 * every : every) == 0)
              {
                sel[ns] = i;
                sp[ns++] = cp[i];
              }
          if (tiers[t].prepare && ns)
            tiers[t].prepare (st[t], sp, ns, sh);
          for (int j = 0; j < ns; j++)
            h[sel[j]] = tiers[t].prepare ? sh[j] : NULL;
          for (int j = 0; j < ns; j++)
            {
              const int i = sel[j];
              zj_workspace *ws = zj_workspace_new (&cs[i].shape);
              outcome o;
              memset (&o, 0, sizeof o);
              const char *what = NULL;
              if (tiers[t].eval (st[t], h[i], &cs[i], ws, &o) != 0)
                tl[t].skipped++;
              else if (tl[t].compared++, !same_outcome (&ref[i], &o, &what))
                {
                  tl[t].mismatches++;
                  if (tiers[t].release)
                    tiers[t].release (st[t], h[i]);
                  h[i] = NULL;
                  const char *w2 = what;
                  shrink (&tiers[t], st[t], &cs[i]);
                  write_mismatch (out, &tiers[t], &cs[i], i0 + i, w2);
                }
              if (h[i] && tiers[t].release)
                tiers[t].release (st[t], h[i]);
              zj_workspace_free (ws);
            }
        }
      for (int i = 0; i < m; i++)
        {
          zj_workspace_free (wref[i]);
          free_case (&cs[i]);
        }
    }
  for (int t = 0; t < NTIERS; t++)
    tl[t].compiled += compiles_so_far (t, st[t]) - compiles0[t];
  free (cs); free (cp); free (h); free (ref); free (wref);
}

static void
open_tiers (const bool *use, void **st)
{
  for (int t = 1; t < NTIERS; t++)
    if (use[t] && tiers[t].open)
      st[t] = tiers[t].open (&tiers[t]);
}

static void
close_tiers (void **st)
{
  for (int t = 1; t < NTIERS; t++)
    if (st[t] && tiers[t].close)
      {
        tiers[t].close (st[t]);
        st[t] = NULL;
      }
}

/* One F over `jobs` processes (a whole-evaluation compile holds
   libgccjit's global lock, so processes, not threads): each opens its
   own tiers, sweeps its share and sends its tallies back through a pipe. */
static void
sweep_jobs (int F, long n, uint64_t seed, int batch, int every, const bool *use,
            const char *out, split sp, tally tl[NTIERS])
{
  int fd[sp.jobs];
  pid_t pid[sp.jobs];
  fflush (stdout);
  fflush (stderr);
  for (int k = 0; k < sp.jobs; k++)
    {
      int p[2];
      if (pipe (p) != 0 || (pid[k] = fork ()) < 0)
        {
          perror ("differential: pipe/fork");
          exit (2);
        }
      if (pid[k] == 0)
        {
          close (p[0]);
          void *st[NTIERS] = { NULL };
          tally mine[NTIERS];
          memset (mine, 0, sizeof mine);
          open_tiers (use, st);
          sp.job = k;
          sweep_F (F, n, seed, batch, every, use, out, st, mine, &sp);
          close_tiers (st);
          const ssize_t w = write (p[1], mine, sizeof mine);
          _exit (w == (ssize_t) sizeof mine ? 0 : 2);
        }
      close (p[1]);
      fd[k] = p[0];
    }
  for (int k = 0; k < sp.jobs; k++)
    {
      tally got[NTIERS];
      size_t have = 0;
      ssize_t r;
      while (have < sizeof got
             && (r = read (fd[k], (char *) got + have, sizeof got - have)) > 0)
        have += (size_t) r;
      close (fd[k]);
      int wst;
      waitpid (pid[k], &wst, 0);
      if (have != sizeof got || !WIFEXITED (wst) || WEXITSTATUS (wst) != 0)
        {
          fprintf (stderr, "differential: F=%d: job %d failed (status %d)\n", F, k, wst);
          exit (2);
        }
      for (int t = 0; t < NTIERS; t++)
        {
          tl[t].compared += got[t].compared;
          tl[t].mismatches += got[t].mismatches;
          tl[t].skipped += got[t].skipped;
          tl[t].compiled += got[t].compiled;
        }
    }
}

/* Whether a comma list names the tier (by a prefix: "jit" is "jit-O1"). */
static bool
tier_listed (const char *list, const char *name)
{
  for (const char *s = list; *s; )
    {
      size_t n = strcspn (s, ",");
      if (n && strncmp (name, s, n) == 0)
        return true;
      s += n + (s[n] == ',');
    }
  return false;
}

int
main (int argc, char **argv)
{
  long n = 400;
  int Fs[8] = { 2, 4, 8, 16, 32 }, nF = 5, batch = 100, every = 40, jobs = 1, every32 = 5;
  double native_secs = 0;
  uint64_t seed = 1;
  const char *out = ".", *only = NULL;
  for (int i = 1; i < argc; i++)
    {
      const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
      if (!v)
        goto usage;
      if (strcmp (a, "--programs") == 0)
        n = atol (v);
      else if (strcmp (a, "--seed") == 0)
        seed = strtoull (v, NULL, 10);
      else if (strcmp (a, "--out") == 0)
        out = v;
      else if (strcmp (a, "--tiers") == 0)
        only = v;
      else if (strcmp (a, "--batch") == 0)
        batch = atoi (v);
      else if (strcmp (a, "--native-every") == 0)
        every = atoi (v);
      else if (strcmp (a, "--every32") == 0)
        every32 = atoi (v);
      else if (strcmp (a, "--jobs") == 0)
        jobs = atoi (v);
      else if (strcmp (a, "--native-seconds") == 0)
        native_secs = atof (v);
      else if (strcmp (a, "--F") == 0)
        {
          nF = 0;
          for (char *s = (char *) v; *s && nF < 8; s += *s == ',')
            {
              Fs[nF] = (int) strtol (s, &s, 10);
              if (!zj_features_size_ok (Fs[nF++]))
                goto usage;
            }
        }
      else
        goto usage;
      i++;
    }
  /* The full test tier (make check-full) runs a 5x larger slice. */
  if (argc == 1 && getenv ("ZJ_TEST_FULL") && strcmp (getenv ("ZJ_TEST_FULL"), "1") == 0)
    n = 2000;
  if (n < 0 || batch < 1 || every < 1 || every32 < 1 || jobs < 1 || jobs > 64
      || native_secs < 0)
    goto usage;
  mkdir (out, 0777);
  /* Stencil libraries of the baseline tier: beside the output, unless the
     caller chose a cache. */
  char cache[4096];
  snprintf (cache, sizeof cache, "%s/stencil-cache", out);
  setenv ("ZEROJIT_CACHE_DIR", cache, 0);
  bool use[NTIERS];
  void *st[NTIERS] = { NULL };
  for (int t = 0; t < NTIERS; t++)
    use[t] = !only || tier_listed (only, tiers[t].name);
  if (jobs == 1)
    open_tiers (use, st);
  int status = 0;
  printf ("%-8s %-4s %10s %10s %10s %10s %8s\n", "tier", "F", "compared", "mismatch",
          "n/a", "compiled", "seconds");
  for (int f = 0; f < nF; f++)
    {
      tally tl[NTIERS];
      memset (tl, 0, sizeof tl);
      const double t0 = now_s ();
      split sp = { 0, jobs, native_secs > 0 ? t0 + native_secs : 0, every32 };
      if (jobs == 1)
        sweep_F (Fs[f], n, seed, batch, every, use, out, st, tl, &sp);
      else
        sweep_jobs (Fs[f], n, seed, batch, every, use, out, sp, tl);
      const double secs = now_s () - t0;
      for (int t = 1; t < NTIERS; t++)
        if (use[t])
          {
            printf ("%-8s %-4d %10ld %10ld %10ld %10ld %8.1f\n", tiers[t].name, Fs[f],
                    tl[t].compared, tl[t].mismatches, tl[t].skipped, tl[t].compiled, secs);
            if (tl[t].mismatches)
              status = 1;
          }
      fflush (stdout);
    }
  close_tiers (st);
  return status;
usage:
  fprintf (stderr, "usage: differential [--programs N] [--F 2,4,8,16,32] [--seed S]"
           " [--out DIR] [--tiers lanes,jit] [--batch B] [--native-every K]"
           " [--every32 K32] [--jobs J] [--native-seconds S]\n");
  return 2;
}
