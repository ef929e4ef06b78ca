/* bench_chunk_outer.c -- can a stencil chain gain by running chunk-outer?
 *
 * The lane layout (doc/baseline_tier.md): element e of task t at
 * [e * L + t], L = 16 lanes as 2 chunks of 8 (zmm).  A stencil chain runs
 * op-outer: each op loops over both chunks of its operands, so an F = 16
 * matrix (32 KiB over 16 lanes) streams whole through each op.  A chain
 * with no dispatch between ops could run chunk-outer instead: for each
 * chunk, every op on that chunk only, halving the working set.  This
 * models both with plain AVX-512 loops on paper-setting-like steps (the
 * example row read from a 16 MiB training set, as v0 is) and prints ns per
 * example (all lanes) and per task-example (10 tasks), median of REPS
 * alternated runs, process CPU time; both orders must give the same bits.
 *   make bench/bench_chunk_outer && bench/bench_chunk_outer [REPS]
 *   bench/bench_chunk_outer REPS PROGRAM op|chunk   (one program, one
 *   order: for perf stat)
 * -DCHUNK_MAJOR builds the same for the other layout, chunk-major.
 * Result (bench/RESULTS.md, "Chunk-outer stencil chains"): in the lane
 * layout a chunk is one cache line, a chunk's lines fill only half of the
 * L1 sets, and chunk-outer is slower on matrix programs; it pays only in
 * the chunk-major layout.
 */
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bench_standalone.h"

enum { F = 16, C = 2, TASKS = 10, NEX = 8000, PASSES = 4 };
typedef __m512d V;

/* Vector element e chunk q; matrix element (c, r) chunk q, as the stencils
   address them (jit/stencil_ops.c). */
#ifndef CHUNK_MAJOR
#define VI(e, q) ((e) * C + (q))
#define MI(c, r, q) (((c) * F + (r)) * C + (q))
#define ME(i, q) ((i) * C + (q))
#define LAYOUT "element-major (the lane layout)"
#else
/* The alternative: chunk q of every element together ([q][e]), so one
   chunk of a matrix is 16 contiguous KiB (-DCHUNK_MAJOR). */
#define VI(e, q) ((q) * F + (e))
#define ME(i, q) ((q) * F * F + (i))
#define MI(c, r, q) ((q) * F * F + (c) * F + (r))
#define LAYOUT "chunk-major ([chunk][element])"
#endif

#define INL static inline __attribute__ ((always_inline))
/* Ends every op: a stencil reads its operands from memory and stores its
   result, so no value may stay in a register from one op to the next. */
#define OP_END() __asm__ volatile ("" ::: "memory")

INL void
op_vadd (V *o, const V *a, const V *b, int q0, int q1)
{
  for (int i = 0; i < F; i++)
    for (int q = q0; q < q1; q++)
      o[VI (i, q)] = _mm512_add_pd (a[VI (i, q)], b[VI (i, q)]);
  OP_END ();
}

INL void
op_madd (V *o, const V *a, const V *b, int q0, int q1)
{
  for (int i = 0; i < F * F; i++)
    for (int q = q0; q < q1; q++)
      o[ME (i, q)] = _mm512_add_pd (a[ME (i, q)], b[ME (i, q)]);
  OP_END ();
}

INL void
op_ssub (V *o, const V *a, const V *b, int q0, int q1)
{
  for (int q = q0; q < q1; q++)
    o[q] = _mm512_sub_pd (a[q], b[q]);
  OP_END ();
}

INL void
op_smul (V *o, const V *a, const V *b, int q0, int q1)
{
  for (int q = q0; q < q1; q++)
    o[q] = _mm512_mul_pd (a[q], b[q]);
  OP_END ();
}

/* o = s * b (scalar times vector). */
INL void
op_scale (V *o, const V *s, const V *b, int q0, int q1)
{
  for (int i = 0; i < F; i++)
    for (int q = q0; q < q1; q++)
      o[VI (i, q)] = _mm512_mul_pd (s[q], b[VI (i, q)]);
  OP_END ();
}

/* o(c, r) = a[r] * b[c]. */
INL void
op_outer (V *o, const V *a, const V *b, int q0, int q1)
{
  for (int c = 0; c < F; c++)
    for (int r = 0; r < F; r++)
      for (int q = q0; q < q1; q++)
        o[MI (c, r, q)] = _mm512_mul_pd (a[VI (r, q)], b[VI (c, q)]);
  OP_END ();
}

/* o = M b: 16 accumulators (rows x chunks) in registers, into t, copied. */
INL void
op_matvec (V *o, const V *m, const V *b, V *t, int q0, int q1)
{
  const int nq = q1 - q0, R = 16 / nq;
  for (int r0 = 0; r0 < F; r0 += R)
    {
      V acc[16];
      for (int k = 0; k < R * nq; k++)
        acc[k] = _mm512_set1_pd (-0.0);
      for (int c = 0; c < F; c++)
        for (int rr = 0; rr < R; rr++)
          for (int q = q0; q < q1; q++)
            acc[rr * nq + q - q0] = _mm512_add_pd (
              acc[rr * nq + q - q0],
              _mm512_mul_pd (m[MI (c, r0 + rr, q)], b[VI (c, q)]));
      for (int rr = 0; rr < R; rr++)
        for (int q = q0; q < q1; q++)
          t[VI (r0 + rr, q)] = acc[rr * nq + q - q0];
    }
  for (int i = 0; i < F; i++)
    for (int q = q0; q < q1; q++)
      o[VI (i, q)] = t[VI (i, q)];
  OP_END ();
}

/* o = dot(a, b), four accumulators, (l0 + l1) + (l2 + l3). */
INL void
op_dot (V *o, const V *a, const V *b, int q0, int q1)
{
  for (int q = q0; q < q1; q++)
    {
      V l[4];
      for (int k = 0; k < 4; k++)
        l[k] = _mm512_set1_pd (-0.0);
      for (int i = 0; i < F; i++)
        l[i % 4] = _mm512_add_pd (l[i % 4], _mm512_mul_pd (a[VI (i, q)], b[VI (i, q)]));
      o[q] = _mm512_add_pd (_mm512_add_pd (l[0], l[1]), _mm512_add_pd (l[2], l[3]));
    }
  OP_END ();
}

/* Memory of one evaluation: scalars, vectors, matrices, scratch. */
typedef struct mem {
  V s[8][C];
  V v[10][F * C];
  V m[3][F * F * C];
  V t[F * C];
} mem;

/* A program: predict and learn over all chunks (op-outer) and over one
   chunk each (chunk-outer), each compiled with constant chunk bounds as a
   stencil is. */
typedef void (*pfn) (mem *, const V *row);
typedef void (*lfn) (mem *, const V *row, const V *label);
typedef struct prog {
  const char *name, *text;
  pfn predict_all, predict_q[C];
  lfn learn_all, learn_q[C];
} prog;

#define WRAP(P, L)                                                           \
  static __attribute__ ((noinline)) void P##_all (mem *M, const V *r) { P (M, r, 0, C); } \
  static __attribute__ ((noinline)) void P##_0 (mem *M, const V *r) { P (M, r, 0, 1); } \
  static __attribute__ ((noinline)) void P##_1 (mem *M, const V *r) { P (M, r, 1, 2); } \
  static __attribute__ ((noinline)) void L##_all (mem *M, const V *r, const V *l) { L (M, r, l, 0, C); } \
  static __attribute__ ((noinline)) void L##_0 (mem *M, const V *r, const V *l) { L (M, r, l, 0, 1); } \
  static __attribute__ ((noinline)) void L##_1 (mem *M, const V *r, const V *l) { L (M, r, l, 1, 2); }
#define PROG(N, T, P, L) { N, T, P##_all, { P##_0, P##_1 }, L##_all, { L##_0, L##_1 } }

/* The brief's: a matrix written in Learn, read by Predict's matvec. */
INL void
p1_predict (mem *M, const V *row, int q0, int q1)
{
  op_matvec (M->v[6], M->m[0], M->v[7], M->t, q0, q1);
  op_vadd (M->v[5], M->v[6], row, q0, q1);
  op_dot (M->s[1], M->v[5], row, q0, q1);
}

INL void
p1_learn (mem *M, const V *row, const V *label, int q0, int q1)
{
  op_ssub (M->s[4], label, M->s[1], q0, q1);
  op_scale (M->v[4], M->s[4], M->v[2], q0, q1);
  op_outer (M->m[0], M->v[4], row, q0, q1);
  op_madd (M->m[0], M->m[0], M->m[0], q0, q1);
  op_madd (M->m[0], M->m[0], M->m[0], q0, q1);
}

/* bench/layout/matvec_learn.txt: two matrices (64 KiB over 16 lanes). */
INL void
p2_predict (mem *M, const V *row, int q0, int q1)
{
  op_matvec (M->v[3], M->m[0], row, M->t, q0, q1);
  op_matvec (M->v[4], M->m[0], M->v[3], M->t, q0, q1);
  op_dot (M->s[1], M->v[4], M->v[2], q0, q1);
}

INL void
p2_learn (mem *M, const V *row, const V *label, int q0, int q1)
{
  op_ssub (M->s[4], label, M->s[1], q0, q1);
  op_smul (M->s[4], M->s[3], M->s[4], q0, q1);
  op_scale (M->v[6], M->s[4], row, q0, q1);
  op_outer (M->m[1], M->v[6], M->v[2], q0, q1);
  op_madd (M->m[0], M->m[0], M->m[1], q0, q1);
}

/* Three matrices: m2 = m0 + m1 as well (96 KiB). */
INL void
p3_learn (mem *M, const V *row, const V *label, int q0, int q1)
{
  p2_learn (M, row, label, q0, q1);
  op_madd (M->m[2], M->m[0], M->m[1], q0, q1);
  op_madd (M->m[0], M->m[2], M->m[1], q0, q1);
}

/* Vectors only (control: nothing to gain). */
INL void
p4_predict (mem *M, const V *row, int q0, int q1)
{
  op_vadd (M->v[5], M->v[3], M->v[6], q0, q1);
  op_dot (M->s[3], M->v[1], M->v[5], q0, q1);
  op_vadd (M->v[7], M->v[4], M->v[1], q0, q1);
  op_dot (M->s[1], row, M->v[5], q0, q1);
}

INL void
p4_learn (mem *M, const V *row, const V *label, int q0, int q1)
{
  op_vadd (M->v[2], M->v[7], M->v[4], q0, q1);
  op_ssub (M->s[1], label, M->s[1], q0, q1);
  op_vadd (M->v[3], M->v[2], M->v[5], q0, q1);
  op_scale (M->v[4], M->s[1], row, q0, q1);
}

WRAP (p1_predict, p1_learn)
WRAP (p2_predict, p2_learn)
WRAP (p4_predict, p4_learn)
static __attribute__ ((noinline)) void p3_learn_all (mem *M, const V *r, const V *l) { p3_learn (M, r, l, 0, C); }
static __attribute__ ((noinline)) void p3_learn_0 (mem *M, const V *r, const V *l) { p3_learn (M, r, l, 0, 1); }
static __attribute__ ((noinline)) void p3_learn_1 (mem *M, const V *r, const V *l) { p3_learn (M, r, l, 1, 2); }

static const prog progs[] = {
  PROG ("outer_madd", "Learn m0=outer(v4,v0); m0=m0+m0 x2; Predict v6=m0.v7", p1_predict, p1_learn),
  PROG ("matvec_learn", "bench/layout/matvec_learn.txt (m0, m1)", p2_predict, p2_learn),
  PROG ("three_mats", "matvec_learn + m2=m0+m1; m0=m2+m1", p2_predict, p3_learn),
  PROG ("vectors", "stateful-like, vectors only", p4_predict, p4_learn),
};

static double
cpu_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void
init_mem (mem *M)
{
  double *d = (double *) M;
  size_t n = sizeof *M / sizeof *d;
  uint64_t x = 12345;
  for (size_t i = 0; i < n; i++)
    {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      d[i] = ((double) (x >> 11) / 9007199254740992.0 - 0.5) * 0.01;
    }
}

/* PASSES passes over the training set: Predict then Learn per example,
   op-outer (one call over both chunks) or chunk-outer (a call per chunk). */
static double
run (const prog *p, mem *M, const V *rows, const V *labels, int chunk_outer)
{
  init_mem (M);
  double t0 = cpu_ns ();
  for (int pass = 0; pass < PASSES; pass++)
    for (int e = 0; e < NEX; e++)
      {
        const V *row = rows + (size_t) e * F * C, *lab = labels + (size_t) e * C;
        if (chunk_outer)
          for (int q = 0; q < C; q++)
            {
              p->predict_q[q] (M, row);
              p->learn_q[q] (M, row, lab);
            }
        else
          {
            p->predict_all (M, row);
            p->learn_all (M, row, lab);
          }
      }
  return (cpu_ns () - t0) / ((double) PASSES * NEX);
}

/* Why: four ops (o[i] += o[i]) on a region, as op-outer (each op over the
   whole region) or chunk-outer (the four ops on one half, then on the
   other) with the halves made of alternate 64-byte lines (chunk q of the
   element-major layout) or contiguous (chunk-major); ns per vector per
   op, best of 5. */
static __attribute__ ((noinline)) void
rmw (V *m, int n, int stride, int q)
{
  for (int i = 0; i < n; i++)
    m[i * stride + q] = _mm512_add_pd (m[i * stride + q], m[i * stride + q]);
}

static void
sweep (void)
{
  V *m = aligned_alloc (4096, 128 << 10);
  if (!m)
    return;
  memset (m, 0, 128 << 10);
  printf ("\nL1 residency: 4 ops o += o over a region, ns per 64-byte vector per op, best of 5\n");
  printf ("%-10s %12s %30s %30s\n", "region", "op-outer", "chunk-outer, alternate lines",
          "chunk-outer, contiguous halves");
  for (int kib = 16; kib <= 96; kib += 16)
    {
      const int n = kib * 1024 / 64, R = 1000000 / n;
      double best[3] = { 1e30, 1e30, 1e30 };
      for (int rep = 0; rep < 5; rep++)
        for (int mode = 0; mode < 3; mode++)
          {
            double t0 = cpu_ns ();
            for (int r = 0; r < R; r++)
              if (mode == 0)
                for (int k = 0; k < 4; k++)
                  rmw (m, n, 1, 0);
              else
                for (int q = 0; q < 2; q++)
                  for (int k = 0; k < 4; k++)
                    if (mode == 1)
                      rmw (m, n / 2, 2, q);
                    else
                      rmw (m + q * (n / 2), n / 2, 1, 0);
            double t = (cpu_ns () - t0) / ((double) R * n * 4);
            if (t < best[mode])
              best[mode] = t;
          }
      printf ("%3d KiB %15.3f %30.3f %30.3f\n", kib, best[0], best[1], best[2]);
    }
  free (m);
}

int
main (int argc, char **argv)
{
  const int reps = bench_reps (argc, argv, 7);
  if (!bench_has_avx512 ("bench_chunk_outer"))
    return 77;
  V *rows = aligned_alloc (64, sizeof (V) * (size_t) NEX * F * C);
  V *labels = aligned_alloc (64, sizeof (V) * (size_t) NEX * C);
  mem *M = aligned_alloc (64, sizeof *M), *M2 = aligned_alloc (64, sizeof *M);
  if (!rows || !labels || !M || !M2)
    return 1;
  double *rd = (double *) rows;
  for (size_t i = 0; i < (size_t) NEX * F * C * 8; i++)
    rd[i] = (double) ((i * 2654435761u) % 1000) / 1000.0 - 0.5;
  for (size_t i = 0; i < (size_t) NEX * C * 8; i++)
    ((double *) labels)[i] = (double) (i % 2);
  if (argc > 3)
    {
      for (size_t pi = 0; pi < sizeof progs / sizeof *progs; pi++)
        if (!strcmp (progs[pi].name, argv[2]))
          for (int r = 0; r < reps; r++)
            printf ("%s %s %.1f ns per example\n", argv[2], argv[3],
                    run (&progs[pi], M, rows, labels, !strcmp (argv[3], "chunk")));
      return 0;
    }
  printf ("layout: %s\n", LAYOUT);
  printf ("%-14s %12s %12s %12s %12s %8s  %s\n", "program", "op-outer", "chunk-outer",
          "op/task-ex", "chunk/task-ex", "gain", "(ns per example over 16 lanes; per task-example = /10)");
  for (size_t pi = 0; pi < sizeof progs / sizeof *progs; pi++)
    {
      const prog *p = &progs[pi];
      double a[101], b[101];
      for (int r = 0; r < reps; r++)
        {
          a[r] = run (p, M, rows, labels, 0);
          b[r] = run (p, M2, rows, labels, 1);
        }
      if (memcmp (M, M2, sizeof *M) != 0)
        {
          fprintf (stderr, "%s: op-outer and chunk-outer differ\n", p->name);
          return 1;
        }
      qsort (a, (size_t) reps, sizeof *a, bench_cmpd);
      qsort (b, (size_t) reps, sizeof *b, bench_cmpd);
      double ma = a[reps / 2], mb = b[reps / 2];
      printf ("%-14s %12.1f %12.1f %12.2f %12.2f %7.2fx  %s\n", p->name, ma, mb,
              ma / TASKS, mb / TASKS, ma / mb, p->text);
    }
  sweep ();
  free (rows);
  free (labels);
  free (M);
  free (M2);
  return 0;
}
