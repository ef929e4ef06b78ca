/* bench_worker_fork.c -- the time to get a new compile worker: from the
 * zygote (jit/worker.c) against a direct fork of a process that holds the
 * paper setting's data (examples/specs/fashion_mnist_search.textpb: 10
 * projected Fashion-MNIST tasks, F=16, 8000/1000, and the select and
 * final tasks of fashion_mnist_select/final.textpb) and runs a second
 * thread, as a search does.  The zygote is started before the data is
 * loaded, as the tier is made before a search makes its tasks.  Both
 * ways alternate; prints the median, p10 and p90 in microseconds of the
 * time from the request to having the new worker's pipes (which
 * includes waiting for the zygote to be scheduled: noisy on a loaded
 * machine) and of the fork () call alone, and the process's RSS.
 * Usage (from the source tree): bench_worker_fork [--n 200] [--no-data]
 */
#include "config.h"
#include "jit_internal.h"
#include "internal.h"
#include <zerojit/spec.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "rss.h"

static void *
idle (void *arg)
{
  (void) arg;
  pause ();
  return NULL;
}

static zj_workers *
workers (bool zygote)
{
  zj_error err = { "" };
  if (zygote)
    unsetenv ("ZEROJIT_WORKER_ZYGOTE");
  else
    setenv ("ZEROJIT_WORKER_ZYGOTE", "0", 1);
  zj_workers *w = zj_workers_new (1, NULL, &err);
  if (!w || zj_workers_start (w, &err) != 0)
    {
      fprintf (stderr, "bench_worker_fork: %s\n", err.msg);
      exit (1);
    }
  pid_t z, k;
  zj_workers_pids (w, &z, &k);
  if (zygote != (z > 0))
    {
      fprintf (stderr, "bench_worker_fork: zygote %s\n", z > 0 ? "unwanted" : "missing");
      exit (1);
    }
  return w;
}

static void
report (const char *name, double *t, int n)
{
  zj_sort_doubles (t, (size_t) n);
  printf ("%-22s median %8.1f us  p10 %8.1f  p90 %8.1f  (n=%d)\n", name,
          1e6 * t[n / 2], 1e6 * t[n / 10], 1e6 * t[n * 9 / 10], n);
}

int
main (int argc, char **argv)
{
  int n = 200;
  const char *spec = "examples/specs/fashion_mnist_search.textpb";
  const char *colls[2] = { "examples/specs/fashion_mnist_select.textpb",
                           "examples/specs/fashion_mnist_final.textpb" };
  bool data = true;
  for (int i = 1; i < argc; i++)
    if (!strcmp (argv[i], "--n") && i + 1 < argc)
      n = atoi (argv[++i]);
    else if (!strcmp (argv[i], "--no-data"))
      data = false;
    else
      {
        fprintf (stderr, "usage: bench_worker_fork [--n 200] [--no-data]\n");
        return 2;
      }
  if (n < 10)
    n = 10;
  zj_workers *wz = workers (true);
  printf ("rss before the data: %.1f MB\n", bench_rss_mb ());
  zj_error err = { "" };
  zj_search_spec ss;
  zj_task *tasks = NULL;
  int nt = 0, nc[2] = { 0, 0 };
  zj_task_collection cs[2];
  zj_task *ct[2] = { NULL, NULL };
  if (data)
    {
      char *text = zj_read_file (spec, NULL, &err);
      if (!text || zj_search_spec_parse (text, spec, &ss, &err) != 0
          || zj_tasks_generate (&ss.search_tasks, &tasks, &nt, &err) != 0)
        {
          fprintf (stderr, "bench_worker_fork: %s\n", err.msg);
          return 1;
        }
      free (text);
      for (int k = 0; k < 2; k++)
        {
          text = zj_read_file (colls[k], NULL, &err);
          if (!text || zj_task_collection_parse (text, colls[k], &cs[k], &err) != 0
              || zj_tasks_generate (&cs[k], &ct[k], &nc[k], &err) != 0)
            {
              fprintf (stderr, "bench_worker_fork: %s\n", err.msg);
              return 1;
            }
          free (text);
          nt += nc[k];
        }
    }
  pthread_t th;
  pthread_create (&th, NULL, idle, NULL);
  zj_workers *wd = workers (false);
  printf ("rss with the data (%d tasks): %.1f MB\n", nt, bench_rss_mb ());
  /* t[way][what]: way 0 the zygote, 1 direct; what 0 the wall time to
     the new worker's pipes, 1 the fork () call alone. */
  double *t[2][2];
  for (int k = 0; k < 4; k++)
    t[k / 2][k % 2] = calloc ((size_t) n, sizeof (double));
  for (int i = 0; i < 2 * n; i++)
    {
      const int way = (i + i / 2) % 2;      /* z d, d z, z d, ... */
      double s[2];
      if (zj_workers_respawn (way ? wd : wz, s, &err) != 0)
        {
          fprintf (stderr, "bench_worker_fork: %s\n", err.msg);
          return 1;
        }
      t[way][0][i / 2] = s[0];
      t[way][1][i / 2] = s[1];
    }
  report ("zygote: new worker", t[0][0], n);
  report ("direct: new worker", t[1][0], n);
  report ("zygote: fork () call", t[0][1], n);
  report ("direct: fork () call", t[1][1], n);
  zj_workers_free (wz);
  zj_workers_free (wd);
  if (data)
    {
      zj_tasks_free (tasks, nt - nc[0] - nc[1]);
      zj_search_spec_free (&ss);
      for (int k = 0; k < 2; k++)
        {
          zj_tasks_free (ct[k], nc[k]);
          zj_task_collection_free (&cs[k]);
        }
    }
  for (int k = 0; k < 4; k++)
    free (t[k / 2][k % 2]);
  return 0;
}
