/* bench_fused.c -- one program's lane evaluations in one mode, for
 * instruction counts and perf: the lane interpreter, the baseline tier's
 * stencils or fused step kernels (jit/fused.h), the code made ready before
 * the timed part.  Prints thread CPU ns per task-example (median of the
 * runs) and the fitness, so runs in two modes can be compared under
 * `valgrind --tool=callgrind` or `perf stat` (bench/RESULTS.md, "Fused
 * step kernels").
 *   bench_fused MODE PROGRAM TASKS_FILE S,V,M RUNS
 *   MODE: lanes | baseline | fused
 */
#include "config.h"
#include "internal.h"
#include "baseline.h"
#include <zerojit/spec.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main (int argc, char **argv)
{
  if (argc != 6)
    {
      fprintf (stderr, "usage: bench_fused lanes|baseline|fused PROGRAM TASKS_FILE S,V,M RUNS\n");
      return 2;
    }
  const char *mode = argv[1];
  const bool native = strcmp (mode, "lanes") != 0, fused = !strcmp (mode, "fused");
  int ns = 0, nv = 0, nm = 0;
  const int runs = atoi (argv[5]);
  if (sscanf (argv[4], "%d,%d,%d", &ns, &nv, &nm) != 3 || runs < 1
      || (native && !fused && strcmp (mode, "baseline")))
    {
      fprintf (stderr, "bench_fused: bad arguments\n");
      return 2;
    }
  zj_error err = { "" };
  zj_program p;
  zj_program_init (&p);
  zj_task_collection coll = { 0 };
  zj_task *tasks = NULL;
  int n = 0;
  size_t len;
  char *text = zj_read_file (argv[3], &len, &err);
  if (!text || zj_program_load (argv[2], &p, &err) != 0
      || zj_task_collection_parse (text, argv[3], &coll, &err) != 0
      || zj_tasks_generate (&coll, &tasks, &n, &err) != 0 || n < 1)
    {
      fprintf (stderr, "bench_fused: %s\n", err.msg);
      return 1;
    }
  const zj_shape shape = { tasks[0].F, ns, nv, nm };
  zj_prepared *pp = zj_prepare (&p, &shape, true, &err);
  if (!pp)
    {
      fprintf (stderr, "bench_fused: %s\n", err.msg);
      return 1;
    }
  zj_workspace *ws = zj_workspace_new (&shape);
  zj_baseline *b = native ? zj_baseline_new (false) : NULL;
  if (fused)
    zj_baseline_set_fuse (b, 1, false, 0.0, NULL, NULL);
  if (b && zj_baseline_prepare (b, zj_prepared_program (pp), &shape, n) != 0)
    {
      fprintf (stderr, "bench_fused: no native code: %s\n", zj_baseline_error (b));
      return 1;
    }
  zj_baseline_attach (b, ws);
  const zj_task **ptrs = zj_xcalloc ((size_t) n, sizeof *ptrs);
  zj_eval_result *res = zj_xcalloc ((size_t) n, sizeof *res);
  double *fit = zj_xcalloc ((size_t) n, sizeof *fit);
  double *t = zj_xcalloc ((size_t) runs, sizeof *t);
  for (int i = 0; i < n; i++)
    ptrs[i] = &tasks[i];
  long ex = 0;
  for (int r = 0; r < runs; r++)
    {
      zj_rng rng;
      zj_rng_seed (&rng, 1);
      const double t0 = zj_thread_ns ();
      if (zj_interp_eval_lanes (pp, ptrs, n, NULL, &rng, 0, ws, res, fit) != 0)
        {
          fprintf (stderr, "bench_fused: the tasks cannot share lanes\n");
          return 1;
        }
      t[r] = zj_thread_ns () - t0;
      ex = 0;
      for (int i = 0; i < n; i++)
        ex += res[i].train_steps + tasks[i].n_valid;
    }
  zj_baseline_stats st = { 0 };
  if (b)
    zj_baseline_stats_get (b, &st);
  if (native && (!ws->native_used || (fused && st.fused_hits < runs)))
    {
      fprintf (stderr, "bench_fused: %s code did not run\n", mode);
      return 1;
    }
  zj_sort_doubles (t, (size_t) runs);
  printf ("%s: %.2f ns per task-example (median of %d runs, %ld examples each), "
          "fitness %.17g\n", mode, t[runs / 2] / (double) ex, runs, ex,
          zj_combine_fitness (fit, n, ZJ_COMBINE_MEAN));
  zj_baseline_free (b);
  zj_workspace_free (ws);
  zj_prepared_free (pp);
  zj_program_free (&p);
  free (text);
  free (t);
  free (fit);
  free (res);
  free (ptrs);
  return 0;
}
