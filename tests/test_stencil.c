/* test_stencil.c -- the baseline tier (copy-and-patch stencils) against the
 * lane interpreter: random programs over every deterministic op, every F,
 * several lane counts, both eval types, give bit for bit the same fitness,
 * steps, recorded errors and final lane memory; a child that changes only
 * Setup or constants reuses its parent's step kernel; a failed stencil
 * build falls back to the interpreter and is counted. */
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

#define MAX_NT 24
#define NREC 16

static void
use_cache_dir (const char *sub)
{
  char d[512];
  snprintf (d, sizeof d, "%s/%s", ZJ_TEST_CACHE_DIR, sub);
  setenv ("ZEROJIT_CACHE_DIR", d, 1);
}

/* nt tasks with equal counts; every fourth has huge labels (aborts). */
static zj_task *
make_tasks (int F, int nt, int ntr, int nva, int epochs, zj_eval_type et,
            uint64_t seed)
{
  return zj_test_lane_tasks (F, nt, ntr, nva, epochs, et, seed, false);
}

/* Lane memory of ws's last lane evaluation: lay.total elements of L lanes. */
static const double *
lane_mem (const zj_workspace *ws, size_t *n, int nt)
{
  const int nb = (nt + ZJ_LW - 1) / ZJ_LW;
  *n = ws->lay.total * (size_t) (nb * ZJ_LW);
  return ws->bmem;
}

/* Interpreter (ws1) and baseline (ws2) on one program; equal bit for bit.
   The baseline's fitness per task into fit (NULL: not wanted). */
static void
check_fit (const zj_prepared *pp, const zj_task *ts, int nt,
           const zj_eval_opts *o, zj_workspace *ws1, zj_workspace *ws2,
           const char *what, double *fit)
{
  const zj_task *ptrs[MAX_NT];
  double e[4][MAX_NT][NREC];
  zj_eval_result r1[MAX_NT], r2[MAX_NT];
  double f1[MAX_NT], f2[MAX_NT];
  for (int k = 0; k < nt; k++)
    {
      ptrs[k] = &ts[k];
      r1[k] = (zj_eval_result) { .train_err = e[0][k], .valid_err = e[1][k] };
      r2[k] = (zj_eval_result) { .train_err = e[2][k], .valid_err = e[3][k] };
    }
  cr_assert_eq (zj_interp_eval_lanes (pp, ptrs, nt, o, NULL, 0, ws1, r1, f1), 0, "%s", what);
  cr_assert_eq (zj_interp_eval_lanes (pp, ptrs, nt, o, NULL, 0, ws2, r2, f2), 0, "%s", what);
  for (int k = 0; k < nt; k++)
    {
      cr_assert (memcmp (&f1[k], &f2[k], sizeof f1[k]) == 0,
                 "%s task %d: %.17g vs %.17g", what, k, f1[k], f2[k]);
      if (fit)
        fit[k] = f2[k];
      cr_assert_eq (r1[k].train_steps, r2[k].train_steps, "%s task %d", what, k);
      cr_assert_eq (r1[k].aborted, r2[k].aborted, "%s task %d", what, k);
      cr_assert_eq (r1[k].n_train_err, r2[k].n_train_err, "%s task %d", what, k);
      cr_assert_eq (r1[k].n_valid_err, r2[k].n_valid_err, "%s task %d", what, k);
      cr_assert (memcmp (e[0][k], e[2][k], sizeof (double) * (size_t) r1[k].n_train_err) == 0,
                 "%s task %d", what, k);
      cr_assert (memcmp (e[1][k], e[3][k], sizeof (double) * (size_t) r1[k].n_valid_err) == 0,
                 "%s task %d", what, k);
    }
  size_t n1, n2;
  const double *m1 = lane_mem (ws1, &n1, nt), *m2 = lane_mem (ws2, &n2, nt);
  cr_assert_eq (n1, n2);
  /* Bits, except that any NaN equals any NaN: which NaN x86 propagates
     from two NaN inputs follows the operand order the compiler picked for
     a commutative operation (as in test_jit).  Real lanes only: padding
     lanes are never read, and the interpreter's products with a read-only
     matrix (zj_lmatvec_tasks) leave -0.0 there instead of computing them. */
  const size_t L = (size_t) ((nt + ZJ_LW - 1) / ZJ_LW * ZJ_LW);
  for (size_t i = 0; i < n1; i++)
    cr_assert (i % L >= (size_t) nt
               || memcmp (&m1[i], &m2[i], sizeof *m1) == 0
               || (isnan (m1[i]) && isnan (m2[i])),
               "%s: memory double %zu: %.17g vs %.17g", what, i, m1[i], m2[i]);
}

static void
check (const zj_prepared *pp, const zj_task *ts, int nt, const zj_eval_opts *o,
       zj_workspace *ws1, zj_workspace *ws2, const char *what)
{
  check_fit (pp, ts, nt, o, ws1, ws2, what, NULL);
}

static void
sweep (bool threaded, int F, zj_eval_type et, int nt, int n_programs,
       uint64_t seed)
{
  const zj_shape sh = { F, 5, 4, 3 };
  zj_task *ts = make_tasks (F, nt, 12, 7, 2, et, seed);
  zj_workspace *ws1 = zj_workspace_new (&sh), *ws2 = zj_workspace_new (&sh);
  zj_baseline *b = zj_baseline_new (threaded);
  zj_baseline_attach (b, ws2);
  zj_rng r;
  zj_rng_seed (&r, seed * 7 + 1);
  zj_program p;
  zj_program_init (&p);
  for (int n = 0; n < n_programs; n++)
    {
      zj_test_random_program (&r, &sh, &p);
      zj_prepared *pp = zj_test_prepare (&p, &sh, n % 2 == 0);
      zj_eval_opts o;
      zj_eval_opts_default (&o);
      o.record_errors = n % 3 == 0 ? 0 : n % 3 == 1 ? NREC : 8;
      if (n % 4 == 1)
        o.n_all_train = 5 + n % 12;
      char what[96];
      snprintf (what, sizeof what, "%s F=%d et=%d nt=%d program %d",
                threaded ? "threaded" : "stencils", F, (int) et, nt, n);
      if (getenv ("ZJ_TEST_SHOW") && atoi (getenv ("ZJ_TEST_SHOW")) == n)
        zj_program_print (zj_prepared_program (pp), true, stderr);
      check (pp, ts, nt, &o, ws1, ws2, what);
      zj_prepared_free (pp);
    }
  zj_baseline_stats s;
  zj_baseline_stats_get (b, &s);
  cr_assert_eq (s.failures, 0, "%s", zj_baseline_error (b));
  cr_assert_eq (s.fallbacks, 0);
  cr_assert_gt (s.kernels, n_programs / 2);
  zj_program_free (&p);
  zj_baseline_free (b);
  zj_workspace_free (ws1);
  zj_workspace_free (ws2);
  zj_test_tasks_free (ts, nt);
}

Test (stencil, random_programs_equal_lane_interpreter, .timeout = 600)
{
  use_cache_dir ("stencils");
  const int Fs[] = { 2, 4, 8, 16, 32 };
  for (int i = 0; i < 5; i++)
    {
      sweep (false, Fs[i], ZJ_RMS_ERROR, 10, i < 3 ? 200 : 80, 10 + (uint64_t) i);
      sweep (false, Fs[i], ZJ_ACCURACY, 10, i < 3 ? 100 : 40, 20 + (uint64_t) i);
      sweep (false, Fs[i], ZJ_RMS_ERROR, 3, 40, 30 + (uint64_t) i);
    }
}

Test (stencil, threaded_design_equals_lane_interpreter, .timeout = 600)
{
  use_cache_dir ("stencils");
  sweep (true, 4, ZJ_RMS_ERROR, 10, 100, 40);
  sweep (true, 16, ZJ_ACCURACY, 10, 40, 41);
}

/* Sets the constant of every const-set instruction of component c. */
static int
bump_constants (zj_fn *f, double by)
{
  int n = 0;
  for (int i = 0; i < f->n; i++)
    {
      zj_instr *in = &f->ins[i];
      const zj_data_kind d = zj_ops[in->op].data;
      if (d == ZJ_DATA_ACT)
        in->act += by, n++;
      else if (d == ZJ_DATA_VSET)
        in->fd[1] += (float) by, n++;
      else if (d == ZJ_DATA_MSET)
        in->fd[2] += (float) by, n++;
    }
  return n;
}

/* A child that changes only Setup or constants runs its parent's kernel
   (no new code), and still equals the interpreter. */
Test (stencil, constant_and_setup_changes_reuse_code)
{
  use_cache_dir ("stencils");
  const int F = 4;
  const zj_shape sh = { F, 5, 4, 3 };
  zj_task *ts = make_tasks (F, 10, 12, 7, 2, ZJ_RMS_ERROR, 77);
  zj_workspace *ws1 = zj_workspace_new (&sh), *ws2 = zj_workspace_new (&sh);
  zj_baseline *b = zj_baseline_new (false);
  zj_baseline_attach (b, ws2);
  zj_program p;
  zj_program_init (&p);
  /* Setup: s2 = 0.01; Predict: s3 = 0.5 (const); s1 = dot(v0, v1) * s3;
     Learn: SGD on v1 with rate s2, plus v2[1] = 0.25 as a constant. */
  zj_instr c = zj_test_ins (ZJ_SCALAR_CONST_SET_OP, 0, 0, 2);
  c.act = 0.01;
  zj_fn_push (&p.fn[ZJ_SETUP], c);
  c.out = 3;
  c.act = 0.5;
  zj_fn_push (&p.fn[ZJ_PREDICT], c);
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_VECTOR_INNER_PRODUCT_OP, 0, 1, 4));
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_SCALAR_PRODUCT_OP, 4, 3, 1));
  zj_fn_push (&p.fn[ZJ_LEARN], zj_test_ins (ZJ_SCALAR_DIFF_OP, 0, 1, 4));
  zj_fn_push (&p.fn[ZJ_LEARN], zj_test_ins (ZJ_SCALAR_PRODUCT_OP, 4, 2, 4));
  zj_fn_push (&p.fn[ZJ_LEARN], zj_test_ins (ZJ_SCALAR_VECTOR_PRODUCT_OP, 4, 0, 2));
  zj_instr vs = zj_test_ins (ZJ_VECTOR_CONST_SET_OP, 0, 0, 3);
  vs.fd[0] = 0.3f;
  vs.fd[1] = 0.25f;
  zj_fn_push (&p.fn[ZJ_LEARN], vs);
  zj_fn_push (&p.fn[ZJ_LEARN], zj_test_ins (ZJ_VECTOR_SUM_OP, 1, 2, 1));
  zj_fn_push (&p.fn[ZJ_LEARN], zj_test_ins (ZJ_VECTOR_SUM_OP, 1, 3, 1));
  zj_eval_opts o;
  zj_eval_opts_default (&o);
  double last = -1.0;
  for (int gen = 0; gen < 6; gen++)
    {
      if (gen > 0)
        {
          cr_assert_gt (bump_constants (&p.fn[ZJ_PREDICT], 0.125)
                        + bump_constants (&p.fn[ZJ_LEARN], 0.0625), 0);
          bump_constants (&p.fn[ZJ_SETUP], 0.001);
          if (gen % 2)   /* a Setup-only structural change */
            zj_fn_push (&p.fn[ZJ_SETUP], zj_test_ins (ZJ_SCALAR_SUM_OP, 2, 2, 0));
        }
      zj_prepared *pp = zj_test_prepare (&p, &sh, false);
      char what[32];
      snprintf (what, sizeof what, "generation %d", gen);
      check (pp, ts, 10, &o, ws1, ws2, what);
      /* The constants really reach the code: fitness moves. */
      size_t nm;
      const double *m = lane_mem (ws2, &nm, 10);
      double f = 0.0;
      for (size_t i = 0; i < nm; i++)
        f += m[i];
      cr_assert (f != last, "%s: memory did not change", what);
      last = f;
      zj_prepared_free (pp);
    }
  zj_baseline_stats s;
  zj_baseline_stats_get (b, &s);
  cr_assert_eq (s.kernels, 1, "kernels emitted: %ld", s.kernels);
  cr_assert_eq (s.hits, 5);
  /* A change of Predict's structure is new code. */
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_SCALAR_SUM_OP, 1, 3, 1));
  zj_error err;
  zj_prepared *pp = zj_prepare (&p, &sh, false, &err);
  check (pp, ts, 10, &o, ws1, ws2, "structural change");
  zj_prepared_free (pp);
  zj_baseline_stats_get (b, &s);
  cr_assert_eq (s.kernels, 2);
  zj_program_free (&p);
  zj_baseline_free (b);
  zj_workspace_free (ws1);
  zj_workspace_free (ws2);
  zj_test_tasks_free (ts, 10);
}

static void
eval_some (zj_baseline *b, int F, int n_programs, uint64_t seed)
{
  const zj_shape sh = { F, 5, 4, 3 };
  zj_task *ts = make_tasks (F, 10, 12, 7, 2, ZJ_RMS_ERROR, seed);
  zj_workspace *ws1 = zj_workspace_new (&sh), *ws2 = zj_workspace_new (&sh);
  zj_baseline_attach (b, ws2);
  zj_rng r;
  zj_rng_seed (&r, seed);
  zj_program p;
  zj_program_init (&p);
  for (int n = 0; n < n_programs; n++)
    {
      zj_test_random_program (&r, &sh, &p);
      zj_error err;
      zj_prepared *pp = zj_prepare (&p, &sh, true, &err);
      zj_eval_opts o;
      zj_eval_opts_default (&o);
      check (pp, ts, 10, &o, ws1, ws2, "fallback");
      zj_prepared_free (pp);
    }
  zj_program_free (&p);
  zj_workspace_free (ws1);
  zj_workspace_free (ws2);
  zj_test_tasks_free (ts, 10);
}

/* A forced build failure: every evaluation is interpreted (and equal),
   the failure is counted once, no sentinel is left behind. */
Test (stencil, forced_build_failure_falls_back)
{
  char dir[512];
  snprintf (dir, sizeof dir, "%s/fail-%ld", ZJ_TEST_CACHE_DIR, (long) getpid ());
  setenv ("ZEROJIT_CACHE_DIR", dir, 1);
  setenv ("ZEROJIT_FAIL_COMPILE", "1", 1);
  zj_baseline *b = zj_baseline_new (false);
  eval_some (b, 4, 20, 5);
  unsetenv ("ZEROJIT_FAIL_COMPILE");
  zj_baseline_stats s;
  zj_baseline_stats_get (b, &s);
  cr_assert_eq (s.failures, 1);
  cr_assert_eq (s.fallbacks, 20);
  cr_assert_eq (s.kernels, 0);
  cr_assert (strstr (zj_baseline_error (b), "ZEROJIT_FAIL_COMPILE") != NULL);
  char obj[700], failed[800];
  zj_baseline_lib_path (4, 10, obj, sizeof obj);
  snprintf (failed, sizeof failed, "%s.failed", obj);
  cr_assert_neq (access (failed, F_OK), 0);
  zj_baseline_free (b);
}

/* A stencil build leaves this process's SIGINT and SIGTERM alone: GCC's
   embedded driver sets both to SIG_IGN and then to its own handler on
   every compile, so the build runs in a child (jit/stencil_lib.c). */
Test (stencil, build_leaves_signals_alone, .timeout = 120)
{
  char dir[512];
  snprintf (dir, sizeof dir, "%s/signals-%ld", ZJ_TEST_CACHE_DIR, (long) getpid ());
  setenv ("ZEROJIT_CACHE_DIR", dir, 1);
  cr_assert_eq (zj_test_mark_signals (), 0);
  zj_baseline *b = zj_baseline_new (false);
  eval_some (b, 4, 3, 7);
  zj_baseline_stats s;
  zj_baseline_stats_get (b, &s);
  cr_assert_eq (s.failures, 0, "%s", zj_baseline_error (b));
  cr_assert_gt (s.kernels, 0);
  char obj[700];
  zj_baseline_lib_path (4, 10, obj, sizeof obj);
  cr_assert_eq (access (obj, F_OK), 0, "%s not built", obj);
  const char *sig = zj_test_signal_changed ();
  cr_assert_null (sig, "%s's disposition changed by the build", sig);
  zj_baseline_free (b);
}

/* A build that fails in its child process reports the child's reason. */
Test (stencil, failed_build_in_child_is_reported, .timeout = 120)
{
  setenv ("ZEROJIT_CACHE_DIR", "/dev/null/zerojit-cache", 1);
  zj_baseline *b = zj_baseline_new (false);
  eval_some (b, 4, 3, 8);
  zj_baseline_stats s;
  zj_baseline_stats_get (b, &s);
  cr_assert_eq (s.failures, 1);
  cr_assert_eq (s.kernels, 0);
  cr_assert (strstr (zj_baseline_error (b), "stencil build F=4") != NULL, "%s",
             zj_baseline_error (b));
  zj_baseline_free (b);
}

/* A sentinel from an earlier failed build: no retry, counted, named. */
Test (stencil, failure_sentinel_is_not_retried)
{
  char dir[512], obj[700], failed[800];
  snprintf (dir, sizeof dir, "%s/sentinel-%ld", ZJ_TEST_CACHE_DIR, (long) getpid ());
  mkdir (ZJ_TEST_CACHE_DIR, 0755);
  mkdir (dir, 0755);
  setenv ("ZEROJIT_CACHE_DIR", dir, 1);
  zj_baseline_lib_path (8, 10, obj, sizeof obj);
  snprintf (failed, sizeof failed, "%s.failed", obj);
  FILE *f = fopen (failed, "w");
  cr_assert_not_null (f);
  fputs ("earlier failure\n", f);
  fclose (f);
  zj_baseline *b = zj_baseline_new (false);
  eval_some (b, 8, 5, 6);
  zj_baseline_stats s;
  zj_baseline_stats_get (b, &s);
  cr_assert_eq (s.failures, 1);
  cr_assert_eq (s.fallbacks, 5);
  cr_assert (strstr (zj_baseline_error (b), ".failed") != NULL, "%s", zj_baseline_error (b));
  cr_assert_neq (access (obj, F_OK), 0, "the build was retried");
  zj_baseline_free (b);
  unlink (failed);
}

/* The matrix-vector stencil (a block of rows at a time, sums in local
   vectors) equals the lane interpreter: every F, 1 and 2 chunks per
   element, products reading the example row, a vector written in place
   in Predict and in Learn, matrices that start at zero and change every
   step. */
static const char *const matvec_program = ZJ_TEST_MATVEC_PROGRAM;

Test (stencil, matrix_vector_row_blocks_equal_lane_interpreter, .timeout = 600)
{
  use_cache_dir ("stencils");
  zj_program p;
  zj_program_init (&p);
  zj_error err;
  cr_assert_eq (zj_program_parse (matvec_program, "matvec", &p, &err), 0,
                "%s", err.msg);
  const int Fs[] = { 2, 4, 8, 16, 32 };
  const int nts[] = { 3, 10, 16 };
  for (int i = 0; i < 5; i++)
    for (int j = 0; j < 3; j++)
      for (int et = 0; et < 2; et++)
        {
          const zj_shape sh = { Fs[i], 5, 4, 3 };
          zj_task *ts = make_tasks (Fs[i], nts[j], 40, 7, 2,
                                    et ? ZJ_ACCURACY : ZJ_RMS_ERROR,
                                    200 + (uint64_t) (i * 8 + j * 2 + et));
          zj_workspace *ws1 = zj_workspace_new (&sh);
          zj_workspace *ws2 = zj_workspace_new (&sh);
          zj_baseline *b = zj_baseline_new (false);
          zj_baseline_attach (b, ws2);
          zj_prepared *pp = zj_test_prepare (&p, &sh, false);
          for (int rec = 0; rec < 2; rec++)
            {
              zj_eval_opts o;
              zj_eval_opts_default (&o);
              o.record_errors = rec ? NREC : 0;
              char what[96];
              snprintf (what, sizeof what, "matvec F=%d nt=%d et=%d rec=%d",
                        Fs[i], nts[j], et, rec);
              check (pp, ts, nts[j], &o, ws1, ws2, what);
              cr_assert (ws2->native_used, "%s: not on baseline code", what);
            }
          zj_baseline_stats s;
          zj_baseline_stats_get (b, &s);
          cr_assert_eq (s.failures, 0, "%s", zj_baseline_error (b));
          cr_assert_eq (s.kernels, 1);
          cr_assert_eq (s.hits, 1);
          zj_prepared_free (pp);
          zj_baseline_free (b);
          zj_workspace_free (ws1);
          zj_workspace_free (ws2);
          zj_test_tasks_free (ts, nts[j]);
        }
  zj_program_free (&p);
}

/* A random program (zj_test_random_program) whose Predict and Learn also
   take 1-4 matrix-vector products of 1 or 2 matrices that neither writes
   (their matrix writes are moved to another address), reading the example
   (v0) or a vector, some in place (v = dot(m, v)); Setup fills those
   matrices with const sets (signed zeros among them) and outer products
   of const-set vectors.  The lane interpreter runs these products on its
   per-task copies, and so must the baseline tier. */
static void
ro_matvec_random (zj_rng *r, const zj_shape *sh, zj_program *p)
{
  zj_test_random_program (r, sh, p);
  const int nm = sh->nm, nv = sh->nv;
  const int m0 = (int) zj_rng_below (r, (uint32_t) nm);
  const int m1 = zj_rng_below (r, 2) ? (m0 + 1) % nm : m0;
  const int keep = (m0 + nm - 1) % nm;   /* written instead (nm >= 3) */
  for (int c = ZJ_PREDICT; c <= ZJ_LEARN; c++)
    for (int i = 0; i < p->fn[c].n; i++)
      {
        zj_instr *in = &p->fn[c].ins[i];
        if (zj_ops[in->op].out == ZJ_KIND_M && (in->out == m0 || in->out == m1))
          in->out = (uint16_t) keep;
      }
  const int ro[2] = { m0, m1 };
  for (int j = 0; j < 2; j++)
    {
      const int a = 1 + (int) zj_rng_below (r, (uint32_t) nv - 1);
      for (int k = 0; k < 3; k++)
        {
          zj_instr v = zj_test_ins (ZJ_VECTOR_CONST_SET_OP, 0, 0, a);
          v.fd[0] = (float) zj_rng_unit (r);
          v.fd[1] = (float) zj_rng_normal (r);
          zj_fn_push (&p->fn[ZJ_SETUP], v);
        }
      zj_fn_push (&p->fn[ZJ_SETUP], zj_test_ins (ZJ_VECTOR_OUTER_PRODUCT_OP,
                                                 a, (a % (nv - 1)) + 1, ro[j]));
      for (int k = 0; k < 3; k++)
        {
          zj_instr m = zj_test_ins (ZJ_MATRIX_CONST_SET_OP, 0, 0, ro[j]);
          m.fd[0] = (float) zj_rng_unit (r);
          m.fd[1] = (float) zj_rng_unit (r);
          m.fd[2] = k == 0 ? -0.0f : (float) zj_rng_normal (r);
          zj_fn_push (&p->fn[ZJ_SETUP], m);
        }
    }
  const int n = 1 + (int) zj_rng_below (r, 4);
  for (int k = 0; k < n; k++)
    {
      zj_fn *f = &p->fn[zj_rng_below (r, 2) ? ZJ_PREDICT : ZJ_LEARN];
      const int b = zj_rng_below (r, 3) == 0 ? 0 : (int) zj_rng_below (r, (uint32_t) nv);
      const int o = zj_rng_below (r, 3) == 0 && b != 0
                    ? b : 1 + (int) zj_rng_below (r, (uint32_t) nv - 1);
      zj_instr mv = zj_test_ins (ZJ_MATRIX_VECTOR_PRODUCT_OP, ro[k % 2], b, o);
      const int at = (int) zj_rng_below (r, (uint32_t) f->n + 1);
      zj_fn_push (f, mv);
      for (int i = f->n - 1; i > at; i--)
        f->ins[i] = f->ins[i - 1];
      f->ins[at] = mv;
    }
}

/* Products with matrices Predict and Learn never write run in the
   baseline tier on the lane evaluator's per-task copies (ZJ_SV_MT, F 8
   and 16 on AVX-512 builds, where the plan says it pays) or with the
   lane stencil: random such programs, 1 to 17 tasks (one to three groups
   of eight, partial last groups), both eval types, give bit for bit the
   fitness, steps, errors and lane memory of the lane interpreter, and
   each task the fitness of its own evaluation. */
Test (stencil, read_only_matrix_products_equal_interpreter, .timeout = 600)
{
  use_cache_dir ("stencils");
  const int Fs[] = { 8, 16 };
  const int nts[] = { 1, 3, 8, 10, 17 };
  const int n_programs = zj_test_scale (6, 40);
  long task_matvecs = 0, planned = 0;
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 5; j++)
      for (int et = 0; et < 2; et++)
        {
          const int F = Fs[i], nt = nts[j];
          const zj_shape sh = { F, 5, 4, 3 };
          const uint64_t seed = 900 + (uint64_t) (i * 16 + j * 2 + et);
          zj_task *ts = make_tasks (F, nt, 12, 7, 2,
                                    et ? ZJ_ACCURACY : ZJ_RMS_ERROR, seed);
          zj_workspace *ws1 = zj_workspace_new (&sh), *ws2 = zj_workspace_new (&sh);
          zj_workspace *ws3 = zj_workspace_new (&sh);
          zj_baseline *b = zj_baseline_new (false);
          zj_baseline_attach (b, ws2);
          zj_rng r;
          zj_rng_seed (&r, seed * 3 + 1);
          zj_program p;
          zj_program_init (&p);
          for (int n = 0; n < n_programs; n++)
            {
              ro_matvec_random (&r, &sh, &p);
              zj_prepared *pp = zj_test_prepare (&p, &sh, n % 2 == 0);
              zj_eval_opts o;
              zj_eval_opts_default (&o);
              o.record_errors = n % 3 == 0 ? 0 : NREC;
              char what[96];
              snprintf (what, sizeof what, "ro matvec F=%d nt=%d et=%d program %d",
                        F, nt, et, n);
              if (getenv ("ZJ_TEST_SHOW") && atoi (getenv ("ZJ_TEST_SHOW")) == n)
                zj_program_print (zj_prepared_program (pp), true, stderr);
              /* Products the baseline puts on the copies (none where its
                 lane product is cheaper: F = 8 beyond 2 tasks in 8 lanes,
                 F = 16 beyond 2/3 of 8 or 16 lanes). */
              const zj_program *q = zj_prepared_program (pp);
              const int L = (nt + ZJ_LW - 1) / ZJ_LW * ZJ_LW;
              const uint64_t plan = zj_lmatvec_tasks_native (F, nt, L)
                                    ? zj_lmatvec_tasks_plan (q, &ws2->lay, nt, L)
                                    : 0;
              for (int c = ZJ_PREDICT; c <= ZJ_LEARN; c++)
                for (int x = 0; x < q->fn[c].n; x++)
                  planned += q->fn[c].ins[x].op == ZJ_MATRIX_VECTOR_PRODUCT_OP
                             && (plan >> q->fn[c].ins[x].in1 & 1);
              double fb[MAX_NT];
              check_fit (pp, ts, nt, &o, ws1, ws2, what, fb);
              cr_assert (ws2->native_used, "%s: not on baseline code", what);
              for (int k = 0; k < nt; k++)
                {
                  double te[NREC], ve[NREC];
                  zj_eval_result rs = { .train_err = te, .valid_err = ve };
                  zj_rng unused;
                  zj_rng_seed (&unused, 1);
                  const double fs = zj_interp_eval_task (pp, &ts[k], &o, &unused,
                                                         ws3, &rs);
                  cr_assert (memcmp (&fs, &fb[k], sizeof fs) == 0,
                             "%s task %d: alone %.17g, baseline %.17g", what, k,
                             fs, fb[k]);
                }
              zj_prepared_free (pp);
            }
          zj_baseline_stats s;
          zj_baseline_stats_get (b, &s);
          cr_assert_eq (s.failures, 0, "%s", zj_baseline_error (b));
          cr_assert_eq (s.fallbacks, 0);
          task_matvecs += s.task_matvecs;
          zj_program_free (&p);
          zj_baseline_free (b);
          zj_workspace_free (ws1);
          zj_workspace_free (ws2);
          zj_workspace_free (ws3);
          zj_test_tasks_free (ts, nt);
        }
  /* Kernels made on the copies: every planned product of a kernel not
     found ready (a structure seen before is a hit, not counted). */
  cr_assert_leq (task_matvecs, planned);
#if ZJ_LW == 8
  cr_assert_gt (task_matvecs, planned / 2, "%ld of %ld", task_matvecs, planned);
  cr_assert_gt (planned, 2 * 5 * n_programs / 2);
#else
  cr_assert_eq (planned, 0);
#endif
}

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
  snprintf (dir, sizeof dir, "%s/background-%ld", ZJ_TEST_CACHE_DIR, (long) getpid ());
  setenv ("ZEROJIT_CACHE_DIR", dir, 1);
  zj_baseline_lib_path (4, 10, obj, sizeof obj);
  cr_assert_neq (access (obj, F_OK), 0);
  zj_stencil_builds *builds = zj_stencil_builds_new ();
  news_log log = { { 0 }, "" };
  zj_baseline *b = zj_baseline_new (false);
  zj_baseline_set_builds (b, builds);
  zj_baseline_set_notice (b, log_news, &log);
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
  zj_baseline *b = zj_baseline_new (false);
  zj_baseline_set_builds (b, builds);
  zj_baseline_set_notice (b, log_news, &log);
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
  snprintf (dir, sizeof dir, "%s/reaped-%ld", ZJ_TEST_CACHE_DIR, (long) getpid ());
  setenv ("ZEROJIT_CACHE_DIR", dir, 1);
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
  snprintf (dir, sizeof dir, "%s/told-%ld", ZJ_TEST_CACHE_DIR, (long) getpid ());
  setenv ("ZEROJIT_CACHE_DIR", dir, 1);
  zj_stencil_builds *builds = zj_stencil_builds_new ();
  news_log log = { { 0 }, "" };
  zj_baseline *b = zj_baseline_new (false);
  zj_baseline_set_builds (b, builds);
  zj_baseline_set_notice (b, log_news, &log);
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
