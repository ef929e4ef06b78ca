/* test_jit_workers.c -- compile workers forked by the zygote (worker.c):
 * recycled workers keep giving the interpreter's results, a dead zygote
 * costs one counted compile and never hangs, the zygote and its workers
 * ignore the signals the search acts on, and nothing is left behind:
 * no zombie, no process, after zj_jit_free or the parent's death. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "testutil.h"
#include "jitutil.h"
#include "jit_internal.h"

/* Ops whose op_program structures differ: each one a fresh compile. */
static const int ops[] = {
  ZJ_VECTOR_INNER_PRODUCT_OP, ZJ_SCALAR_SUM_OP, ZJ_VECTOR_SUM_OP,
  ZJ_SCALAR_DIFF_OP, ZJ_SCALAR_PRODUCT_OP, ZJ_VECTOR_DIFF_OP,
  ZJ_VECTOR_PRODUCT_OP, ZJ_SCALAR_MAX_OP, ZJ_SCALAR_MIN_OP,
  ZJ_VECTOR_MEAN_OP, ZJ_VECTOR_NORM_OP, ZJ_SCALAR_ABS_OP,
};
#define NOPS ((int) (sizeof ops / sizeof ops[0]))

/* A process's state letter and parent from /proc; 0 when it is gone. */
static char
proc_state (pid_t pid, pid_t *ppid)
{
  char path[64], buf[512];
  snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  FILE *f = fopen (path, "r");
  if (!f)
    return 0;
  const size_t n = fread (buf, 1, sizeof buf - 1, f);
  fclose (f);
  buf[n] = 0;
  const char *r = strrchr (buf, ')');
  char state = 0;
  int pp = 0;
  if (!r || sscanf (r + 1, " %c %d", &state, &pp) != 2)
    return 0;
  if (ppid)
    *ppid = pp;
  return state;
}

/* Waits up to 5 s for pid to be gone (reaped by whoever is its parent). */
static bool
gone (pid_t pid)
{
  for (int i = 0; i < 500; i++)
    {
      if (kill (pid, 0) != 0 && errno == ESRCH)
        return true;
      usleep (10000);
    }
  return false;
}

/* Waits up to 5 s for pid to be dead (a zombie or gone). */
static bool
dead (pid_t pid)
{
  for (int i = 0; i < 500; i++)
    {
      const char s = proc_state (pid, NULL);
      if (s == 0 || s == 'Z')
        return true;
      usleep (10000);
    }
  return false;
}

/* How many processes (zombies too) have this process as their parent. */
static int
children (void)
{
  DIR *d = opendir ("/proc");
  cr_assert_not_null (d);
  int n = 0;
  struct dirent *de;
  while ((de = readdir (d)))
    {
      pid_t pp;
      if (de->d_name[0] >= '1' && de->d_name[0] <= '9'
          && proc_state ((pid_t) atoi (de->d_name), &pp) && pp == getpid ())
        n++;
    }
  closedir (d);
  return n;
}

static zj_jit *
workers_jit (int recycle)
{
  zj_jit_opts o;
  zj_jit_opts_default (&o);
  o.worker_recycle = recycle;
  o.opt_level = 0;
  zj_error err = { "" };
  zj_jit *jit = zj_jit_new (&o, &err);
  cr_assert_not_null (jit, "%s", err.msg);
  return jit;
}

/* Compiles op_program (ops[i]) and checks it against the interpreter;
   false when the compile failed (err set). */
static bool
compile_check (zj_jit *jit, int i, zj_error *err)
{
  zj_program p;
  zj_shape sh = shape663_base;
  zj_rng r;
  zj_rng_seed (&r, 100 + i);
  op_program (ops[i % NOPS], &p, &r);
  zj_prepared *pp = zj_test_prepare (&p, &sh, true);
  zj_jit_entry *e = zj_jit_get (jit, pp, ZJ_RMS_ERROR, err);
  if (e)
    {
      zj_task *t = make_task (4, 6, 3, 2, ZJ_RMS_ERROR, true, 9 + i);
      zj_eval_opts eo;
      zj_eval_opts_default (&eo);
      char what[48];
      snprintf (what, sizeof what, "compile %d", i);
      cr_assert (compare_pp (jit, e, pp, &sh, t, &eo, 5 + i, what));
      free_task (t);
      zj_jit_release (jit, e);
    }
  zj_prepared_free (pp);
  zj_program_free (&p);
  return e != NULL;
}

/* Every compile in a new worker (recycled after each): each one the
   zygote's child, the zygote ours, and every result the interpreter's. */
Test (jit_workers, recycled_workers_keep_results, .timeout = 300)
{
  zj_jit *jit = workers_jit (1);
  pid_t zygote, worker, last = 0;
  zj_jit_worker_pids (jit, &zygote, &worker);
  cr_assert_gt (zygote, 0, "no zygote");
  pid_t pp;
  cr_assert_neq (proc_state (zygote, &pp), 0);
  cr_assert_eq (pp, getpid ());
  for (int i = 0; i < NOPS; i++)
    {
      zj_error err = { "" };
      cr_assert (compile_check (jit, i, &err), "compile %d: %s", i, err.msg);
      zj_jit_worker_pids (jit, &zygote, &worker);
      cr_assert_gt (worker, 0);
      cr_assert_neq (worker, last, "compile %d: worker not recycled", i);
      cr_assert_neq (proc_state (worker, &pp), 0);
      cr_assert_eq (pp, zygote, "compile %d: worker %d's parent is %d, not the zygote",
                    i, (int) worker, (int) pp);
      last = worker;
    }
  zj_jit_stats st;
  zj_jit_get_stats (jit, &st);
  cr_assert_eq (st.failures, 0);
  zj_jit_free (jit);
}

/* A killed zygote fails the compile that needs a new worker (counted),
   without a hang; the compiles after it fork their workers directly and
   work; zj_jit_free leaves no zombie. */
Test (jit_workers, dead_zygote_fails_one_compile, .timeout = 120)
{
  zj_jit *jit = workers_jit (1);
  zj_error err = { "" };
  cr_assert (compile_check (jit, 0, &err), "%s", err.msg);
  pid_t zygote, worker;
  zj_jit_worker_pids (jit, &zygote, &worker);
  cr_assert_gt (zygote, 0);
  cr_assert_eq (kill (zygote, SIGKILL), 0);
  cr_assert (dead (zygote));
  cr_assert (!compile_check (jit, 1, &err), "compiled without a zygote's worker");
  cr_assert (strstr (err.msg, "zygote died") != NULL, "%s", err.msg);
  zj_jit_stats st;
  zj_jit_get_stats (jit, &st);
  cr_assert_eq (st.failures, 1);
  for (int i = 2; i < 5; i++)
    cr_assert (compile_check (jit, i, &err), "compile %d: %s", i, err.msg);
  zj_jit_worker_pids (jit, &zygote, &worker);
  cr_assert_eq (zygote, 0);
  pid_t pp;
  cr_assert_neq (proc_state (worker, &pp), 0);
  cr_assert_eq (pp, getpid (), "the fallback worker is not forked directly");
  zj_jit_get_stats (jit, &st);
  cr_assert_eq (st.failures, 1);
  zj_jit_free (jit);
  cr_assert_eq (children (), 0, "a child (zombie or not) left after zj_jit_free");
}

/* After zj_jit_free: the zygote and every worker it forked are gone,
   and no child of ours is left, not even a zombie. */
Test (jit_workers, nothing_left_after_free, .timeout = 120)
{
  zj_jit *jit = workers_jit (1);
  pid_t zygote, worker, seen[4];
  for (int i = 0; i < 4; i++)
    {
      zj_error err = { "" };
      cr_assert (compile_check (jit, i, &err), "%s", err.msg);
      zj_jit_worker_pids (jit, &zygote, &seen[i]);
    }
  cr_assert_gt (zygote, 0);
  /* The workers recycled so far are reaped already, by the zygote. */
  for (int i = 0; i < 3; i++)
    cr_assert (gone (seen[i]), "recycled worker %d not reaped", (int) seen[i]);
  zj_jit_worker_pids (jit, &zygote, &worker);
  zj_jit_free (jit);
  cr_assert (gone (worker), "last worker %d still there", (int) worker);
  cr_assert_eq (proc_state (zygote, NULL), 0, "zygote %d left (a zombie?)", (int) zygote);
  cr_assert_eq (children (), 0);
}

/* Ctrl-C and SIGTERM to the process group are the search's to act on:
   the zygote and its workers ignore them; the zygote ignores SIGCHLD
   (the kernel reaps its workers), a worker does not (GCC's driver waits
   for as and ld). */
static unsigned long long
sig_ignored (pid_t pid)
{
  char path[64], line[256];
  snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
  FILE *f = fopen (path, "r");
  cr_assert_not_null (f);
  unsigned long long m = 0;
  while (fgets (line, sizeof line, f))
    if (sscanf (line, "SigIgn: %llx", &m) == 1)
      break;
  fclose (f);
  return m;
}

Test (jit_workers, signals, .timeout = 120)
{
  zj_jit *jit = workers_jit (1);
  pid_t zygote, worker;
  zj_error err = { "" };
  /* The first worker, before its first compile (GCC's driver sets
     SIGCHLD to its default too). */
  zj_jit_worker_pids (jit, &zygote, &worker);
  cr_assert_gt (worker, 0);
  const unsigned long long bit_int = 1ull << (SIGINT - 1),
    bit_term = 1ull << (SIGTERM - 1), bit_chld = 1ull << (SIGCHLD - 1);
  /* The worker resets SIGCHLD right after the zygote's fork, while the
     zygote already hands its pid over: wait for that (it runs before the
     worker reads its first request). */
  const unsigned long long z = sig_ignored (zygote);
  unsigned long long w = sig_ignored (worker);
  for (int i = 0; i < 2000 && (w & bit_chld); i++)
    {
      usleep (1000);
      w = sig_ignored (worker);
    }
  cr_assert ((z & bit_int) && (z & bit_term) && (z & bit_chld), "zygote SigIgn %llx", z);
  cr_assert ((w & bit_int) && (w & bit_term) && !(w & bit_chld), "worker SigIgn %llx", w);
  cr_assert (compile_check (jit, 0, &err), "%s", err.msg);
  cr_assert_eq (kill (zygote, SIGINT), 0);
  cr_assert_eq (kill (zygote, SIGTERM), 0);
  usleep (50000);
  cr_assert (compile_check (jit, 1, &err), "after SIGINT: %s", err.msg);
  pid_t z2, w2;
  zj_jit_worker_pids (jit, &z2, &w2);
  cr_assert_eq (z2, zygote, "the zygote was replaced");
  zj_jit_stats st;
  zj_jit_get_stats (jit, &st);
  cr_assert_eq (st.failures, 0);
  zj_jit_free (jit);
}

/* A process that dies without zj_jit_free takes its zygote along. */
Test (jit_workers, zygote_dies_with_parent, .timeout = 60)
{
  int p[2];
  cr_assert_eq (pipe (p), 0);
  const pid_t child = fork ();
  cr_assert_geq (child, 0);
  if (child == 0)
    {
      zj_jit *jit = workers_jit (1);
      pid_t pids[2];
      zj_jit_worker_pids (jit, &pids[0], &pids[1]);
      if (write (p[1], pids, sizeof pids) != sizeof pids)
        _exit (1);
      _exit (0);
    }
  close (p[1]);
  pid_t pids[2];
  cr_assert_eq (read (p[0], pids, sizeof pids), (ssize_t) sizeof pids);
  cr_assert_eq (waitpid (child, NULL, 0), child);
  cr_assert_gt (pids[0], 0);
  /* Dead: an orphan's zombie is its new parent's to reap. */
  const bool zgone = dead (pids[0]), wgone = dead (pids[1]);
  /* A survivor would hold Criterion's pipes open for good. */
  if (!zgone)
    kill (pids[0], SIGKILL);
  if (!wgone)
    kill (pids[1], SIGKILL);
  cr_assert (zgone, "zygote %d outlived its parent", (int) pids[0]);
  cr_assert (wgone, "worker %d outlived its parent", (int) pids[1]);
}

/* ZEROJIT_WORKER_ZYGOTE=0: workers forked directly, as before the zygote. */
Test (jit_workers, direct_forks_without_zygote, .timeout = 120)
{
  setenv ("ZEROJIT_WORKER_ZYGOTE", "0", 1);
  zj_jit *jit = workers_jit (1);
  pid_t zygote, worker;
  for (int i = 0; i < 3; i++)
    {
      zj_error err = { "" };
      cr_assert (compile_check (jit, i, &err), "%s", err.msg);
      zj_jit_worker_pids (jit, &zygote, &worker);
      cr_assert_eq (zygote, 0);
      pid_t pp;
      cr_assert_neq (proc_state (worker, &pp), 0);
      cr_assert_eq (pp, getpid ());
    }
  zj_jit_free (jit);
  cr_assert_eq (children (), 0);
}

/* Several tiers in one process: a zygote or a directly forked worker
   made after another tier's worker holds no copy of that worker's pipes
   (else the worker never sees EOF and recycling it waits for good). */
Test (jit_workers, tiers_side_by_side, .timeout = 120)
{
  zj_jit *a = workers_jit (1);
  zj_error err = { "" };
  cr_assert (compile_check (a, 0, &err), "%s", err.msg);
  zj_jit *b = workers_jit (1);
  setenv ("ZEROJIT_WORKER_ZYGOTE", "0", 1);
  zj_jit *c = workers_jit (1);
  unsetenv ("ZEROJIT_WORKER_ZYGOTE");
  zj_jit *all[3] = { a, b, c };
  for (int i = 1; i < 7; i++)
    cr_assert (compile_check (all[i % 3], i, &err), "compile %d: %s", i, err.msg);
  for (int k = 0; k < 3; k++)
    zj_jit_free (all[k]);
  cr_assert_eq (children (), 0);
}
