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
#include "stencilutil.h"


static void
sweep (bool threaded, int F, zj_eval_type et, int nt, int n_programs,
       uint64_t seed)
{
  zj_baseline *b = zj_baseline_new (threaded);
  sweep_env e;
  sweep_begin (&e, b, F, et, nt, seed);
  for (int n = 0; n < n_programs; n++)
    {
      zj_test_random_program (&e.r, &e.sh, &e.p);
      char what[96];
      snprintf (what, sizeof what, "%s F=%d et=%d nt=%d program %d",
                threaded ? "threaded" : "stencils", F, (int) et, nt, n);
      sweep_check (&e, n, what);
    }
  zj_baseline_stats s;
  zj_baseline_stats_get (b, &s);
  cr_assert_eq (s.failures, 0, "%s", zj_baseline_error (b));
  cr_assert_eq (s.fallbacks, 0);
  cr_assert_gt (s.kernels, n_programs / 2);
  sweep_end (&e);
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
  /* Predict's and Learn's constants changed every time: no lookup was
     the last one's again. */
  cr_assert_eq (s.memo_hits, 0);
  /* Only Setup changes: the last lookup's kernel, without a lookup, and
     still equal to the interpreter. */
  bump_constants (&p.fn[ZJ_SETUP], 0.5);
  zj_prepared *ps = zj_test_prepare (&p, &sh, false);
  check (ps, ts, 10, &o, ws1, ws2, "Setup only");
  check (ps, ts, 10, &o, ws1, ws2, "the same again");
  zj_prepared_free (ps);
  zj_baseline_stats_get (b, &s);
  cr_assert_eq (s.kernels, 1);
  cr_assert_eq (s.memo_hits, 2);
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
  fresh_cache_dir ("fail", dir, sizeof dir);
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
  fresh_cache_dir ("signals", dir, sizeof dir);
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
  fresh_cache_dir ("sentinel", dir, sizeof dir);
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
