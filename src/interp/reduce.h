/* reduce.h -- the canonical order of every floating-point reduction.
 *
 * Sums are not associative, so the interpreter and the JIT must add in the
 * same order to agree bit for bit.  We fix a SIMD-friendly order: L = min(4,n)
 * lane accumulators starting at -0.0, element i added to lane i % L in index
 * order, lanes combined as (l0 + l1) + (l2 + l3) (or l0 + l1 when L = 2).
 * Every sum in every tier starts at -0.0, the exact identity of IEEE
 * addition (-0.0 + x == x for every x, +0.0 included): a sum of -0.0 terms
 * is -0.0, as plain IEEE addition gives, where a +0.0 start would give +0.0
 * (doc/deviations.md).
 * Products are rounded before they are added (no FMA: -ffp-contract=off).
 * n is a compile-time constant at every call site, so these unroll.
 */
#ifndef ZJ_REDUCE_H
#define ZJ_REDUCE_H

static inline __attribute__ ((always_inline)) double
zj_combine_lanes (const double *acc, int L)
{
  return L == 4 ? (acc[0] + acc[1]) + (acc[2] + acc[3]) : acc[0] + acc[1];
}

static inline __attribute__ ((always_inline)) double
zj_rsum (const double *x, int n)
{
  double acc[4] = { -0.0, -0.0, -0.0, -0.0 };
  const int L = n < 4 ? n : 4;
  for (int i = 0; i < n; i += L)
    for (int l = 0; l < L; l++)
      acc[l] += x[i + l];
  return zj_combine_lanes (acc, L);
}

static inline __attribute__ ((always_inline)) double
zj_rdot (const double *x, const double *y, int n)
{
  double acc[4] = { -0.0, -0.0, -0.0, -0.0 };
  const int L = n < 4 ? n : 4;
  for (int i = 0; i < n; i += L)
    for (int l = 0; l < L; l++)
      {
        double p = x[i + l] * y[i + l];
        acc[l] += p;
      }
  return zj_combine_lanes (acc, L);
}

#endif
