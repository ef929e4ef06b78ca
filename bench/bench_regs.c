/* bench_regs.c -- what would lane code gain by keeping values in registers?
 *
 * The baseline tier's stencils (doc/baseline_tier.md) read every operand
 * from memory and store every result, and the lane evaluator calls
 * Predict and Learn once per example, checking the prediction in C in
 * between.  On small programs a step is then a chain of store-to-load
 * round trips, and stencils run at 1.0-1.25x the lane interpreter
 * (bench/RESULTS.md).  This models one training step of two such programs
 * in three forms with plain AVX-512 code (10 tasks in 16 lanes, 2 chunks
 * of 8, as the lane layout has them) and prints ns per example and per
 * task-example, median of REPS alternated runs, process CPU time; every
 * form must leave the same bits:
 *   stencil    each op loads its operands and stores its result; Predict
 *              and Learn are calls per example, the check is in C between
 *              them (what copied stencils do);
 *   component  values stay in registers within Predict and within Learn,
 *              still a call each per example (what the fused tier does);
 *   loop       one function runs the whole block of steps with the
 *              program's memory in registers and the check inline: the
 *              floor a register-resident baseline could reach.
 * Programs: linreg (the demo's: F = 4, RMS, s1 = dot(v1, v0); s3 = s0 -
 * s1; s3 = s2 * s3; v2 = s3 * v0; v1 = v1 + v2) and tiny (the paper
 * setting's no-matrix class, bench/layout/tiny.txt: F = 16, ACCURACY, so
 * a SLEEF sigmoid between Predict and Learn).
 *   make bench/bench_regs && bench/bench_regs [REPS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bench_standalone.h"

#include "bench_regs.h"

static const prog progs[] = {
  { 4, false, 100, "linreg", "the demo's, 100 examples: F=4 RMS: s1 = dot(v1, v0); s3 = s0 - s1; s3 = s2 * s3; v2 = s3 * v0; v1 = v1 + v2" },
  { 4, false, NEX, "linreg8k", "the same on 8000 examples" },
  { 16, true, NEX, "tiny", "the paper's, 8000 examples: F=16 ACCURACY: s1 = dot(v2, v0); sigmoid; s4 = s0 - s1; s4 = s3 * s4; v6 = s4 * v0; v2 = v2 + v6" },
  { 16, true, 100, "tiny100", "the same on 100 examples (rows in cache)" },
};

static double
cpu_ns (void)
{
  struct timespec t;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double) t.tv_sec * 1e9 + (double) t.tv_nsec;
}

/* ---------------------------------------------------------------- stencil */
/* Slots: linreg s1 = dot(v1, v0), learn on s3, s2, v2, v1; tiny s1 =
   dot(v2, v0), learn on s4, s3, v6, v2.  w: the weight vector, g: the
   rate, t: the temporary scalar, u: the update vector. */
#define W(P) ((P)->acc ? 2 : 1)
#define G(P) ((P)->acc ? 3 : 2)
#define T(P) ((P)->acc ? 4 : 3)
#define U(P) ((P)->acc ? 6 : 2)

INL void
st_predict_in (const prog *p, mem *m, const V *x)
{
  for (int q = 0; q < C; q++)
    m->s[1][q] = dot (m->v[W (p)], x, p->F, q);
  OP_END ();
}

INL void
st_learn_in (const prog *p, mem *m, const V *x, const V *y)
{
  const int F = p->F, t = T (p), u = U (p), w = W (p), g = G (p);
  for (int q = 0; q < C; q++)
    m->s[t][q] = _mm512_sub_pd (y[q], m->s[1][q]);
  OP_END ();
  for (int q = 0; q < C; q++)
    m->s[t][q] = _mm512_mul_pd (m->s[g][q], m->s[t][q]);
  OP_END ();
  for (int e = 0; e < F; e++)
    for (int q = 0; q < C; q++)
      m->v[u][e * C + q] = _mm512_mul_pd (m->s[t][q], x[e * C + q]);
  OP_END ();
  for (int e = 0; e < F; e++)
    for (int q = 0; q < C; q++)
      m->v[w][e * C + q] = _mm512_add_pd (m->v[w][e * C + q], m->v[u][e * C + q]);
  OP_END ();
}

NOINLINE void
st_predict (const prog *p, mem *m, const V *x)
{
  st_predict_in (p, m, x);
}

NOINLINE void
st_learn (const prog *p, mem *m, const V *x, const V *y)
{
  st_learn_in (p, m, x, y);
}

/* The component form: the same ops without the boundaries. */
NOINLINE void
co_predict (const prog *p, mem *m, const V *x)
{
  for (int q = 0; q < C; q++)
    m->s[1][q] = dot (m->v[W (p)], x, p->F, q);
}

NOINLINE void
co_learn (const prog *p, mem *m, const V *x, const V *y)
{
  const int F = p->F, t = T (p), u = U (p), w = W (p), g = G (p);
  for (int q = 0; q < C; q++)
    {
      V s = _mm512_mul_pd (m->s[g][q], _mm512_sub_pd (y[q], m->s[1][q]));
      m->s[t][q] = s;
      for (int e = 0; e < F; e++)
        {
          V d = _mm512_mul_pd (s, x[e * C + q]);
          m->v[u][e * C + q] = d;
          m->v[w][e * C + q] = _mm512_add_pd (m->v[w][e * C + q], d);
        }
    }
}

/* Scalars in registers within Learn, vectors through memory: what
   stencils passing scalars in registers (vector arguments, a tail call to
   the next) would do. */
NOINLINE void
sr_learn (const prog *p, mem *m, const V *x, const V *y)
{
  const int F = p->F, t = T (p), u = U (p), w = W (p), g = G (p);
  V s[C];
  for (int q = 0; q < C; q++)
    s[q] = _mm512_sub_pd (y[q], m->s[1][q]);
  OP_END ();
  for (int q = 0; q < C; q++)
    s[q] = _mm512_mul_pd (m->s[g][q], s[q]);
  OP_END ();
  for (int e = 0; e < F; e++)
    for (int q = 0; q < C; q++)
      m->v[u][e * C + q] = _mm512_mul_pd (s[q], x[e * C + q]);
  OP_END ();
  for (int e = 0; e < F; e++)
    for (int q = 0; q < C; q++)
      m->v[w][e * C + q] = _mm512_add_pd (m->v[w][e * C + q], m->v[u][e * C + q]);
  for (int q = 0; q < C; q++)
    m->s[t][q] = s[q];
  OP_END ();
}

/* Steps k0.. of the forms that call per example; returns the first step
   whose check failed, or n. */
static int
run_calls (const prog *p, mem *m, const V *rows, const V *labels, int n,
           int form)
{
  const int F = p->F;
  for (int k = 0, j = 0; k < n; k++, j = j + 1 == p->nrows ? 0 : j + 1)
    {
      const V *x = rows + (size_t) j * F * C, *y = labels + (size_t) j * C;
      if (form != 1)
        st_predict (p, m, x);
      else
        co_predict (p, m, x);
      if (p->acc)
        for (int q = 0; q < C; q++)
          m->s[1][q] = sigmoid (m->s[1][q]);
      if (bad (y, m->s[1], p->acc ? 1.0 : 100.0))
        return k;
      if (form == 0)
        st_learn (p, m, x, y);
      else if (form == 1)
        co_learn (p, m, x, y);
      else
        sr_learn (p, m, x, y);
    }
  return n;
}

/* ------------------------------------------------------------------- loop */
/* The whole block in one function, F a constant: the weight vector, the
   rate and s1 in registers from the first step to the last. */
#define LOOP(NAME, FF, ACC)                                                   \
  NOINLINE int                                                                \
  NAME (const prog *p, mem *m, const V *rows, const V *labels, int n)        \
  {                                                                           \
    const int t = T (p), u = U (p), w = W (p), g = G (p);                     \
    V wv[FF * C], gs[C], s1[C], ts[C], uv[FF * C];                            \
    for (int i = 0; i < FF * C; i++)                                          \
      wv[i] = m->v[w][i];                                                     \
    for (int q = 0; q < C; q++)                                               \
      gs[q] = m->s[g][q];                                                     \
    int k = 0;                                                                \
    for (int j = 0; k < n; k++, j = j + 1 == p->nrows ? 0 : j + 1)            \
      {                                                                       \
        const V *x = rows + (size_t) j * FF * C, *y = labels + (size_t) j * C; \
        for (int q = 0; q < C; q++)                                           \
          s1[q] = dot (wv, x, FF, q);                                         \
        if (ACC)                                                              \
          for (int q = 0; q < C; q++)                                         \
            s1[q] = sigmoid (s1[q]);                                          \
        if (bad (y, s1, ACC ? 1.0 : 100.0))                                   \
          break;                                                              \
        for (int q = 0; q < C; q++)                                           \
          {                                                                   \
            ts[q] = _mm512_mul_pd (gs[q], _mm512_sub_pd (y[q], s1[q]));       \
            for (int e = 0; e < FF; e++)                                      \
              {                                                               \
                uv[e * C + q] = _mm512_mul_pd (ts[q], x[e * C + q]);          \
                wv[e * C + q] = _mm512_add_pd (wv[e * C + q], uv[e * C + q]); \
              }                                                               \
          }                                                                   \
      }                                                                       \
    /* Memory as the other forms leave it. */                                 \
    for (int i = 0; i < FF * C; i++)                                          \
      {                                                                       \
        m->v[w][i] = wv[i];                                                   \
        if (k > 0)                                                            \
          m->v[u][i] = uv[i];                                                 \
      }                                                                       \
    for (int q = 0; q < C; q++)                                               \
      {                                                                       \
        m->s[1][q] = s1[q];                                                   \
        if (k > 0)                                                            \
          m->s[t][q] = ts[q];                                                 \
      }                                                                       \
    return k;                                                                 \
  }
LOOP (loop_f4_rms, 4, 0)
LOOP (loop_f16_acc, 16, 1)

/* The stencils' memory round trips with the loop and the check in the
   chain: no call and no C between Predict and Learn (frame stencils). */
NOINLINE int
chain (const prog *p, mem *m, const V *rows, const V *labels, int n)
{
  const int F = p->F;
  for (int k = 0, j = 0; k < n; k++, j = j + 1 == p->nrows ? 0 : j + 1)
    {
      const V *x = rows + (size_t) j * F * C, *y = labels + (size_t) j * C;
      st_predict_in (p, m, x);
      if (p->acc)
        for (int q = 0; q < C; q++)
          m->s[1][q] = sigmoid (m->s[1][q]);
      if (bad (y, m->s[1], p->acc ? 1.0 : 100.0))
        return k;
      st_learn_in (p, m, x, y);
    }
  return n;
}

/* The forms in the order run () numbers them. */
enum { NFORMS = 8 };
static const char *const form_names[NFORMS] = {
  "stencil", "component", "loop", "sregs", "chain", "pin-loop", "pin-calls",
  "pin-spill"
};

/* The pinned forms exist for linreg's shape only (bench_regs_pinned.c). */
static bool
applies (const prog *p, int form)
{
  return form < 5 || (p->F == 4 && !p->acc);
}

/* Setup: the rate 0.01, weights 0; ns per example of one pass. */
static double
run (const prog *p, int form, mem *m, const V *rows, const V *labels, int *steps)
{
  memset (m, 0, sizeof *m);
  for (int q = 0; q < C; q++)
    m->s[G (p)][q] = _mm512_set1_pd (0.01);
  const double t0 = cpu_ns ();
  *steps = form == 7 ? pinned_spills (p, m, rows, labels, NEX)
           : form == 6 ? pinned_calls (p, m, rows, labels, NEX)
           : form == 5 ? pinned_loop (p, m, rows, labels, NEX)
           : form == 4 ? chain (p, m, rows, labels, NEX)
           : form == 2 ? (p->F == 16 ? loop_f16_acc (p, m, rows, labels, NEX)
                                : loop_f4_rms (p, m, rows, labels, NEX))
           : run_calls (p, m, rows, labels, NEX, form);
  return (cpu_ns () - t0) / NEX;
}

int
main (int argc, char **argv)
{
  const int reps = bench_reps (argc, argv, 15);
  if (!bench_has_avx512 ("bench_regs"))
    return 77;
  V *rows = aligned_alloc (64, sizeof (V) * (size_t) NEX * FMAX * C);
  V *labels = aligned_alloc (64, sizeof (V) * (size_t) NEX * C);
  mem *M[NFORMS];
  for (int f = 0; f < NFORMS; f++)
    if (!(M[f] = aligned_alloc (64, sizeof (mem))))
      return 1;
  if (!rows || !labels || !M[NFORMS - 1])
    return 1;
  printf ("ns per example over 16 lanes (10 tasks), median of %d; ratios: stencil / form\n", reps);
  printf ("%-9s", "program");
  for (int f = 0; f < NFORMS; f++)
    printf (" %10s", form_names[f]);
  for (int f = 1; f < NFORMS; f++)
    printf (" %9.9s", form_names[f]);
  printf ("\n");
  for (size_t pi = 0; pi < sizeof progs / sizeof *progs; pi++)
    {
      const prog *p = &progs[pi];
      /* Inputs in [-0.5, 0.5), labels a linear function (RMS) or 0/1. */
      double *rd = (double *) rows, *ld = (double *) labels;
      for (size_t i = 0; i < (size_t) NEX * p->F * C * 8; i++)
        rd[i] = (double) ((i * 2654435761u) % 1000) / 1000.0 - 0.5;
      for (size_t k = 0; k < NEX; k++)
        for (int l = 0; l < C * 8; l++)
          {
            double s = 0.0;
            for (int e = 0; e < p->F; e++)
              s += rd[(k * p->F + e) * C * 8 + l] * (e + 1) * 0.1;
            ld[k * C * 8 + l] = p->acc ? (s > 0.0) : s;
          }
      double tm[NFORMS][101], md[NFORMS];
      int steps[NFORMS];
      for (int r = 0; r < reps; r++)
        for (int f = 0; f < NFORMS; f++)
          if (applies (p, f))
            tm[f][r] = run (p, f, M[f], rows, labels, &steps[f]);
      for (int f = 1; f < NFORMS; f++)
        if (applies (p, f)
            && (steps[f] != steps[0] || memcmp (M[f], M[0], sizeof (mem)) != 0))
          {
            size_t at = 0;
            while (at < sizeof (mem)
                   && ((const char *) M[f])[at] == ((const char *) M[0])[at])
              at++;
            fprintf (stderr, "bench_regs: %s: %s and %s differ (steps %d and "
                     "%d, first at byte %zu)\n", p->name, form_names[0],
                     form_names[f], steps[0], steps[f], at);
            return 1;
          }
      printf ("%-9s", p->name);
      for (int f = 0; f < NFORMS; f++)
        if (applies (p, f))
          {
            qsort (tm[f], (size_t) reps, sizeof (double), bench_cmpd);
            md[f] = tm[f][reps / 2];
            printf (" %10.1f", md[f]);
          }
        else
          printf (" %10s", "-");
      for (int f = 1; f < NFORMS; f++)
        if (applies (p, f))
          printf (" %8.2fx", md[0] / md[f]);
        else
          printf (" %9s", "-");
      printf ("  %s\n", p->text);
    }
  for (int f = 0; f < NFORMS; f++)
    free (M[f]);
  free (rows);
  free (labels);
  return 0;
}
