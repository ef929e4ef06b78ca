/* rss.h -- this process's resident memory, for the memory benchmarks. */
#ifndef ZEROJIT_BENCH_RSS_H
#define ZEROJIT_BENCH_RSS_H

#include <stdio.h>
#include <unistd.h>

/* Resident set size in MiB (/proc/self/statm), 0 when unreadable. */
static inline double
bench_rss_mb (void)
{
  long pages = 0, res = 0;
  FILE *f = fopen ("/proc/self/statm", "r");
  if (f)
    {
      if (fscanf (f, "%ld %ld", &pages, &res) != 2)
        res = 0;
      fclose (f);
    }
  return res * (double) sysconf (_SC_PAGESIZE) / 1048576.0;
}

#endif
