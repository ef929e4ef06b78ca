/* bench_jit.c -- interpreter vs JIT: ns per example, compile ms, break-even.
 *
 * Three programs: LINEAR (F=4), the hand-coded NEURAL_NET
 * (doc/semantics.md, F=16) and a scalar-heavy program with transcendentals (F=4),
 * each on a random regression task (1000 train x 2 epochs, 100 valid).
 * For each -O level (default 0..3) and the chosen isa it prints compile ms,
 * ns/example for both tiers (median of --reps evaluations), the speedup and
 * the break-even number of examples (compile time / time saved per example).
 * Usage: bench_jit [--reps N] [--opt L] [--isa auto|avx2|avx|sse2]
 */
#include <zerojit/jit.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "testutil.h"

static zj_instr
cset (int o, double v)
{
  zj_instr i = zj_test_ins (ZJ_SCALAR_CONST_SET_OP, 0, 0, o);
  i.act = v;
  return i;
}

static zj_instr
gauss (int op, int o, float m, float s)
{
  zj_instr i = zj_test_ins (op, 0, 0, o);
  i.fd[0] = m; i.fd[1] = s;
  return i;
}

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

/* NEURAL_NET_ALGORITHM (doc/semantics.md, "Hand-coded algorithms"). */
static void
neural_net (zj_program *p)
{
  zj_fn *s = &p->fn[ZJ_SETUP], *pr = &p->fn[ZJ_PREDICT], *l = &p->fn[ZJ_LEARN];
  zj_fn_push (s, gauss (ZJ_VECTOR_GAUSSIAN_SET_OP, 2, 0, 0.1f));
  zj_fn_push (s, gauss (ZJ_MATRIX_GAUSSIAN_SET_OP, 0, 0, 0.1f));
  zj_fn_push (s, cset (3, 0.01));
  zj_test_nn_step (pr, l);
}

/* Scalar-heavy: 12 scalar ops per example, 2 of them SLEEF calls. */
static void
scalar_heavy (zj_program *p)
{
  zj_fn *s = &p->fn[ZJ_SETUP], *pr = &p->fn[ZJ_PREDICT], *l = &p->fn[ZJ_LEARN];
  zj_fn_push (s, cset (2, 0.05));
  zj_fn_push (pr, zj_test_ins (ZJ_VECTOR_MEAN_OP, 0, 0, 4));
  zj_fn_push (pr, zj_test_ins (ZJ_SCALAR_PRODUCT_OP, 4, 3, 5));
  zj_fn_push (pr, zj_test_ins (ZJ_SCALAR_SIN_OP, 5, 0, 6));
  zj_fn_push (pr, zj_test_ins (ZJ_SCALAR_MAX_OP, 6, 5, 7));
  zj_fn_push (pr, zj_test_ins (ZJ_SCALAR_SUM_OP, 7, 3, 1));
  zj_fn_push (l, zj_test_ins (ZJ_SCALAR_DIFF_OP, 0, 1, 4));
  zj_fn_push (l, zj_test_ins (ZJ_SCALAR_PRODUCT_OP, 2, 4, 4));
  zj_fn_push (l, zj_test_ins (ZJ_SCALAR_ARCTAN_OP, 4, 0, 6));
  zj_fn_push (l, zj_test_ins (ZJ_SCALAR_ABS_OP, 6, 0, 7));
  zj_fn_push (l, zj_test_ins (ZJ_SCALAR_MIN_OP, 7, 2, 7));
  zj_fn_push (l, zj_test_ins (ZJ_SCALAR_SUM_OP, 3, 4, 3));
  zj_fn_push (l, zj_test_ins (ZJ_SCALAR_DIVISION_OP, 3, 2, 5));
}

static zj_task *
make_task (int F, int ntr, int nva, int epochs)
{
  zj_task *t = calloc (1, sizeof *t);
  zj_rng r;
  zj_rng_seed (&r, 7);
  t->F = F; t->n_train = ntr; t->n_valid = nva; t->epochs = epochs;
  t->eval_type = ZJ_RMS_ERROR;
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
  return t;
}

/* Median ns per example over reps evaluations (jit entry or interpreter). */
static double
time_eval (zj_jit_entry *e, const zj_prepared *pp, const zj_task *t,
           zj_workspace *ws, int reps, double *fitness)
{
  double ns[reps];
  const double examples = (double) t->epochs * (t->n_train + t->n_valid);
  for (int r = 0; r < reps; r++)
    {
      zj_rng rng;
      zj_rng_seed (&rng, 1);
      double t0 = zj_now_ns ();
      *fitness = e ? zj_jit_eval_task (e, pp, t, NULL, &rng, ws, NULL)
                   : zj_interp_eval_task (pp, t, NULL, &rng, ws, NULL);
      ns[r] = (zj_now_ns () - t0) / examples;
    }
  zj_sort_doubles (ns, (size_t) reps);
  return ns[reps / 2];
}

static void
bench (const char *name, void (*build) (zj_program *), zj_shape shape, int reps,
       int opt_lo, int opt_hi, const char *isa)
{
  zj_program p;
  zj_program_init (&p);
  build (&p);
  zj_error err;
  zj_prepared *pp = zj_prepare (&p, &shape, true, &err);
  if (!pp)
    {
      fprintf (stderr, "%s: %s\n", name, err.msg);
      exit (1);
    }
  zj_task *t = make_task (shape.F, 1000, 100, 2);
  zj_workspace *ws = zj_workspace_new (&shape);
  double fi, fj;
  const double ti = time_eval (NULL, pp, t, ws, reps, &fi);
  for (int opt = opt_lo; opt <= opt_hi; opt++)
    {
      zj_jit_opts o;
      zj_jit_opts_default (&o);
      o.opt_level = opt;
      o.isa = isa;
      zj_jit *jit = zj_jit_new (&o, &err);
      zj_jit_entry *e = jit ? zj_jit_get (jit, pp, t->eval_type, &err) : NULL;
      if (!e)
        {
          fprintf (stderr, "%s -O%d: %s\n", name, opt, err.msg);
          exit (1);
        }
      zj_jit_stats st;
      zj_jit_get_stats (jit, &st);
      const double tj = time_eval (e, pp, t, ws, reps, &fj);
      const double saved = ti - tj;
      printf ("%-12s F=%-2d -O%d  compile %7.1f ms  interp %7.1f ns/ex  jit %7.1f ns/ex"
              "  speedup %5.2fx  break-even %s%.0f examples  %s\n",
              name, shape.F, opt, st.compile_ms, ti, tj, ti / tj,
              saved > 0 ? "" : "never ", saved > 0 ? st.compile_ms * 1e6 / saved : 0.0,
              memcmp (&fi, &fj, sizeof fi) == 0 ? "same fitness" : "FITNESS DIFFERS");
      zj_jit_release (jit, e);
      zj_jit_free (jit);
    }
  zj_workspace_free (ws);
  zj_task_free (t);
  free (t);
  zj_prepared_free (pp);
  zj_program_free (&p);
}

int
main (int argc, char **argv)
{
  int reps = 15, opt_lo = 0, opt_hi = 3;
  const char *isa = NULL;
  for (int i = 1; i < argc; i++)
    {
      if (!strcmp (argv[i], "--reps") && i + 1 < argc)
        reps = atoi (argv[++i]);
      else if (!strcmp (argv[i], "--opt") && i + 1 < argc)
        opt_lo = opt_hi = atoi (argv[++i]);
      else if (!strcmp (argv[i], "--isa") && i + 1 < argc)
        isa = argv[++i];
      else if (!strcmp (argv[i], "--samples") && i + 1 < argc)
        reps = atoi (argv[++i]);
      else
        {
          fprintf (stderr, "usage: %s [--reps N] [--opt L] [--isa auto|avx2|avx|sse2]\n", argv[0]);
          return 2;
        }
    }
  if (reps < 1)
    reps = 1;
  printf ("# task: 1000 train x 2 epochs + 100 valid per epoch; median of %d runs\n", reps);
  bench ("LINEAR", linear, (zj_shape) { 4, 4, 3, 1 }, reps, opt_lo, opt_hi, isa);
  bench ("NEURAL_NET", neural_net, (zj_shape) { 16, 5, 9, 2 }, reps, opt_lo, opt_hi, isa);
  bench ("SCALAR_HEAVY", scalar_heavy, (zj_shape) { 4, 8, 2, 1 }, reps, opt_lo, opt_hi, isa);
  return 0;
}
