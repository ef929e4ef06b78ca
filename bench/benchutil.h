/* benchutil.h -- what the bench programs share: thread CPU time (the
 * machine is shared, wall time counts other jobs), wall time, and sorting
 * the timed runs for their median or fastest. */
#ifndef ZJ_BENCHUTIL_H
#define ZJ_BENCHUTIL_H

#include <stdlib.h>
#include <time.h>

/* CPU time of the calling thread, in ns. */
static inline double
bench_thread_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}

/* Monotonic wall time, in ns. */
static inline double
bench_wall_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}

static inline int
bench_cmp_double (const void *a, const void *b)
{
  const double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* Sorts t[0..n) ascending. */
static inline void
bench_sort (double *t, size_t n)
{
  qsort (t, n, sizeof *t, bench_cmp_double);
}

#endif
