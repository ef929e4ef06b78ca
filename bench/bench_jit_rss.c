/* bench_jit_rss.c -- resident memory over many JIT compiles.
 *
 * Compiles N distinct structures (a cache of 64 entries, so old code is
 * evicted and released) and prints RSS every N/10 compiles and the mean
 * compile ms.  --workers R compiles in forked worker processes recycled
 * every R compiles (0 = in this process).
 * Usage: bench_jit_rss [--n 10000] [--workers 0] [--opt 1]
 */
#include <zerojit/jit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "rss.h"

/* A distinct small program for every i: LINEAR-like with varying ops. */
static void
program (zj_program *p, int i)
{
  static const int ops[] = { ZJ_SCALAR_SUM_OP, ZJ_SCALAR_DIFF_OP, ZJ_SCALAR_PRODUCT_OP,
                             ZJ_SCALAR_MAX_OP };
  zj_program_init (p);
  zj_instr in;
  memset (&in, 0, sizeof in);
  in.op = ZJ_VECTOR_INNER_PRODUCT_OP; in.in1 = 1; in.in2 = 0; in.out = 1;
  zj_fn_push (&p->fn[ZJ_PREDICT], in);
  for (int k = 0; k < 6; k++)
    {
      memset (&in, 0, sizeof in);
      in.op = (uint16_t) ops[(i >> (2 * k)) & 3];
      in.in1 = (uint16_t) (k % 3 + 1); in.in2 = 0; in.out = (uint16_t) (k % 2 + 2);
      zj_fn_push (&p->fn[ZJ_LEARN], in);
    }
  memset (&in, 0, sizeof in);
  in.op = ZJ_SCALAR_VECTOR_PRODUCT_OP; in.in1 = 2; in.in2 = 0; in.out = 1;
  zj_fn_push (&p->fn[ZJ_LEARN], in);
}

int
main (int argc, char **argv)
{
  int n = 10000, workers = 0, opt = 1;
  for (int i = 1; i + 1 < argc; i += 2)
    {
      if (!strcmp (argv[i], "--n")) n = atoi (argv[i + 1]);
      else if (!strcmp (argv[i], "--workers")) workers = atoi (argv[i + 1]);
      else if (!strcmp (argv[i], "--opt")) opt = atoi (argv[i + 1]);
    }
  zj_jit_opts o;
  zj_jit_opts_default (&o);
  o.cache_max_entries = 64;
  o.worker_recycle = workers;
  o.opt_level = opt;
  zj_error err;
  zj_jit *jit = zj_jit_new (&o, &err);
  if (!jit)
    {
      fprintf (stderr, "%s\n", err.msg);
      return 1;
    }
  zj_shape sh = { 4, 4, 3, 1 };
  printf ("compiles  rss_MB  (workers=%d, -O%d)\n%8d  %6.1f\n", workers, opt, 0, bench_rss_mb ());
  for (int i = 0; i < n; i++)
    {
      zj_program p;
      program (&p, i);
      /* i >= 4096 repeats structures; vary the eval type and F instead. */
      zj_shape s = sh;
      s.F = (i >> 12) & 1 ? 8 : 4;
      zj_prepared *pp = zj_prepare (&p, &s, false, &err);
      zj_jit_entry *e = zj_jit_get (jit, pp, (i >> 13) & 1 ? ZJ_ACCURACY : ZJ_RMS_ERROR, &err);
      if (!e)
        {
          fprintf (stderr, "compile %d: %s\n", i, err.msg);
          return 1;
        }
      zj_jit_release (jit, e);
      zj_prepared_free (pp);
      zj_program_free (&p);
      if ((i + 1) % (n / 10 ? n / 10 : 1) == 0)
        printf ("%8d  %6.1f\n", i + 1, bench_rss_mb ());
    }
  zj_jit_stats st;
  zj_jit_get_stats (jit, &st);
  printf ("compiles %ld, failures %ld, evictions %ld, mean compile %.1f ms\n",
          st.compiles, st.failures, st.evictions, st.compile_ms / (st.compiles ? st.compiles : 1));
  zj_jit_free (jit);
  return 0;
}
