/* test_faults.c -- injected faults end cleanly.
 *
 *  - ZEROJIT_FAIL_COMPILE=1 makes every native compile fail: the API
 *    reports and counts each failure, and a search at --jit=optimized-all
 *    or --jit=always gives exactly the output of --jit=off (the
 *    interpreter takes over).
 *  - A full disk while writing the projected-task cache (simulated with
 *    RLIMIT_FSIZE, which needs no root and fails write(2) with EFBIG as a
 *    full file system fails it with ENOSPC): a clear error naming the file,
 *    no temporary file left behind, the previous cache file intact.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "testutil.h"
#include "dataset.h"
#if ZJ_TEST_WITH_JIT
#include <zerojit/jit.h>
#endif

/* ------------------------------------------------------- compile failure */
#if ZJ_TEST_WITH_JIT
Test (fail_compile, every_compile_fails_and_is_counted)
{
  cr_assert_eq (setenv ("ZEROJIT_FAIL_COMPILE", "1", 1), 0);
  zj_jit_opts o;
  zj_jit_opts_default (&o);
  zj_error err = { "" };
  zj_jit *jit = zj_jit_new (&o, &err);
  cr_assert_not_null (jit, "%s", err.msg);
  zj_program p;
  zj_program_init (&p);
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_VECTOR_INNER_PRODUCT_OP, 0, 0, 1));
  const zj_shape sh = { 4, 4, 3, 1 };
  zj_prepared *pp = zj_test_prepare (&p, &sh, true);
  cr_assert_null (zj_jit_get (jit, pp, ZJ_RMS_ERROR, &err));
  cr_assert (strstr (err.msg, "ZEROJIT_FAIL_COMPILE") != NULL, "%s", err.msg);
  const zj_prepared *pps[1] = { pp };
  const zj_eval_type ets[1] = { ZJ_ACCURACY };
  zj_jit_entry *e[1];
  cr_assert_eq (zj_jit_get_batch (jit, 1, pps, ets, e, &err), -1);
  zj_jit_stats st;
  zj_jit_get_stats (jit, &st);
  cr_expect_eq (st.failures, 2);
  cr_expect_eq (st.compiles, 0);
  zj_jit_free (jit);
  /* "0" or empty: compiles work again. */
  cr_assert_eq (setenv ("ZEROJIT_FAIL_COMPILE", "0", 1), 0);
  jit = zj_jit_new (&o, &err);
  zj_jit_entry *ok = zj_jit_get (jit, pp, ZJ_RMS_ERROR, &err);
  cr_assert_not_null (ok, "%s", err.msg);
  zj_jit_release (jit, ok);
  zj_jit_free (jit);
  zj_prepared_free (pp);
  zj_program_free (&p);
}

/* Output of a short demo search, without the lines that hold timings or
   tier statistics; *failures gets the tier's failure count (-1: none). */
static char *
search_output (const char *mode, bool fail, long *failures)
{
  /* The demo's spec with a 3-million-step budget: a few seconds. */
  char cmd[4096];
  const char *sp = ZJ_EXAMPLES_DIR "/specs";
  snprintf (cmd, sizeof cmd,
            "%s %s/zerojit search --search_experiment_spec=\"$(sed"
            " 's/max_train_steps: .*/max_train_steps: 3000000/' %s/demo_search.textpb)\""
            " --select_tasks_file=%s/demo_select.textpb"
            " --final_tasks_file=%s/demo_final.textpb --max_experiments=1"
            " --max_scalar_addresses=4 --max_vector_addresses=3"
            " --max_matrix_addresses=1 --random_seed=3 --jit=%s --workers=1 2>&1",
            fail ? "ZEROJIT_FAIL_COMPILE=1" : "ZEROJIT_FAIL_COMPILE=",
            ZJ_BUILD_DIR, sp, sp, sp, mode);
  FILE *f = popen (cmd, "r");
  cr_assert_not_null (f);
  size_t cap = 1 << 16, n = 0;
  char *out = malloc (cap), line[4096];
  out[0] = '\0';
  *failures = -1;
  while (fgets (line, sizeof line, f))
    {
      const char *fl = strstr (line, "failures=");
      if (strncmp (line, "Tier summary:", 13) == 0)
        {
          if (fl)
            *failures = atol (fl + 9);
          continue;
        }
      if (strstr (line, "seconds=") || strstr (line, "elapsed_secs="))
        {
          /* Keep the line up to the first timing field. */
          char *t = strstr (line, "elapsed_secs=");
          if (!t)
            t = strstr (line, "seconds=");
          *t = '\0';
        }
      size_t k = strlen (line);
      if (n + k + 1 > cap)
        out = realloc (out, cap *= 2);
      memcpy (out + n, line, k + 1);
      n += k;
    }
  cr_assert_eq (pclose (f), 0, "%s failed:\n%s", cmd, out);
  return out;
}

Test (fail_compile, search_falls_back_with_identical_output, .timeout = 600)
{
  long f_off, f_fail;
  char *off = search_output ("off", false, &f_off);
  char *failed = search_output ("optimized-all", true, &f_fail);
  cr_assert_str_eq (failed, off);
  cr_assert (strstr (off, "Final evaluation fitness") != NULL, "%s", off);
  cr_expect_gt (f_fail, 0, "no compile failure was counted");
  /* always: no stencil library can be built, so no lane evaluation has
     baseline code, and the interpreter runs them all. */
  long f_alw;
  char *alw = search_output ("always", true, &f_alw);
  cr_assert_str_eq (alw, off);
  /* (the first "failures=" of its Tier summary: baseline_failures) */
  cr_expect_gt (f_alw, 0, "no stencil build failure was counted");
  free (off);
  free (failed);
  free (alw);
}
#endif

/* ---------------------------------------------------------- disk full */
static int
count_tmp_files (const char *dir)
{
  DIR *d = opendir (dir);
  struct dirent *e;
  int n = 0;
  while ((e = readdir (d)))
    n += strstr (e->d_name, ".tmp.") != NULL;
  closedir (d);
  return n;
}

static void
fill_proj (zj_proj_data *d, int F, int n)
{
  memset (d, 0, sizeof *d);
  d->F = F;
  d->n_train = d->n_valid = d->n_test = n;
  float **x[3] = { &d->train_x, &d->valid_x, &d->test_x };
  float **y[3] = { &d->train_y, &d->valid_y, &d->test_y };
  for (int s = 0; s < 3; s++)
    {
      *x[s] = malloc (sizeof (float) * (size_t) (F * n));
      *y[s] = malloc (sizeof (float) * (size_t) n);
      for (int i = 0; i < F * n; i++)
        (*x[s])[i] = (float) (i % 7) - 3.0f;
      for (int i = 0; i < n; i++)
        (*y[s])[i] = (float) (i & 1);
    }
}

Test (disk_full, cache_write_fails_cleanly_and_keeps_the_old_file)
{
  char dir[] = "/tmp/zj-faults-XXXXXX";
  cr_assert_not_null (mkdtemp (dir));
  char file[128];
  snprintf (file, sizeof file, "%s/pair.zjpb", dir);
  zj_proj_params pp = { "csv", NULL, 0, 1, 7, 4, 10, 10, 10 };
  zj_proj_data small, big, back;
  fill_proj (&small, 4, 10);
  fill_proj (&big, 4, 10);
  big.train_x[0] = 42.0f;
  zj_error err = { "" };
  cr_assert_eq (zj_proj_cache_write (file, &pp, 99, &small, &err), 0, "%s", err.msg);
  /* The file system is full after 256 bytes (the cache is ~ 700). */
  signal (SIGXFSZ, SIG_IGN);
  struct rlimit rl = { 256, 256 };
  cr_assert_eq (setrlimit (RLIMIT_FSIZE, &rl), 0);
  cr_assert_eq (zj_proj_cache_write (file, &pp, 99, &big, &err), -1);
  cr_expect (strstr (err.msg, file) != NULL, "error does not name the file: %s", err.msg);
  cr_expect (strstr (err.msg, "write failed") != NULL, "%s", err.msg);
  cr_expect_eq (count_tmp_files (dir), 0, "a temporary file was left behind");
  /* The previous cache file is intact. */
  cr_assert_eq (zj_proj_cache_read (file, &pp, 99, &back, &err), 0, "%s", err.msg);
  cr_expect_eq (back.train_x[0], small.train_x[0]);
  zj_proj_free (&back);
  zj_proj_free (&small);
  zj_proj_free (&big);
  unlink (file);
  rmdir (dir);
}

/* ------------------------------------------------------ out of memory */
#include <zerojit/spec.h>
/* A task too big for the address space: a clear error naming the spec
   field, not an abort.  RLIMIT_AS makes malloc fail as on a small machine
   (not under AddressSanitizer, which reserves terabytes of shadow). */
#if !defined (__SANITIZE_ADDRESS__)
Test (out_of_memory, huge_task_names_the_field)
{
  struct rlimit rl = { (rlim_t) 4 << 30, (rlim_t) 4 << 30 };
  cr_assert_eq (setrlimit (RLIMIT_AS, &rl), 0);
  static const char *const specs[] = {
    "tasks { scalar_linear_regression_task {} features_size: 32"
    " num_train_examples: 100000000 num_valid_examples: 10 num_tasks: 1"
    " eval_type: RMS_ERROR }",
    "tasks { scalar_linear_regression_task {} features_size: 32"
    " num_train_examples: 10 num_valid_examples: 100000000 num_tasks: 1"
    " eval_type: RMS_ERROR }",
  };
  static const char *const field[] = { "num_train_examples", "num_valid_examples" };
  for (int i = 0; i < 2; i++)
    {
      zj_task_collection c = { 0 };
      zj_error err = { "" };
      cr_assert_eq (zj_task_collection_parse (specs[i], "test", &c, &err), 0, "%s", err.msg);
      zj_task *ts;
      int n;
      cr_assert_eq (zj_tasks_generate (&c, &ts, &n, &err), -1);
      cr_expect (strstr (err.msg, field[i]) != NULL, "%s", err.msg);
      cr_expect (strstr (err.msg, "cannot allocate") != NULL, "%s", err.msg);
      cr_expect_null (ts);
      zj_task_collection_free (&c);
    }
}
#endif
