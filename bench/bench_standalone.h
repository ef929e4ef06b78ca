/* bench_standalone.h -- what the standalone AVX-512 benches (bench_regs.c,
 * bench_chunk_outer.c: no zerojit library) share: the repetition count
 * from argv[1], the CPU check and a comparator for medians. */
#ifndef ZJ_BENCH_STANDALONE_H
#define ZJ_BENCH_STANDALONE_H

#include <stdio.h>
#include <stdlib.h>

/* argv[1] as a repetition count in 1..101, else def. */
static inline int
bench_reps (int argc, char **argv, int def)
{
  const int r = argc > 1 ? atoi (argv[1]) : def;
  return r >= 1 && r <= 101 ? r : def;
}

/* False, with a message naming the bench, on a CPU without AVX-512F
   (the caller exits 77: skipped). */
static inline int
bench_has_avx512 (const char *name)
{
  if (__builtin_cpu_supports ("avx512f"))
    return 1;
  fprintf (stderr, "%s: needs AVX-512F\n", name);
  return 0;
}

/* qsort's comparator for doubles, ascending. */
static inline int
bench_cmpd (const void *a, const void *b)
{
  const double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

#endif
