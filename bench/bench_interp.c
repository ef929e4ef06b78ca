/* bench_interp.c -- interpreter speed on the original's hand-coded programs.
 *
 * Times whole task evaluations (zj_interp_eval_task) of LINEAR and
 * NEURAL_NET (doc/semantics.md, "Hand-coded algorithms") on regression tasks with N(0,1)
 * features and labels from a fixed linear function, and prints medians:
 * ns per training example (whole evaluation / training examples, and the
 * same with validation switched off) and interpreted instructions per
 * second.  `bench_interp --once` runs every case exactly once, for
 * valgrind/perf.  Results and commands are kept in bench/RESULTS.md.
 */
#include <zerojit/zerojit.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "internal.h"

typedef struct {
  const char *name;
  int nn;                   /* 0 = LINEAR, 1 = NEURAL_NET */
  int F, n_train, n_valid;
} bench_case;

static const bench_case cases[] = {
  { "linear_f4", 0, 4, 1000, 100 },
  { "nn_f4", 1, 4, 8000, 1000 },
  { "nn_f8", 1, 8, 8000, 1000 },
  { "nn_f16", 1, 16, 8000, 1000 },
};
#define NCASES ((int) (sizeof cases / sizeof cases[0]))

static void
push (zj_fn *f, int op, int in1, int in2, int out)
{
  zj_fn_push (f, zj_test_ins (op, in1, in2, out));
}

static void
push_const (zj_fn *f, int out, double x)
{
  zj_instr in = zj_test_ins (ZJ_SCALAR_CONST_SET_OP, 0, 0, out);
  in.act = x;
  zj_fn_push (f, in);
}

static void
push_gauss (zj_fn *f, int op, int out, float mean, float sd)
{
  zj_instr in = zj_test_ins (op, 0, 0, out);
  in.fd[0] = mean;
  in.fd[1] = sd;
  zj_fn_push (f, in);
}

/* LINEAR_ALGORITHM, learning rate 0.01. */
static void
linear_program (zj_program *p)
{
  zj_fn *S = &p->fn[ZJ_SETUP], *P = &p->fn[ZJ_PREDICT], *L = &p->fn[ZJ_LEARN];
  push_const (S, 2, 0.01);
  push (P, ZJ_VECTOR_INNER_PRODUCT_OP, 1, 0, 1);
  push (L, ZJ_SCALAR_DIFF_OP, 0, 1, 3);
  push (L, ZJ_SCALAR_PRODUCT_OP, 2, 3, 3);
  push (L, ZJ_SCALAR_VECTOR_PRODUCT_OP, 3, 0, 2);
  push (L, ZJ_VECTOR_SUM_OP, 1, 2, 1);
}

/* NEURAL_NET_ALGORITHM: one ReLU hidden layer trained by backprop. */
static void
nn_program (zj_program *p)
{
  zj_fn *S = &p->fn[ZJ_SETUP], *P = &p->fn[ZJ_PREDICT], *L = &p->fn[ZJ_LEARN];
  push_gauss (S, ZJ_VECTOR_GAUSSIAN_SET_OP, 2, 0.0f, 0.1f);
  push_gauss (S, ZJ_MATRIX_GAUSSIAN_SET_OP, 0, 0.0f, 0.1f);
  push_const (S, 3, 0.01);
  push (P, ZJ_MATRIX_VECTOR_PRODUCT_OP, 0, 0, 3);
  push (P, ZJ_VECTOR_SUM_OP, 3, 1, 3);
  push (P, ZJ_VECTOR_MAX_OP, 3, 5, 4);
  push (P, ZJ_VECTOR_INNER_PRODUCT_OP, 4, 2, 1);
  push (P, ZJ_SCALAR_SUM_OP, 1, 2, 1);
  push (L, ZJ_SCALAR_DIFF_OP, 0, 1, 4);
  push (L, ZJ_SCALAR_PRODUCT_OP, 3, 4, 4);
  push (L, ZJ_SCALAR_SUM_OP, 2, 4, 2);
  push (L, ZJ_SCALAR_VECTOR_PRODUCT_OP, 4, 4, 6);
  push (L, ZJ_VECTOR_SUM_OP, 2, 6, 2);
  push (L, ZJ_SCALAR_VECTOR_PRODUCT_OP, 4, 2, 7);
  push (L, ZJ_VECTOR_HEAVYSIDE_OP, 3, 0, 8);
  push (L, ZJ_VECTOR_PRODUCT_OP, 8, 7, 7);
  push (L, ZJ_VECTOR_SUM_OP, 1, 7, 1);
  push (L, ZJ_VECTOR_OUTER_PRODUCT_OP, 7, 0, 1);
  push (L, ZJ_MATRIX_SUM_OP, 0, 1, 0);
}

/* Features N(0,1); label = u . x with a fixed u ~ N(0, 1/F). */
static zj_task *
make_task (int F, int ntr, int nva, uint64_t seed)
{
  zj_rng g;
  zj_rng_seed (&g, seed);
  double u[32];
  for (int i = 0; i < F; i++)
    u[i] = zj_rng_normal (&g) / sqrt ((double) F);
  const int n = ntr + nva;
  double *x = malloc (sizeof (double) * (size_t) n * F);
  double *y = malloc (sizeof (double) * (size_t) n);
  for (int e = 0; e < n; e++)
    {
      double s = 0.0;
      for (int i = 0; i < F; i++)
        {
          x[(size_t) e * F + i] = zj_rng_normal (&g);
          s += u[i] * x[(size_t) e * F + i];
        }
      y[e] = s;
    }
  zj_task *t = zj_test_task (F, ntr, x, y, nva, x + (size_t) ntr * F, y + ntr,
                             1, ZJ_RMS_ERROR);
  free (x);
  free (y);
  return t;
}

typedef struct {
  const zj_prepared *pp;
  const zj_task *t;
  zj_workspace *ws;
  zj_eval_opts o;
  zj_eval_result res;
} bench_run;

static double
eval_once (bench_run *b)
{
  zj_rng rng;
  zj_rng_seed (&rng, 1);
  return zj_interp_eval_task (b->pp, b->t, &b->o, &rng, b->ws, &b->res);
}

/* Median over `samples` of the time of one evaluation (and the fastest
   sample in *best, a guide when other processes share the CPU); each
   sample repeats the evaluation enough times to last about min_ms. */
static double
median_eval_ns (bench_run *b, int samples, double min_ms, double *best)
{
  double t0 = zj_now_ns ();
  eval_once (b);
  double one = zj_now_ns () - t0;
  long inner = (long) (min_ms * 1e6 / (one > 1.0 ? one : 1.0)) + 1;
  double *v = malloc (sizeof (double) * (size_t) samples);
  for (int s = 0; s < samples; s++)
    {
      t0 = zj_now_ns ();
      for (long k = 0; k < inner; k++)
        eval_once (b);
      v[s] = (zj_now_ns () - t0) / (double) inner;
    }
  zj_sort_doubles (v, (size_t) samples);
  double m = v[samples / 2];
  *best = v[0];
  free (v);
  return m;
}

static void
run_case (const bench_case *c, int samples, double min_ms, bool once)
{
  const zj_shape shape = c->nn ? (zj_shape) { c->F, 5, 9, 2 }
                               : (zj_shape) { c->F, 4, 3, 1 };
  zj_program p;
  zj_program_init (&p);
  if (c->nn)
    nn_program (&p);
  else
    linear_program (&p);
  zj_error err;
  zj_prepared *pp = zj_prepare (&p, &shape, true, &err);
  if (!pp)
    {
      fprintf (stderr, "bench_interp: %s\n", err.msg);
      exit (1);
    }
  zj_task *t = make_task (c->F, c->n_train, c->n_valid, 7);
  bench_run b = { .pp = pp, .t = t, .ws = zj_workspace_new (&shape) };
  zj_eval_opts_default (&b.o);
  const double fit = eval_once (&b);
  if (b.res.aborted || b.res.train_steps != c->n_train)
    fprintf (stderr, "bench_interp: %s: training aborted after %ld steps\n",
             c->name, b.res.train_steps);
  const zj_program *run = zj_prepared_program (pp);
  const double per_step = run->fn[ZJ_PREDICT].n + run->fn[ZJ_LEARN].n;
  const double instrs = run->fn[ZJ_SETUP].n + c->n_train * per_step
                        + (double) c->n_valid * run->fn[ZJ_PREDICT].n;
  if (once)
    {
      printf ("%-10s F=%-2d fitness %.6f (one evaluation)\n", c->name, c->F, fit);
    }
  else
    {
      double best, best_tr;
      double full = median_eval_ns (&b, samples, min_ms, &best);
      b.o.n_valid = 0;
      double train_only = median_eval_ns (&b, samples, min_ms, &best_tr);
      printf ("%-10s %3d %6d %6d %6.0f %9.1f %9.1f %9.1f %9.1f %8.1f   %.6f\n",
              c->name, c->F, c->n_train, c->n_valid, per_step,
              full / c->n_train, best / c->n_train, train_only / c->n_train,
              best_tr / c->n_train, instrs / full * 1e3, fit);
    }
  zj_workspace_free (b.ws);
  zj_task_free (t);
  free (t);
  zj_prepared_free (pp);
  zj_program_free (&p);
}

static void
usage (void)
{
  fprintf (stderr, "usage: bench_interp [--samples N] [--min-ms MS] "
                   "[--case NAME] [--once]\n");
  exit (2);
}

int
main (int argc, char **argv)
{
  int samples = 11;
  double min_ms = 20.0;
  const char *only = NULL;
  bool once = false;
  for (int i = 1; i < argc; i++)
    {
      if (!strcmp (argv[i], "--samples") && i + 1 < argc)
        samples = atoi (argv[++i]);
      else if (!strcmp (argv[i], "--min-ms") && i + 1 < argc)
        min_ms = atof (argv[++i]);
      else if (!strcmp (argv[i], "--case") && i + 1 < argc)
        only = argv[++i];
      else if (!strcmp (argv[i], "--once"))
        once = true;
      else
        usage ();
    }
  if (samples < 1)
    usage ();
  if (!once)
    printf ("interpreter: median of %d samples (>= %.0f ms each)\n"
            "%-10s %3s %6s %6s %6s %9s %9s %9s %9s %8s   %s\n", samples, min_ms,
            "case", "F", "train", "valid", "ins/ex", "ns/ex", "(min)",
            "ns/ex-tr", "(min)", "Mins/s", "fitness");
  for (int i = 0; i < NCASES; i++)
    if (!only || !strcmp (only, cases[i].name))
      run_case (&cases[i], samples, min_ms, once);
  return 0;
}
