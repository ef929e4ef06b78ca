/* test_stencil_builds.c -- stencil libraries built in the background
 * (jit/stencil_jobs.c): a search's evaluations run interpreted, with the
 * interpreter's figures, until the build ends; a failure is told and
 * counted once; no child or temporary file is left. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>
#include "testutil.h"
#include "internal.h"
#include "baseline.h"
#include "kernels_lanes.h"
#include "stencil.h"
#include <errno.h>
#include <sys/wait.h>
#include <signal.h>
#include <sys/stat.h>
#include "stencilutil.h"

/* ------------------------------------------------ builds in the background
 * A search's baseline contexts share builds that run in a child while the
 * evaluations go on interpreted (jit/stencil_jobs.c). */

typedef struct news_log {
  int n[3];                    /* per zj_stencil_news */
  char why[512];
} news_log;

static void
log_news (void *ctx, int F, const char *dir, zj_stencil_news news,
          double secs, const char *why)
{
  news_log *l = ctx;
  l->n[news]++;
  if (news == ZJ_STENCILS_FAILED)
    snprintf (l->why, sizeof l->why, "%s", why);
}

/* A baseline whose stencil builds run in the background (builds),
   telling log of their news. */
static zj_baseline *
told_baseline (zj_stencil_builds *builds, news_log *log)
{
  zj_baseline *b = zj_baseline_new (false);
  zj_baseline_set_builds (b, builds);
  zj_baseline_set_notice (b, log_news, log);
  return b;
}

/* One fixed program (no random op: every evaluation consults the
   baseline) on 10 tasks of F=4, interpreter against b, bit for bit. */
static void
eval_fixed (zj_baseline *b, int round)
{
  const zj_shape sh = { 4, 5, 4, 3 };
  zj_task *ts = make_tasks (4, 10, 12, 7, 2, ZJ_RMS_ERROR, 91);
  zj_workspace *ws1 = zj_workspace_new (&sh), *ws2 = zj_workspace_new (&sh);
  zj_baseline_attach (b, ws2);
  zj_program p;
  zj_program_init (&p);
  zj_instr c = zj_test_ins (ZJ_SCALAR_CONST_SET_OP, 0, 0, 2);
  c.act = 0.01 * (1 + round % 5);    /* constants only: the same kernel */
  zj_fn_push (&p.fn[ZJ_SETUP], c);
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_VECTOR_INNER_PRODUCT_OP, 0, 1, 1));
  zj_fn_push (&p.fn[ZJ_LEARN], zj_test_ins (ZJ_SCALAR_DIFF_OP, 0, 1, 3));
  zj_fn_push (&p.fn[ZJ_LEARN], zj_test_ins (ZJ_SCALAR_PRODUCT_OP, 3, 2, 3));
  zj_fn_push (&p.fn[ZJ_LEARN], zj_test_ins (ZJ_SCALAR_VECTOR_PRODUCT_OP, 3, 0, 2));
  zj_fn_push (&p.fn[ZJ_LEARN], zj_test_ins (ZJ_VECTOR_SUM_OP, 1, 2, 1));
  zj_prepared *pp = zj_test_prepare (&p, &sh, true);
  zj_eval_opts o;
  zj_eval_opts_default (&o);
  char what[64];
  snprintf (what, sizeof what, "background round %d", round);
  check (pp, ts, 10, &o, ws1, ws2, what);
  zj_prepared_free (pp);
  zj_program_free (&p);
  zj_workspace_free (ws1);
  zj_workspace_free (ws2);
  zj_test_tasks_free (ts, 10);
}

/* Evaluates until the build has ended (kernels made or a failure), 60 s
   at most; returns the rounds. */
static int
eval_until_built (zj_baseline *b)
{
  const double t0 = zj_now_s ();
  int round = 0;
  zj_baseline_stats s;
  do
    {
      eval_fixed (b, round++);
      zj_baseline_stats_get (b, &s);
      cr_assert_lt (zj_now_s () - t0, 60.0, "the build never ended");
    }
  while (s.kernels == 0 && s.failures == 0);
  return round;
}

/* No child of this process is left (Criterion runs each test in its own
   process, which starts none but the builds). */
static void
assert_no_child (void)
{
  errno = 0;
  cr_assert_eq (waitpid (-1, NULL, WNOHANG), -1, "a child is left");
  cr_assert_eq (errno, ECHILD);
}

/* With an empty cache the first evaluation starts the build and is
   interpreted (a fallback while waiting), with the interpreter's figures;
   later ones find the library and run native kernels.  The start and the
   end are told once each. */
Test (stencil, background_build_interprets_until_ready, .timeout = 120)
{
  char dir[512], obj[700];
  fresh_cache_dir ("background", dir, sizeof dir);
  zj_baseline_lib_path (4, 10, obj, sizeof obj);
  cr_assert_neq (access (obj, F_OK), 0);
  zj_stencil_builds *builds = zj_stencil_builds_new ();
  news_log log = { { 0 }, "" };
  zj_baseline *b = told_baseline (builds, &log);
  eval_fixed (b, 0);
  zj_baseline_stats s;
  zj_baseline_stats_get (b, &s);
  cr_assert_eq (s.kernels, 0);
  cr_assert_eq (s.fallbacks, 1);
  cr_assert_eq (s.waits, 1);
  cr_assert_eq (s.failures, 0);
  cr_assert_eq (log.n[ZJ_STENCILS_BUILDING], 1);
  const int rounds = eval_until_built (b);
  for (int i = 0; i < 5; i++)
    eval_fixed (b, rounds + i);
  zj_baseline_stats_get (b, &s);
  cr_assert_eq (s.failures, 0, "%s", zj_baseline_error (b));
  cr_assert_eq (s.kernels, 1);
  cr_assert_geq (s.hits, 5);
  /* round 0 above, then rounds - 1 more until the kernel was made */
  cr_assert_eq (s.fallbacks, rounds, "%ld fallbacks, %d rounds", s.fallbacks, rounds);
  cr_assert_eq (s.waits, s.fallbacks);
  cr_assert_eq (log.n[ZJ_STENCILS_BUILDING], 1);
  cr_assert_eq (log.n[ZJ_STENCILS_READY], 1);
  cr_assert_eq (log.n[ZJ_STENCILS_FAILED], 0);
  cr_assert_eq (access (obj, F_OK), 0);
  assert_no_child ();
  /* A second context sharing the builds finds the library at once. */
  zj_baseline *b2 = zj_baseline_new (false);
  zj_baseline_set_builds (b2, builds);
  eval_fixed (b2, 0);
  zj_baseline_stats_get (b2, &s);
  cr_assert_eq (s.kernels, 1);
  cr_assert_eq (s.fallbacks, 0);
  zj_baseline_free (b2);
  zj_baseline_free (b);
  zj_stencil_builds_free (builds);
}

/* A build that fails in the background (its child cannot write the
   cache): interpreted throughout, the failure told and counted once, no
   retry. */
Test (stencil, background_build_failure_is_counted_once, .timeout = 120)
{
  setenv ("ZEROJIT_CACHE_DIR", "/dev/null/zerojit-cache", 1);
  zj_stencil_builds *builds = zj_stencil_builds_new ();
  news_log log = { { 0 }, "" };
  zj_baseline *b = told_baseline (builds, &log);
  const int rounds = eval_until_built (b);
  for (int i = 0; i < 3; i++)
    eval_fixed (b, rounds + i);
  zj_baseline_stats s;
  zj_baseline_stats_get (b, &s);
  cr_assert_eq (s.failures, 1);
  cr_assert_eq (s.kernels, 0);
  cr_assert_eq (s.fallbacks, rounds + 3);
  cr_assert_eq (s.waits, rounds - 1);
  cr_assert_eq (log.n[ZJ_STENCILS_BUILDING], 1);
  cr_assert_eq (log.n[ZJ_STENCILS_FAILED], 1);
  cr_assert_eq (log.n[ZJ_STENCILS_READY], 0);
  cr_assert (strstr (log.why, "stencil build F=4") != NULL, "%s", log.why);
  assert_no_child ();
  zj_baseline_free (b);
  zj_stencil_builds_free (builds);
}

/* Freeing the builds while one runs (a search that ends first) waits for
   it: the library is cached, no temporary file and no child are left. */
Test (stencil, background_build_is_reaped_at_the_end, .timeout = 120)
{
  char dir[512], obj[700];
  fresh_cache_dir ("reaped", dir, sizeof dir);
  zj_stencil_builds *builds = zj_stencil_builds_new ();
  zj_baseline *b = zj_baseline_new (false);
  zj_baseline_set_builds (b, builds);
  eval_fixed (b, 0);
  zj_baseline_stats s;
  zj_baseline_stats_get (b, &s);
  cr_assert_eq (s.waits, 1);
  zj_baseline_free (b);
  zj_stencil_builds_free (builds);
  assert_no_child ();
  zj_baseline_lib_path (4, 10, obj, sizeof obj);
  cr_assert_eq (access (obj, F_OK), 0, "%s not built", obj);
  char cmd[800];
  snprintf (cmd, sizeof cmd, "ls %s | grep -c tmp", dir);
  FILE *f = popen (cmd, "r");
  int n = -1;
  cr_assert_eq (fscanf (f, "%d", &n), 1);
  pclose (f);
  cr_assert_eq (n, 0, "temporary files left in %s", dir);
}

/* The end of a build is told also when no evaluation asks for its
   library again (zj_baseline_poll_builds, as a search's doors call it),
   once; an evaluation then finds the library without more news. */
Test (stencil, background_build_end_is_told_without_asking, .timeout = 120)
{
  char dir[512];
  fresh_cache_dir ("told", dir, sizeof dir);
  zj_stencil_builds *builds = zj_stencil_builds_new ();
  news_log log = { { 0 }, "" };
  zj_baseline *b = told_baseline (builds, &log);
  eval_fixed (b, 0);
  cr_assert_eq (log.n[ZJ_STENCILS_BUILDING], 1);
  const double t0 = zj_now_s ();
  while (log.n[ZJ_STENCILS_READY] == 0)
    {
      cr_assert_lt (zj_now_s () - t0, 60.0, "the end was never told");
      usleep (1000);
      zj_baseline_poll_builds (b);
    }
  zj_baseline_poll_builds (b);
  cr_assert_eq (log.n[ZJ_STENCILS_READY], 1);
  assert_no_child ();
  eval_fixed (b, 1);
  zj_baseline_stats s;
  zj_baseline_stats_get (b, &s);
  cr_assert_eq (s.kernels, 1);
  cr_assert_eq (s.fallbacks, 1);
  cr_assert_eq (log.n[ZJ_STENCILS_READY], 1);
  cr_assert_eq (log.n[ZJ_STENCILS_BUILDING], 1);
  zj_baseline_free (b);
  zj_stencil_builds_free (builds);
}
