/* bench_baseline.c -- the baseline tier's two designs against the lane
 * interpreter: time to ready and ns per example.
 *
 *   stencils: copy-and-patch (stencils copied back to back, holes patched)
 *   threaded: the same libgccjit-compiled op functions called one after
 *             another with their operand offsets as a parameter
 *
 * Time to ready: N fresh random structures of 5-40 Predict+Learn
 * instructions (every op but the random ones), each made ready once
 * (decode, structure key and hash, table lookup, copy and patch); median
 * and p99, and the same for per-task step kernels (jit/ptask.h, one
 * task's layout).  ns per example: a 20-instruction program (an NN with const-set
 * Setup) and small search-like programs at F=4 and F=16 on 10 tasks in
 * lanes, 1000 train x 2 epochs, 100 valid; median of --reps runs, per
 * example and task.  matvec reads a matrix Predict and Learn never write:
 * on AVX-512 at F = 16 the stencils then call the lane interpreter's
 * per-task product (when it pays for the task count), while the threaded design keeps the lane product.
 * ZJ_BENCH_NT=N (1..32) runs the ns-per-example programs on N tasks
 * instead of 10.
 * Usage: bench_baseline [--reps N] [--structures N]
 */
#include "config.h"
#include "internal.h"
#include "testutil.h"
#include "baseline.h"
#include "ptask.h"
#include <zerojit/search.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static zj_instr
cset (int o, double v)
{
  zj_instr i = zj_test_ins (ZJ_SCALAR_CONST_SET_OP, 0, 0, o);
  i.act = v;
  return i;
}

static zj_instr
vset (int op, int o, float f0, float f1, float f2)
{
  zj_instr i = zj_test_ins (op, 0, 0, o);
  i.fd[0] = f0; i.fd[1] = f1; i.fd[2] = f2;
  return i;
}

/* 20 instructions: the NN of bench_jit with a const-set Setup. */
static void
nn20 (zj_program *p)
{
  zj_fn *s = &p->fn[ZJ_SETUP], *pr = &p->fn[ZJ_PREDICT], *l = &p->fn[ZJ_LEARN];
  zj_fn_push (s, vset (ZJ_VECTOR_CONST_SET_OP, 2, 0.3f, 0.1f, 0));
  zj_fn_push (s, vset (ZJ_MATRIX_CONST_SET_OP, 0, 0.2f, 0.6f, 0.1f));
  zj_fn_push (s, vset (ZJ_MATRIX_CONST_SET_OP, 0, 0.7f, 0.1f, -0.1f));
  zj_fn_push (s, cset (3, 0.01));
  zj_test_nn_step (pr, l);
}

/* Search-sized: linear regression by SGD (1 + 4 instructions). */
static void
linear (zj_program *p)
{
  zj_fn_push (&p->fn[ZJ_SETUP], cset (2, 0.01));
  zj_fn_push (&p->fn[ZJ_PREDICT], zj_test_ins (ZJ_VECTOR_INNER_PRODUCT_OP, 1, 0, 1));
  zj_fn_push (&p->fn[ZJ_LEARN], zj_test_ins (ZJ_SCALAR_DIFF_OP, 0, 1, 3));
  zj_fn_push (&p->fn[ZJ_LEARN], zj_test_ins (ZJ_SCALAR_PRODUCT_OP, 2, 3, 3));
  zj_fn_push (&p->fn[ZJ_LEARN], zj_test_ins (ZJ_SCALAR_VECTOR_PRODUCT_OP, 3, 0, 2));
  zj_fn_push (&p->fn[ZJ_LEARN], zj_test_ins (ZJ_VECTOR_SUM_OP, 1, 2, 1));
}

/* Search-sized: a 2-instruction winner as evolved on the paper setting
   (s1 = dot(v0, v1) with a perceptron-like Learn of 3). */
static void
tiny (zj_program *p)
{
  zj_fn_push (&p->fn[ZJ_PREDICT], zj_test_ins (ZJ_VECTOR_INNER_PRODUCT_OP, 0, 1, 1));
  zj_fn_push (&p->fn[ZJ_LEARN], zj_test_ins (ZJ_SCALAR_DIFF_OP, 0, 1, 3));
  zj_fn_push (&p->fn[ZJ_LEARN], zj_test_ins (ZJ_SCALAR_VECTOR_PRODUCT_OP, 3, 0, 2));
  zj_fn_push (&p->fn[ZJ_LEARN], zj_test_ins (ZJ_VECTOR_SUM_OP, 1, 2, 1));
}

/* Search-sized, a matrix read only (bench/layout/matvec.txt with a
   const-set Setup): v3 = dot(m0, v0) on the lane evaluator's per-task
   copy of m0 at F = 8 and 16 (AVX-512 builds), the lane product else. */
static void
matvec (zj_program *p)
{
  zj_fn *s = &p->fn[ZJ_SETUP], *pr = &p->fn[ZJ_PREDICT], *l = &p->fn[ZJ_LEARN];
  zj_fn_push (s, vset (ZJ_MATRIX_CONST_SET_OP, 0, 0.2f, 0.6f, 0.1f));
  zj_fn_push (s, vset (ZJ_MATRIX_CONST_SET_OP, 0, 0.7f, 0.1f, -0.1f));
  zj_fn_push (s, vset (ZJ_MATRIX_CONST_SET_OP, 0, 0.4f, 0.9f, 0.3f));
  zj_fn_push (s, vset (ZJ_VECTOR_CONST_SET_OP, 2, 0.3f, 0.1f, 0));
  zj_fn_push (s, cset (3, 0.01));
  zj_fn_push (pr, zj_test_ins (ZJ_MATRIX_VECTOR_PRODUCT_OP, 0, 0, 3));
  zj_fn_push (pr, zj_test_ins (ZJ_VECTOR_INNER_PRODUCT_OP, 3, 2, 1));
  zj_fn_push (l, zj_test_ins (ZJ_SCALAR_DIFF_OP, 0, 1, 4));
  zj_fn_push (l, zj_test_ins (ZJ_SCALAR_PRODUCT_OP, 3, 4, 4));
  zj_fn_push (l, zj_test_ins (ZJ_SCALAR_VECTOR_PRODUCT_OP, 4, 3, 6));
  zj_fn_push (l, zj_test_ins (ZJ_VECTOR_SUM_OP, 2, 6, 2));
}

static zj_task *
make_tasks (int F, int nt, int ntr, int nva, int epochs)
{
  zj_task *ts = calloc ((size_t) nt, sizeof *ts);
  zj_rng r;
  zj_rng_seed (&r, 7);
  for (int k = 0; k < nt; k++)
    {
      zj_task *t = &ts[k];
      t->F = F; t->n_train = ntr; t->n_valid = nva; t->epochs = epochs;
      t->eval_type = ZJ_RMS_ERROR;
      t->index = k;
      t->train_x = malloc (sizeof (double) * (size_t) (ntr * F));
      t->train_y = malloc (sizeof (double) * (size_t) ntr);
      t->valid_x = malloc (sizeof (double) * (size_t) (nva * F));
      t->valid_y = malloc (sizeof (double) * (size_t) nva);
      t->order = malloc (sizeof (int) * (size_t) (ntr * epochs));
      for (int i = 0; i < ntr * F; i++) t->train_x[i] = zj_rng_normal (&r);
      for (int i = 0; i < nva * F; i++) t->valid_x[i] = zj_rng_normal (&r);
      for (int i = 0; i < ntr; i++) t->train_y[i] = 0.1 * zj_rng_normal (&r);
      for (int i = 0; i < nva; i++) t->valid_y[i] = 0.1 * zj_rng_normal (&r);
      for (int e = 0; e < epochs; e++)
        for (int i = 0; i < ntr; i++)
          t->order[e * ntr + i] = (int) zj_rng_below (&r, (uint32_t) ntr);
    }
  return ts;
}

/* Fastest-run ns per example and task of the lane evaluation of pp with b
   (NULL: the lane interpreter). */
static double
ns_per_example (zj_baseline *b, const zj_prepared *pp, const zj_task *ts,
                int nt, int reps, double *fit0)
{
  zj_workspace *ws = zj_workspace_new (&pp->shape);
  zj_baseline_attach (b, ws);
  const zj_task *ptrs[32];
  for (int k = 0; k < nt; k++)
    ptrs[k] = &ts[k];
  zj_eval_result res[32];
  double fit[32], t[64];
  long ex = 0;
  for (int r = 0; r < reps; r++)
    {
      memset (res, 0, sizeof res);
      const double t0 = zj_thread_ns ();
      if (zj_interp_eval_lanes (pp, ptrs, nt, NULL, NULL, 0, ws, res, fit) != 0)
        abort ();
      t[r] = zj_thread_ns () - t0;
      ex = 0;
      for (int k = 0; k < nt; k++)
        ex += res[k].train_steps + (long) ts[k].n_valid * ts[k].epochs;
    }
  *fit0 = fit[0];
  zj_workspace_free (ws);
  zj_sort_doubles (t, (size_t) reps);
  return t[0] / (double) ex;      /* fastest run: the machine is shared */
}

static void
per_example (const char *name, void (*build) (zj_program *), int F, int reps,
             zj_baseline *bs, zj_baseline *bt)
{
  const zj_shape sh = { F, 10, 10, 3 };
  zj_program p;
  zj_program_init (&p);
  build (&p);
  zj_error err;
  zj_prepared *pp = zj_prepare (&p, &sh, true, &err);
  if (!pp)
    {
      fprintf (stderr, "%s: %s\n", name, err.msg);
      exit (1);
    }
  const char *e = getenv ("ZJ_BENCH_NT");
  const int NT = e && atoi (e) >= 1 && atoi (e) <= 32 ? atoi (e) : 10;
  zj_task *ts = make_tasks (F, NT, 1000, 100, 2);
  double f0, f1, f2;
  const double ni = ns_per_example (NULL, pp, ts, NT, reps, &f0);
  const double ns = ns_per_example (bs, pp, ts, NT, reps, &f1);
  const double nth = ns_per_example (bt, pp, ts, NT, reps, &f2);
  const zj_program *q = zj_prepared_program (pp);
  printf ("%-8s F=%-2d %2d instr  interp %6.2f  stencils %6.2f (%.2fx)  "
          "threaded %6.2f (%.2fx) ns/example/task%s\n", name, F,
          q->fn[0].n + q->fn[1].n + q->fn[2].n, ni, ns, ni / ns, nth, ni / nth,
          memcmp (&f0, &f1, sizeof f0) || memcmp (&f0, &f2, sizeof f0)
          ? "  FITNESS DIFFERS" : "");
  zj_prepared_free (pp);
  zj_program_free (&p);
  for (int k = 0; k < NT; k++)
    zj_task_free (&ts[k]);
  free (ts);
}

/* Makes one structure's native code: 0, else -1 with a message. */
typedef int (*make_fn) (void *ctx, const zj_program *p, const zj_shape *sh);

/* Time to ready of n fresh structures of 5-40 instructions. */
static void
ready (const char *name, int F, int n, make_fn make, void *ctx)
{
  const zj_shape sh = { F, 10, 10, 3 };
  zj_rng r;
  zj_rng_seed (&r, 99);
  zj_program p;
  zj_program_init (&p);
  double *t = malloc (sizeof (double) * (size_t) n);
  long instr = 0;
  for (int i = 0; i < n; i++)
    {
      zj_program_clear (&p);
      const int total = 5 + (int) zj_rng_below (&r, 36);
      const int np = 1 + (int) zj_rng_below (&r, (uint32_t) total - 1);
      for (int k = 0; k < total; k++)
        {
          int op;
          do
            op = 1 + (int) zj_rng_below (&r, ZJ_NUM_OPS - 1);
          while (zj_op_is_random (op));
          zj_instr in;
          zj_random_instruction (&r, op, &sh, &in);
          zj_fn_push (&p.fn[k < np ? ZJ_PREDICT : ZJ_LEARN], in);
        }
      instr += total;
      const double t0 = zj_thread_ns ();
      if (make (ctx, &p, &sh) != 0)
        exit (1);
      t[i] = zj_thread_ns () - t0;
    }
  zj_sort_doubles (t, (size_t) n);
  printf ("%-8s F=%-2d time to ready, %d structures of 5-40 instr (mean %.1f): "
          "median %.2f us  p99 %.2f us  max %.2f us\n", name, F, n,
          (double) instr / n, t[n / 2] / 1e3, t[(n * 99) / 100] / 1e3,
          t[n - 1] / 1e3);
  free (t);
  zj_program_free (&p);
}

static int
make_lanes (void *ctx, const zj_program *p, const zj_shape *sh)
{
  zj_baseline *b = ctx;
  if (zj_baseline_prepare (b, p, sh, 10) == 0)
    return 0;
  fprintf (stderr, "prepare failed: %s\n", zj_baseline_error (b));
  return -1;
}

/* Per-task step kernels (jit/ptask.h): decode, key, lookup, copy and
   patch for one task's layout. */
typedef struct {
  zj_ptask *pt;
  zj_workspace *ws;
} ptask_ctx;

static int
make_ptask (void *ctx, const zj_program *p, const zj_shape *sh)
{
  ptask_ctx *c = ctx;
  zj_lnative nat;
  if (zj_ptask_get (c->pt, p, &c->ws->lay, &nat))
    return 0;
  fprintf (stderr, "ptask failed: %s\n", zj_ptask_error (c->pt));
  return -1;
}

static void
ready_ptask (int F, int n)
{
  const zj_shape sh = { F, 10, 10, 3 };
  ptask_ctx c = { zj_ptask_new (), zj_workspace_new (&sh) };
  if (zj_ptask_ready (c.pt, F))
    ready ("ptask", F, n, make_ptask, &c);
  else
    printf ("ptask    F=%-2d library unavailable: %s\n", F, zj_ptask_error (c.pt));
  zj_ptask_free (c.pt);
  zj_workspace_free (c.ws);
}

int
main (int argc, char **argv)
{
  int reps = 7, nstruct = 2000;
  for (int i = 1; i + 1 < argc; i++)
    {
      if (!strcmp (argv[i], "--reps"))
        reps = atoi (argv[++i]);
      else if (!strcmp (argv[i], "--structures"))
        nstruct = atoi (argv[++i]);
    }
  if (reps < 1 || reps > 64)
    reps = 7;
  const int Fs[3] = { 4, 8, 16 };
  for (int f = 0; f < 3; f++)
    {
      const int F = Fs[f];
      zj_baseline *bs = zj_baseline_new (false), *bt = zj_baseline_new (true);
      /* Library load (cached on disk after the first build; cold build
         time is printed by removing the cache directory first). */
      const zj_shape sh = { F, 10, 10, 3 };
      zj_program p;
      zj_program_init (&p);
      linear (&p);
      double t0 = zj_thread_ns ();
      if (zj_baseline_prepare (bs, &p, &sh, 10) != 0)
        {
          fprintf (stderr, "baseline tier unavailable: %s\n", zj_baseline_error (bs));
          return 1;
        }
      const double load_s = (zj_thread_ns () - t0) / 1e6;
      t0 = zj_thread_ns ();
      zj_baseline_prepare (bt, &p, &sh, 10);
      const double load_t = (zj_thread_ns () - t0) / 1e6;
      zj_program_free (&p);
      printf ("F=%d library: stencils %.1f ms (object from the disk cache or "
              "built), threaded %.1f ms (compiled in memory)\n", F, load_s, load_t);
      ready ("stencils", F, nstruct, make_lanes, bs);
      ready ("threaded", F, nstruct, make_lanes, bt);
      ready_ptask (F, nstruct);
      per_example ("nn20", nn20, F, reps, bs, bt);
      per_example ("linear", linear, F, reps, bs, bt);
      per_example ("tiny", tiny, F, reps, bs, bt);
      per_example ("matvec", matvec, F, reps, bs, bt);
      zj_baseline_free (bs);
      zj_baseline_free (bt);
    }
  return 0;
}
