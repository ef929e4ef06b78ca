/* test_ptask.c -- per-task stencils (jit/ptask.h) against the single-task
 * interpreter: random programs over every deterministic op (matrix ops
 * among them), F = 4, 8, 16 (and 32), 1, 3, 10 and 17 tasks, both eval
 * types, give bit for bit the same fitness, steps, aborts, recorded
 * errors and final memory, one task at a time, two interleaved
 * (zj_ptask_eval_pair) and in the search's groups (zj_ptask_eval_group,
 * whose training sigmoids share a SLEEF call, also stepped with other
 * work between steps as a split's rest runs, zj_ptask_run); a child that changes only Setup or constants
 * reuses its parent's kernel; the static policy (zj_ptask_wanted) picks
 * matrix programs the lanes serve badly. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include "testutil.h"
#include "internal.h"
#include "baseline.h"
#include "kernels_lanes.h"
#include "stencil.h"
#include "ptask.h"
#include "stencilutil.h"

static bool
has_matrix_op (const zj_program *p)
{
  for (int c = ZJ_PREDICT; c <= ZJ_LEARN; c++)
    for (int i = 0; i < p->fn[c].n; i++)
      {
        const zj_op_info *o = &zj_ops[p->fn[c].ins[i].op];
        if (o->out == ZJ_KIND_M || o->in1 == ZJ_KIND_M || o->in2 == ZJ_KIND_M)
          return true;
      }
  return false;
}

static void
same_result (const zj_eval_result *r1, const zj_eval_result *r2, const char *what)
{
  cr_assert (memcmp (&r1->fitness, &r2->fitness, sizeof r1->fitness) == 0,
             "%s: %.17g vs %.17g", what, r1->fitness, r2->fitness);
  cr_assert_eq (r1->train_steps, r2->train_steps, "%s", what);
  cr_assert_eq (r1->aborted, r2->aborted, "%s", what);
  cr_assert_eq (r1->n_train_err, r2->n_train_err, "%s", what);
  cr_assert_eq (r1->n_valid_err, r2->n_valid_err, "%s", what);
  cr_assert (memcmp (r1->train_err, r2->train_err, sizeof (double) * (size_t) r1->n_train_err) == 0, "%s", what);
  cr_assert (memcmp (r1->valid_err, r2->valid_err, sizeof (double) * (size_t) r1->n_valid_err) == 0, "%s", what);
}

static void
same_memory (const zj_workspace *ws1, const zj_workspace *ws2, const char *what)
{
  size_t n1, n2;
  const double *m1 = zj_workspace_memory (ws1, &n1), *m2 = zj_workspace_memory (ws2, &n2);
  cr_assert_eq (n1, n2);
  for (size_t i = 0; i < n1; i++)
    cr_assert (memcmp (&m1[i], &m2[i], sizeof *m1) == 0 || (isnan (m1[i]) && isnan (m2[i])),
               "%s: memory double %zu: %.17g vs %.17g", what, i, m1[i], m2[i]);
}

/* Task t interpreted (ws1) and on per-task stencils (ws2): equal bit for
   bit (any NaN equals any NaN in memory, as in test_jit). */
static void
check_task (zj_ptask *pt, const zj_prepared *pp, const zj_task *t,
            const zj_eval_opts *o, zj_workspace *ws1, zj_workspace *ws2,
            const char *what)
{
  double e[4][NREC];
  zj_eval_result r1 = { .train_err = e[0], .valid_err = e[1] };
  zj_eval_result r2 = { .train_err = e[2], .valid_err = e[3] };
  zj_rng g1, g2;
  zj_rng_seed (&g1, 5);
  zj_rng_seed (&g2, 5);
  const double f1 = zj_interp_eval_task (pp, t, o, &g1, ws1, &r1);
  zj_lnative nat;
  cr_assert (zj_ptask_get (pt, zj_prepared_program (pp), &ws2->lay, &nat),
             "%s: %s", what, zj_ptask_error (pt));
  ws2->tnat = &nat;
  const double f2 = zj_interp_eval_task (pp, t, o, &g2, ws2, &r2);
  ws2->tnat = NULL;
  cr_assert (memcmp (&f1, &f2, sizeof f1) == 0, "%s: %.17g vs %.17g", what, f1, f2);
  same_result (&r1, &r2, what);
  same_memory (ws1, ws2, what);
}

/* Tasks a and b interpreted one after the other (ws1, ws3) and as a pair
   on per-task stencils (zj_ptask_eval_pair: ws2, ws4): equal results,
   memories and generator states. */
static void
check_pair (zj_ptask *pt, const zj_prepared *pp, const zj_task *a,
            const zj_task *b, const zj_eval_opts *o, zj_workspace *ws[4],
            const char *what)
{
  double e[8][NREC];
  zj_eval_result r[4];
  for (int i = 0; i < 4; i++)
    r[i] = (zj_eval_result) { .train_err = e[2 * i], .valid_err = e[2 * i + 1] };
  zj_rng g1, g2;
  zj_rng_seed (&g1, 11);
  zj_rng_seed (&g2, 11);
  zj_interp_eval_task (pp, a, o, &g1, ws[0], &r[0]);
  zj_interp_eval_task (pp, b, o, &g1, ws[2], &r[2]);
  zj_lnative nat;
  cr_assert (zj_ptask_get (pt, zj_prepared_program (pp), &ws[1]->lay, &nat),
             "%s: %s", what, zj_ptask_error (pt));
  double f[2];
  zj_ptask_eval_pair (pp, &nat, a, b, o, &g2, ws[1], ws[3], &r[1], &r[3], f);
  cr_assert (memcmp (&f[0], &r[1].fitness, sizeof f[0]) == 0
             && memcmp (&f[1], &r[3].fitness, sizeof f[1]) == 0, "%s", what);
  same_result (&r[0], &r[1], what);
  same_result (&r[2], &r[3], what);
  same_memory (ws[0], ws[1], what);
  same_memory (ws[2], ws[3], what);
  cr_assert (memcmp (&g1, &g2, sizeof g1) == 0, "%s: generator state", what);
}

/* The group stepped as a lane evaluation steps a split's rest
   (zj_ptask_run): nothing drawn before the first step, the Setups' draws
   at it; other work between steps (an interpreted run of task t[0] in
   a workspace and generator of its own); then finish. */
static void
run_stepped (const zj_prepared *pp, const zj_lnative *nat,
             const zj_task *const *tp, int n, const zj_eval_opts *o,
             zj_rng *g, zj_workspace **wg, zj_eval_result *const *rp,
             double *f, int steps, const char *what)
{
  zj_ptask_run *run = zj_ptask_run_new ();
  zj_ptask_run_init (run, pp, nat, tp, n, o, g, wg, rp);
  const zj_rng before = *g;
  cr_assert (!zj_ptask_run_started (run), "%s", what);
  zj_workspace *wx = zj_workspace_new (&wg[0]->shape);
  zj_rng other;
  zj_rng_seed (&other, 99);
  for (int s = 0; s < steps && zj_ptask_run_step (run); s++)
    {
      cr_assert (zj_ptask_run_started (run), "%s", what);
      zj_eval_result rx = { 0 };
      zj_eval_opts ox = *o;
      ox.record_errors = 0;
      zj_interp_eval_task (pp, tp[0], &ox, &other, wx, &rx);
    }
  if (steps == 0)
    cr_assert (memcmp (&before, g, sizeof before) == 0,
               "%s: drawn before the first step", what);
  zj_ptask_run_finish (run, f);
  zj_ptask_run_free (run);
  zj_workspace_free (wx);
}

/* Tasks t[0..n) interpreted one after the other (wi[i]) and as one
   group on per-task stencils (zj_ptask_eval_group: wg[i], or stepped
   by run_stepped when steps >= 0), as the search runs them: equal
   results, memories and generator states. */
static void
check_group (zj_ptask *pt, const zj_prepared *pp, const zj_task *t, int n,
             const zj_eval_opts *o, zj_workspace **wi, zj_workspace **wg,
             int steps, const char *what)
{
  double e[4 * ZJ_PTASK_GROUP_MAX][NREC];
  zj_eval_result r1[ZJ_PTASK_GROUP_MAX], r2[ZJ_PTASK_GROUP_MAX];
  zj_eval_result *rp[ZJ_PTASK_GROUP_MAX];
  const zj_task *tp[ZJ_PTASK_GROUP_MAX];
  double f[ZJ_PTASK_GROUP_MAX];
  zj_rng g1, g2;
  zj_rng_seed (&g1, 13);
  zj_rng_seed (&g2, 13);
  for (int i = 0; i < n; i++)
    {
      r1[i] = (zj_eval_result) { .train_err = e[4 * i], .valid_err = e[4 * i + 1] };
      r2[i] = (zj_eval_result) { .train_err = e[4 * i + 2], .valid_err = e[4 * i + 3] };
      rp[i] = &r2[i];
      tp[i] = &t[i];
      zj_interp_eval_task (pp, &t[i], o, &g1, wi[i], &r1[i]);
    }
  zj_lnative nat;
  cr_assert (zj_ptask_get (pt, zj_prepared_program (pp), &wg[0]->lay, &nat),
             "%s: %s", what, zj_ptask_error (pt));
  if (steps >= 0)
    run_stepped (pp, &nat, tp, n, o, &g2, wg, rp, f, steps, what);
  else
    zj_ptask_eval_group (pp, &nat, tp, n, o, &g2, wg, rp, f);
  for (int i = 0; i < n; i++)
    {
      char w[128];
      snprintf (w, sizeof w, "%s, task %d of %d", what, i, n);
      cr_assert (memcmp (&f[i], &r2[i].fitness, sizeof f[i]) == 0, "%s", w);
      same_result (&r1[i], &r2[i], w);
      same_memory (wi[i], wg[i], w);
    }
  cr_assert (memcmp (&g1, &g2, sizeof g1) == 0, "%s: generator state", what);
}

/* Equal groups of at most ZJ_PTASK_GROUP_MAX over nt tasks (the
   evaluator's group_size); the number of groups. */
static int
group_count (int nt)
{
  return (nt + ZJ_PTASK_GROUP_MAX - 1) / ZJ_PTASK_GROUP_MAX;
}

static void
sweep (zj_ptask *pt, int F, zj_eval_type et, int nt, int n_programs,
       uint64_t seed)
{
  const zj_shape sh = { F, 5, 4, 3 };
  zj_task *ts = make_tasks (F, nt, 12, 7, 2, et, seed);
  zj_workspace *ws1 = zj_workspace_new (&sh), *ws2 = zj_workspace_new (&sh);
  zj_workspace *ws3 = zj_workspace_new (&sh), *ws4 = zj_workspace_new (&sh);
  zj_workspace *wi[ZJ_PTASK_GROUP_MAX], *wg[ZJ_PTASK_GROUP_MAX];
  for (int i = 0; i < ZJ_PTASK_GROUP_MAX; i++)
    {
      wi[i] = zj_workspace_new (&sh);
      wg[i] = zj_workspace_new (&sh);
    }
  zj_rng r;
  zj_rng_seed (&r, seed * 7 + 1);
  zj_program p;
  zj_program_init (&p);
  int with_matrix = 0;
  zj_ptask_stats s0;
  zj_ptask_stats_get (pt, &s0);
  for (int n = 0; n < n_programs; n++)
    {
      zj_test_random_program (&r, &sh, &p);
      zj_prepared *pp = zj_test_prepare (&p, &sh, n % 2 == 0);
      with_matrix += has_matrix_op (zj_prepared_program (pp));
      zj_eval_opts o;
      zj_eval_opts_default (&o);
      o.record_errors = n % 3 == 0 ? 0 : n % 3 == 1 ? NREC : 8;
      if (n % 4 == 1)
        o.n_all_train = 5 + n % 12;
      for (int k = 0; k < nt; k++)
        {
          char what[96];
          snprintf (what, sizeof what, "F=%d et=%d nt=%d program %d task %d",
                    F, (int) et, nt, n, k);
          if (getenv ("ZJ_TEST_SHOW") && atoi (getenv ("ZJ_TEST_SHOW")) == n && k == 0)
            zj_program_print (zj_prepared_program (pp), true, stderr);
          check_task (pt, pp, &ts[k], &o, ws1, ws2, what);
          if (k + 1 < nt && k % 2 == 0)
            {
              zj_workspace *w4[4] = { ws1, ws2, ws3, ws4 };
              snprintf (what, sizeof what, "F=%d et=%d nt=%d program %d pair %d",
                        F, (int) et, nt, n, k);
              check_pair (pt, pp, &ts[k], &ts[k + 1], &o, w4, what);
            }
        }
      const int G = (nt + group_count (nt) - 1) / group_count (nt);
      for (int k = 0; k < nt; k += G)
        {
          char what[96];
          snprintf (what, sizeof what, "F=%d et=%d nt=%d program %d group at %d",
                    F, (int) et, nt, n, k);
          /* Every other group stepped, 0 to 40 steps before finish. */
          const int steps = (n + k) % 2 ? (int) ((n * 7 + k) % 41) : -1;
          check_group (pt, pp, &ts[k], nt - k < G ? nt - k : G, &o, wi, wg,
                       steps, what);
        }
      zj_prepared_free (pp);
    }
  zj_ptask_stats s;
  zj_ptask_stats_get (pt, &s);
  cr_assert_eq (s.failures, 0, "%s", zj_ptask_error (pt));
  cr_assert_eq (s.fallbacks, 0);
  /* Every program made or found its kernel; the sweep's programs have
     matrix ops in Predict or Learn often enough to matter. */
  cr_assert_eq ((s.kernels - s0.kernels) + (s.hits - s0.hits),
                (long) n_programs * (nt + nt / 2 + group_count (nt)));
  cr_assert_gt (with_matrix, n_programs / 3, "F=%d: %d", F, with_matrix);
  zj_program_free (&p);
  zj_workspace_free (ws1);
  zj_workspace_free (ws2);
  zj_workspace_free (ws3);
  zj_workspace_free (ws4);
  for (int i = 0; i < ZJ_PTASK_GROUP_MAX; i++)
    {
      zj_workspace_free (wi[i]);
      zj_workspace_free (wg[i]);
    }
  zj_test_tasks_free (ts, nt);
}

Test (ptask, random_programs_equal_interpreter, .timeout = 900)
{
  use_cache_dir ("stencils");
  zj_ptask *pt = zj_ptask_new ();
  const int Fs[] = { 4, 8, 16 }, nts[] = { 1, 3, 10, 17 };
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 4; j++)
      {
        const uint64_t seed = 100 + (uint64_t) (10 * i + j);
        sweep (pt, Fs[i], j % 2 ? ZJ_ACCURACY : ZJ_RMS_ERROR, nts[j],
               nts[j] > 3 ? 40 : 120, seed);
      }
  sweep (pt, 32, ZJ_RMS_ERROR, 3, 30, 190);
  zj_ptask_free (pt);
}

/* Every op with a per-task stencil, alone in Predict on memory Setup fills
   with gaussian draws, with distinct operands and with the output on an
   input (aliasing): the interpreter's bits. */
Test (ptask, every_op_alone_equals_interpreter, .timeout = 300)
{
  use_cache_dir ("stencils");
  zj_ptask *pt = zj_ptask_new ();
  const int Fs[] = { 4, 8, 16 };
  for (int fi = 0; fi < 3; fi++)
    {
      const int F = Fs[fi];
      const zj_shape sh = { F, 5, 4, 3 };
      zj_task *ts = make_tasks (F, 1, 3, 2, 1, ZJ_RMS_ERROR, 9);
      zj_workspace *ws1 = zj_workspace_new (&sh), *ws2 = zj_workspace_new (&sh);
      zj_program p;
      zj_program_init (&p);
      for (int op = 1; op < ZJ_NUM_OPS; op++)
        for (int alias = 0; alias < 2; alias++)
          {
            if (!zj_ptask_op_ok (op))
              continue;
            const zj_op_info *o = &zj_ops[op];
            zj_program_clear (&p);
            const int sets[3] = { ZJ_SCALAR_GAUSSIAN_SET_OP, ZJ_VECTOR_GAUSSIAN_SET_OP,
                                  ZJ_MATRIX_GAUSSIAN_SET_OP };
            for (int k = 0; k < 3; k++)
              for (int a = k == 2 ? 0 : 2; a < (k == 0 ? 5 : 3); a++)
                {
                  zj_instr g = zj_test_ins (sets[k], 0, 0, a);
                  g.fd[0] = 0.25f;
                  g.fd[1] = 1.5f;
                  zj_fn_push (&p.fn[ZJ_SETUP], g);
                }
            zj_instr in = zj_test_ins (op, 2, 1, 1);
            if (o->out == ZJ_KIND_M)
              in.out = 0;
            if (alias && o->in1 == o->out)
              in.out = in.in1;
            else if (alias && o->in2 == o->out)
              in.out = in.in2;
            else if (alias)
              continue;
            if (o->data == ZJ_DATA_ACT)
              in.act = 0.75;
            else
              {
                in.fd[0] = 0.6f;
                in.fd[1] = 0.3f;
                in.fd[2] = -0.7f;
              }
            zj_fn_push (&p.fn[ZJ_PREDICT], in);
            zj_fn_push (&p.fn[ZJ_LEARN], in);
            zj_prepared *pp = zj_test_prepare (&p, &sh, false);
            zj_eval_opts ev;
            zj_eval_opts_default (&ev);
            ev.max_abs_error = INFINITY;
            char what[96];
            snprintf (what, sizeof what, "F=%d op %s alias %d", F, o->name, alias);
            check_task (pt, pp, &ts[0], &ev, ws1, ws2, what);
            zj_prepared_free (pp);
          }
      zj_program_free (&p);
      zj_workspace_free (ws1);
      zj_workspace_free (ws2);
      zj_test_tasks_free (ts, 1);
    }
  zj_ptask_free (pt);
}

/* A Predict that writes v0 (a parsed program may; random ones never do)
   and a Learn that reads it: the groups copy the example in again before
   Learn, as the interpreter does, and skip that copy only when Predict
   cannot have changed v0. */
Test (ptask, predict_writing_v0_in_groups, .timeout = 120)
{
  use_cache_dir ("stencils");
  zj_ptask *pt = zj_ptask_new ();
  const zj_shape sh = { 8, 5, 4, 3 };
  zj_program p;
  zj_program_init (&p);
  zj_instr g = zj_test_ins (ZJ_VECTOR_GAUSSIAN_SET_OP, 0, 0, 1);
  g.fd[0] = 0.0f;
  g.fd[1] = 0.5f;
  zj_fn_push (&p.fn[ZJ_SETUP], g);
  g.out = 2;
  zj_fn_push (&p.fn[ZJ_SETUP], g);
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_VECTOR_SUM_OP, 1, 0, 0));
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_VECTOR_INNER_PRODUCT_OP, 0, 2, 1));
  zj_fn_push (&p.fn[ZJ_LEARN], zj_test_ins (ZJ_SCALAR_DIFF_OP, 0, 1, 2));
  zj_fn_push (&p.fn[ZJ_LEARN], zj_test_ins (ZJ_SCALAR_VECTOR_PRODUCT_OP, 2, 0, 3));
  zj_fn_push (&p.fn[ZJ_LEARN], zj_test_ins (ZJ_VECTOR_SUM_OP, 2, 3, 2));
  zj_workspace *wi[3], *wg[3];
  for (int i = 0; i < 3; i++)
    {
      wi[i] = zj_workspace_new (&sh);
      wg[i] = zj_workspace_new (&sh);
    }
  for (int et = 0; et < 2; et++)
    {
      zj_task *ts = make_tasks (8, 3, 12, 7, 2, et ? ZJ_ACCURACY : ZJ_RMS_ERROR, 31);
      zj_prepared *pp = zj_test_prepare (&p, &sh, false);
      zj_eval_opts o;
      zj_eval_opts_default (&o);
      o.max_abs_error = INFINITY;
      check_group (pt, pp, ts, 3, &o, wi, wg, et ? 7 : -1,
                   et ? "v0 written, ACCURACY" : "v0 written, RMS");
      zj_prepared_free (pp);
      zj_test_tasks_free (ts, 3);
    }
  for (int i = 0; i < 3; i++)
    {
      zj_workspace_free (wi[i]);
      zj_workspace_free (wg[i]);
    }
  zj_program_free (&p);
  zj_ptask_free (pt);
}

/* p with m1 read-only: Setup writes it several times (a gaussian draw,
   then a uniform one with low > high, as evolved programs have), Predict
   and Learn write m0 instead, and Predict gets v_a = dot (m1, v_a) (the
   output on the input vector) and Learn v_b = dot (m1, v_c), at random
   places. */
static void
read_only_products (zj_rng *r, zj_program *p)
{
  zj_instr g = zj_test_ins (ZJ_MATRIX_GAUSSIAN_SET_OP, 0, 0, 1);
  g.fd[0] = 0.1f;
  g.fd[1] = 0.8f;
  zj_fn_push (&p->fn[ZJ_SETUP], g);
  zj_instr u = zj_test_ins (ZJ_MATRIX_UNIFORM_SET_OP, 0, 0, 1);
  u.fd[0] = 0.56f;
  u.fd[1] = -0.39f;
  zj_fn_push (&p->fn[ZJ_SETUP], u);
  for (int c = ZJ_PREDICT; c <= ZJ_LEARN; c++)
    for (int i = 0; i < p->fn[c].n; i++)
      if (zj_ops[p->fn[c].ins[i].op].out == ZJ_KIND_M && p->fn[c].ins[i].out == 1)
        p->fn[c].ins[i].out = 0;
  for (int c = ZJ_PREDICT; c <= ZJ_LEARN; c++)
    {
      const int a = 1 + (int) zj_rng_below (r, 3), b = (int) zj_rng_below (r, 4);
      zj_instr mv = zj_test_ins (ZJ_MATRIX_VECTOR_PRODUCT_OP, 1, c == ZJ_PREDICT ? a : b, a);
      zj_fn *f = &p->fn[c];
      zj_fn_push (f, mv);
      /* Predict's last instruction, s1 = dot (v0, v1), stays last. */
      int pos = f->n - 1;
      if (c == ZJ_PREDICT)
        {
          f->ins[pos] = f->ins[pos - 1];
          f->ins[--pos] = mv;
        }
      const int at = (int) zj_rng_below (r, (uint32_t) pos + 1);
      for (; pos > at; pos--)
        {
          f->ins[pos] = f->ins[pos - 1];
          f->ins[pos - 1] = mv;
        }
    }
}

/* Programs whose products read a matrix neither Predict nor Learn
   writes (the paper search's dominant class) at every F and task count,
   one task at a time and in the search's groups: the interpreter's
   results, memories and generator states. */
Test (ptask, read_only_products_equal_interpreter, .timeout = 600)
{
  use_cache_dir ("stencils");
  zj_ptask *pt = zj_ptask_new ();
  const int Fs[] = { 4, 8, 16, 32 }, nts[] = { 1, 3, 10, 17 };
  for (int fi = 0; fi < 4; fi++)
    for (int ti = 0; ti < 4; ti++)
      {
        const int F = Fs[fi], nt = nts[ti];
        const zj_shape sh = { F, 5, 4, 3 };
        zj_task *ts = make_tasks (F, nt, 12, 7, 2, ti % 2 ? ZJ_ACCURACY : ZJ_RMS_ERROR,
                                  300 + (uint64_t) (10 * fi + ti));
        zj_workspace *ws1 = zj_workspace_new (&sh), *ws2 = zj_workspace_new (&sh);
        zj_workspace *wi[ZJ_PTASK_GROUP_MAX], *wg[ZJ_PTASK_GROUP_MAX];
        for (int i = 0; i < ZJ_PTASK_GROUP_MAX; i++)
          {
            wi[i] = zj_workspace_new (&sh);
            wg[i] = zj_workspace_new (&sh);
          }
        zj_rng r;
        zj_rng_seed (&r, 77 + (uint64_t) (10 * fi + ti));
        zj_program p;
        zj_program_init (&p);
        const int n_programs = F == 32 || nt > 3 ? 12 : 30;
        for (int n = 0; n < n_programs; n++)
          {
            zj_test_random_program (&r, &sh, &p);
            read_only_products (&r, &p);
            zj_prepared *pp = zj_test_prepare (&p, &sh, n % 2 == 0);
            zj_eval_opts o;
            zj_eval_opts_default (&o);
            o.record_errors = n % 3 == 0 ? 0 : NREC;
            char what[96];
            for (int k = 0; k < nt && k < 3; k++)
              {
                snprintf (what, sizeof what, "read-only products F=%d nt=%d program %d task %d",
                          F, nt, n, k);
                check_task (pt, pp, &ts[k], &o, ws1, ws2, what);
              }
            const int G = (nt + group_count (nt) - 1) / group_count (nt);
            for (int k = 0; k < nt; k += G)
              {
                snprintf (what, sizeof what, "read-only products F=%d nt=%d program %d group at %d",
                          F, nt, n, k);
                /* Every other group stepped, 0 to 40 steps first. */
                const int steps = (n + k) % 2 ? (int) ((n * 7 + k) % 41) : -1;
                check_group (pt, pp, &ts[k], nt - k < G ? nt - k : G, &o,
                             wi, wg, steps, what);
              }
            zj_prepared_free (pp);
          }
        zj_program_free (&p);
        zj_workspace_free (ws1);
        zj_workspace_free (ws2);
        for (int i = 0; i < ZJ_PTASK_GROUP_MAX; i++)
          {
            zj_workspace_free (wi[i]);
            zj_workspace_free (wg[i]);
          }
        zj_test_tasks_free (ts, nt);
      }
  zj_ptask_stats s;
  zj_ptask_stats_get (pt, &s);
  cr_assert_eq (s.failures, 0, "%s", zj_ptask_error (pt));
  cr_assert_eq (s.fallbacks, 0);
  zj_ptask_free (pt);
}
