/* bench_split.c -- a split lane evaluation (eight lanes and a per-task
 * rest, doc/baseline_tier.md) with its rest beside the lanes against
 * the same after them (ZEROJIT_SPLIT=after), in one process, runs
 * alternating: CPU ns per task-example of whole evaluations of the paper
 * search's best program through the search's evaluator under
 * --jit=baseline, F = 16, ACCURACY, 8000 training and 1000 validation
 * examples per task (synthetic: the first feature's sign), 10 tasks by
 * default (ZJ_BENCH_NT=N; ZJ_BENCH_PROGRAM=FILE runs another program).  Also all tasks in lanes (ZEROJIT_SPLIT=0).
 * The evaluator times one lane evaluation in eight for the tier's cost
 * model and runs those with the rest after the lanes, as a search does.
 * Usage: bench_split [--reps N]   (median of N rounds, default 7)
 */
#include "config.h"
#include "internal.h"
#include "testutil.h"
#include "evaluator.h"
#include "tier.h"
#include "baseline.h"
#include "ptask.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *paper_best = ZJ_TEST_PAPER_BEST;

static double
cpu_ns (void)
{
  struct timespec t;
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &t);
  return (double) t.tv_sec * 1e9 + (double) t.tv_nsec;
}

static int
cmp_d (const void *a, const void *b)
{
  const double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

enum { BESIDE, AFTER, LANES, NCFG };
static const char *const cfg_name[NCFG] = { "beside", "after", "lanes" };
static const char *const cfg_env[NCFG] = { "", "after", "0" };

int
main (int argc, char **argv)
{
  int reps = 7;
  for (int i = 1; i + 1 < argc; i++)
    if (!strcmp (argv[i], "--reps"))
      reps = atoi (argv[++i]);
  if (reps < 1 || reps > 99)
    reps = 7;
  const char *e = getenv ("ZJ_BENCH_NT");
  const int nt = e && atoi (e) >= 2 && atoi (e) <= 32 ? atoi (e) : 10;
  const int F = 16, evals = 8;   /* evaluations per round and config */
  zj_error err;
  if (zj_baseline_warm (F, nt, &err) != 0)
    {
      fprintf (stderr, "bench_split: no stencils: %s\n", err.msg);
      return 1;
    }
  zj_ptask *pt = zj_ptask_new ();
  if (!zj_ptask_ready (pt, F))
    {
      fprintf (stderr, "bench_split: no per-task stencils: %s\n",
               zj_ptask_error (pt));
      return 1;
    }
  zj_ptask_free (pt);
  zj_task *ts = zj_test_lane_tasks (F, nt, 8000, 1000, 1, ZJ_ACCURACY, 5,
                                    false);
  const zj_shape sh = { F, 5, 9, 2 };
  zj_program best;
  zj_program_init (&best);
  /* ZJ_BENCH_PROGRAM=FILE: another program (text form). */
  const char *pf = getenv ("ZJ_BENCH_PROGRAM");
  char *text = NULL;
  if (pf && !(text = zj_read_file (pf, NULL, &err)))
    {
      fprintf (stderr, "bench_split: %s\n", err.msg);
      return 1;
    }
  if (zj_program_parse (text ? text : paper_best, pf ? pf : "paper_best",
                        &best, &err) != 0)
    {
      fprintf (stderr, "bench_split: %s\n", err.msg);
      return 1;
    }
  zj_evaluator_cfg cfg;
  zj_evaluator_cfg_default (&cfg);
  cfg.fec = false;
  cfg.dedup = false;
  zj_tier *tier[NCFG];
  zj_evaluator *ev[NCFG];
  zj_rng rng[NCFG];
  for (int c = 0; c < NCFG; c++)
    {
      /* The door reads ZEROJIT_SPLIT when it is made. */
      if (*cfg_env[c])
        setenv ("ZEROJIT_SPLIT", cfg_env[c], 1);
      else
        unsetenv ("ZEROJIT_SPLIT");
      zj_tier_cfg tc;
      zj_tier_cfg_default (&tc);
      tc.mode = ZJ_TIER_BASELINE;
      tier[c] = zj_tier_new (&tc, &err);
      zj_rng_seed (&rng[c], 3);
      ev[c] = tier[c] ? zj_evaluator_new (&cfg, ts, nt, &sh, NULL, &rng[c],
                                          &err) : NULL;
      if (!ev[c])
        {
          fprintf (stderr, "bench_split: %s\n", err.msg);
          return 1;
        }
      zj_evaluator_set_tier (ev[c], tier[c]);
      zj_evaluator_eval (ev[c], &best);          /* warm: kernels made */
    }
  unsetenv ("ZEROJIT_SPLIT");
  double ns[NCFG][100], fit[NCFG];
  const double ex = (double) nt * (8000 + 1000) * evals;
  for (int r = 0; r < reps; r++)
    for (int c = 0; c < NCFG; c++)
      {
        const int cc = (c + r) % NCFG;   /* the order rotates per round */
        const double t0 = cpu_ns ();
        for (int k = 0; k < evals; k++)
          fit[cc] = zj_evaluator_eval (ev[cc], &best);
        ns[cc][r] = (cpu_ns () - t0) / ex;
      }
  free (text);
  printf ("%s, F=%d, %d tasks, 8000/1000, --jit=baseline: CPU ns per "
          "task-example, median of %d rounds of %d evaluations\n",
          pf ? pf : "paper_best", F, nt, reps, evals);
  for (int c = 0; c < NCFG; c++)
    {
      zj_tier_stats st;
      zj_evaluator_tier_stats (ev[c], &st);
      qsort (ns[c], (size_t) reps, sizeof (double), cmp_d);
      printf ("%-7s %8.2f  (min %.2f, max %.2f)  split_evals %ld  fitness %.6f\n",
              cfg_name[c], ns[c][reps / 2], ns[c][0], ns[c][reps - 1],
              st.split_evals, fit[c]);
    }
  for (int c = 0; c < NCFG; c++)
    {
      zj_evaluator_free (ev[c]);
      zj_tier_free (tier[c]);
    }
  zj_program_free (&best);
  zj_test_tasks_free (ts, nt);
  return 0;
}
