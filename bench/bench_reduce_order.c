/* bench_reduce_order.c -- what a balanced-tree summation order would cost.
 *
 * Our canonical order (src/interp/reduce.h) sums vectors in four lane
 * accumulators and matrix rows sequentially over the columns.  A balanced
 * (pairwise) tree sums 2^k equal values exactly, which the original's order
 * does and ours does not (the std of a constant row, doc/deviations.md).
 * This program runs std and dot kernels of both orders for one F so that
 * valgrind --tool=callgrind can count their instructions:
 *
 *   valgrind --tool=callgrind --toggle-collect=measure \
 *     bench/bench_reduce_order {lane|tree} {dot|vstd|rowstd} F ITERS
 *
 * (bench/bench_reduce_order.sh runs every case and prints a table).  It
 * also checks the claim: the tree gives std exactly 0 for constant rows.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "reduce.h"

#define MAXF 32

/* Pairwise tree by halves: element i + h is added to element i, h = n/2,
   n/4, ... 1 (n a power of two), the order a SIMD tree reduction uses. */
static inline __attribute__ ((always_inline)) double
tree_sum (const double *x, int n, double *t)
{
  memcpy (t, x, sizeof (double) * (size_t) n);
  for (int h = n / 2; h >= 1; h /= 2)
    for (int i = 0; i < h; i++)
      t[i] += t[i + h];
  return t[0];
}

static inline __attribute__ ((always_inline)) double
tree_dot (const double *x, const double *y, int n, double *t)
{
  for (int i = 0; i < n; i++)
    t[i] = x[i] * y[i];
  for (int h = n / 2; h >= 1; h /= 2)
    for (int i = 0; i < h; i++)
      t[i] += t[i + h];
  return t[0];
}

/* Row sums of a column-major F x F matrix: columns added pairwise by
   halves, vectorised across rows (scratch of F*F/2 doubles). */
static inline __attribute__ ((always_inline)) void
tree_rows (const double *a, int F, bool square, double *acc, double *t)
{
  const int h0 = F / 2;
  for (int c = 0; c < h0; c++)
    for (int r = 0; r < F; r++)
      {
        double x = a[c * F + r], y = a[(c + h0) * F + r];
        if (square)
          {
            x = x * x;
            y = y * y;
          }
        t[c * F + r] = x + y;
      }
  for (int h = h0 / 2; h >= 1; h /= 2)
    for (int c = 0; c < h; c++)
      for (int r = 0; r < F; r++)
        t[c * F + r] += t[(c + h) * F + r];
  memcpy (acc, t, sizeof (double) * (size_t) F);
}

/* Sequential over the columns, from -0.0 (kernels.h ZJ_ROW_ACC). */
static inline __attribute__ ((always_inline)) void
lane_rows (const double *a, int F, bool square, double *acc)
{
  for (int r = 0; r < F; r++)
    acc[r] = -0.0;
  for (int c = 0; c < F; c++)
    for (int r = 0; r < F; r++)
      {
        double x = a[c * F + r];
        double t = square ? x * x : x;
        acc[r] += t;
      }
}

typedef struct kase { int tree, op, F; } kase;
enum { DOT, VSTD, ROWSTD };

#define BODY(F) \
  do { \
    double t[F * F], s1[F], s2[F]; \
    if (k->op == DOT) \
      *out += k->tree ? tree_dot (x, y, F, t) : zj_rdot (x, y, F); \
    else if (k->op == VSTD) \
      { \
        double m = (k->tree ? tree_sum (x, F, t) : zj_rsum (x, F)) / F; \
        double q = (k->tree ? tree_dot (x, x, F, t) : zj_rdot (x, x, F)) / F; \
        *out += sqrt (q - m * m); \
      } \
    else \
      { \
        if (k->tree) { tree_rows (m, F, false, s1, t); tree_rows (m, F, true, s2, t); } \
        else { lane_rows (m, F, false, s1); lane_rows (m, F, true, s2); } \
        for (int r = 0; r < F; r++) \
          { double mu = s1[r] / F; *out += sqrt (s2[r] / F - mu * mu); } \
      } \
  } while (0)

/* One evaluation of the kernel; F a constant in each branch, as in the
   interpreter's specialised loops. */
static __attribute__ ((noinline)) void
one (const kase *k, const double *x, const double *y, const double *m, double *out)
{
  switch (k->F)
    {
    case 2: BODY (2); break;
    case 4: BODY (4); break;
    case 8: BODY (8); break;
    case 16: BODY (16); break;
    case 32: BODY (32); break;
    default: abort ();
    }
}

__attribute__ ((noinline, noclone)) double
measure (const kase *k, long iters, const double *x, const double *y, const double *m)
{
  double out = 0;
  for (long i = 0; i < iters; i++)
    one (k, x, y, m, &out);
  return out;
}

int
main (int argc, char **argv)
{
  if (argc != 5)
    {
      fprintf (stderr, "usage: %s {lane|tree} {dot|vstd|rowstd} F ITERS\n", argv[0]);
      return 2;
    }
  kase k = { strcmp (argv[1], "tree") == 0,
             strcmp (argv[2], "dot") == 0 ? DOT : strcmp (argv[2], "vstd") == 0 ? VSTD
             : ROWSTD, atoi (argv[3]) };
  const long iters = atol (argv[4]);
  double x[MAXF], y[MAXF], m[MAXF * MAXF];
  static const double row[8] = { 0.1, 0.2, 0.3, 0.7, 1.1, 1.3, 2.9, 0.6 };
  for (int i = 0; i < MAXF; i++)
    {
      x[i] = row[i % 8] * (1 + i / 8);
      y[i] = 1.0 / (i + 1);
    }
  /* Constant rows (bcast of x along the columns): std must be 0. */
  for (int c = 0; c < k.F; c++)
    for (int r = 0; r < k.F; r++)
      m[c * k.F + r] = x[r];
  double check = 0;
  kase rs = { k.tree, ROWSTD, k.F };
  one (&rs, x, y, m, &check);
  double r = measure (&k, iters, x, y, m);
  printf ("%s %s F=%d: result %.17g; sum of std over constant rows %.17g\n",
          argv[1], argv[2], k.F, r, check);
  return 0;
}
