/* test_lanes.c -- the lane interpreter (tasks in SIMD lanes) gives every
 * task bit for bit the result of a separate evaluation: fitness, steps,
 * abort flag and recorded errors, for random programs over all
 * deterministic ops, every F, both eval types, any number of tasks. */
#include <criterion/criterion.h>
#include <math.h>
#include "testutil.h"
#include "internal.h"
#include <zerojit/search.h>
#include "kernels_lanes.h"

#define MAX_NT 19
#define NREC 32         /* errors recorded: more than any run validates */

/* nt tasks with the same counts.  Task k % 4 == 3 has huge labels (aborts
   in training); task k % 5 == 4 has one huge validation label at index 4
   (its validation passes abort half-way, training goes on). */
static zj_task *
make_tasks (int F, int nt, int ntr, int nva, int epochs, zj_eval_type et,
            uint64_t seed)
{
  return zj_test_lane_tasks (F, nt, ntr, nva, epochs, et, seed, true);
}

/* Learn of SGD on v1 with the rate in s2, using s<tmp> as scratch:
   s<tmp> = (s0 - s1) * s2;  v2 = s<tmp> * v0;  v1 = v1 + v2. */
static void
push_sgd_learn (zj_program *p, int tmp)
{
  zj_fn_push (&p->fn[ZJ_LEARN], zj_test_ins (ZJ_SCALAR_DIFF_OP, 0, 1, tmp));
  zj_fn_push (&p->fn[ZJ_LEARN], zj_test_ins (ZJ_SCALAR_PRODUCT_OP, tmp, 2, tmp));
  zj_fn_push (&p->fn[ZJ_LEARN], zj_test_ins (ZJ_SCALAR_VECTOR_PRODUCT_OP, tmp, 0, 2));
  zj_fn_push (&p->fn[ZJ_LEARN], zj_test_ins (ZJ_VECTOR_SUM_OP, 1, 2, 1));
}

typedef struct counts { int evals, aborted, vaborted; } counts;

/* Lanes vs separate evaluations of one prepared program; adds what was
   exercised to *c. */
static void
check_program (const zj_prepared *pp, const zj_task *ts, int nt,
               const zj_eval_opts *o, zj_workspace *ws1, zj_workspace *ws2,
               const char *what, counts *c)
{
  const zj_task *ptrs[MAX_NT];
  double te1[MAX_NT][NREC], ve1[MAX_NT][NREC], te2[MAX_NT][NREC], ve2[MAX_NT][NREC];
  zj_eval_result rl[MAX_NT];
  double fl[MAX_NT];
  for (int k = 0; k < nt; k++)
    {
      ptrs[k] = &ts[k];
      rl[k] = (zj_eval_result) { 0 };
      rl[k].train_err = te2[k];
      rl[k].valid_err = ve2[k];
    }
  cr_assert_eq (zj_interp_eval_lanes (pp, ptrs, nt, o, NULL, 0, ws2, rl, fl), 0, "%s", what);
  for (int k = 0; k < nt; k++)
    {
      zj_eval_result rs = { 0 };
      rs.train_err = te1[k];
      rs.valid_err = ve1[k];
      zj_rng unused;
      zj_rng_seed (&unused, 1);
      double fs = zj_interp_eval_task (pp, &ts[k], o, &unused, ws1, &rs);
      cr_assert (memcmp (&fs, &fl[k], sizeof fs) == 0,
                 "%s task %d: %.17g vs %.17g", what, k, fs, fl[k]);
      cr_assert (memcmp (&fs, &rl[k].fitness, sizeof fs) == 0, "%s task %d", what, k);
      cr_assert_eq (rs.train_steps, rl[k].train_steps, "%s task %d", what, k);
      cr_assert_eq (rs.aborted, rl[k].aborted, "%s task %d", what, k);
      cr_assert_eq (rs.n_train_err, rl[k].n_train_err, "%s task %d", what, k);
      cr_assert_eq (rs.n_valid_err, rl[k].n_valid_err, "%s task %d", what, k);
      cr_assert (memcmp (te1[k], te2[k], sizeof (double) * (size_t) rs.n_train_err) == 0,
                 "%s task %d", what, k);
      cr_assert (memcmp (ve1[k], ve2[k], sizeof (double) * (size_t) rs.n_valid_err) == 0,
                 "%s task %d", what, k);
      c->evals++;
      c->aborted += rs.aborted;
      /* A training-complete run that recorded fewer validation errors than
         it validated examples had a validation pass abort. */
      const int nv = o->n_valid >= 0 && o->n_valid < ts[k].n_valid ? o->n_valid
                                                                   : ts[k].n_valid;
      const long passes = (rs.train_steps + ts[k].n_train - 1) / ts[k].n_train;
      const long seen = passes * nv < o->record_errors ? passes * nv
                                                       : o->record_errors;
      if (!rs.aborted && rs.n_valid_err < seen)
        c->vaborted++;
    }
}

static void
compare_n (int F, zj_eval_type et, int epochs, int nt, int ntr, int n_programs,
           uint64_t seed)
{
  const zj_shape sh = { F, 5, 4, 3 };
  zj_task *ts = make_tasks (F, nt, ntr, 7, epochs, et, seed);
  zj_workspace *ws1 = zj_workspace_new (&sh), *ws2 = zj_workspace_new (&sh);
  zj_rng r;
  zj_rng_seed (&r, seed * 7 + 1);
  zj_program p;
  zj_program_init (&p);
  counts c = { 0, 0, 0 };
  for (int n = 0; n < n_programs; n++)
    {
      zj_test_random_program (&r, &sh, &p);
      zj_error err;
      zj_prepared *pp = zj_prepare (&p, &sh, n % 2 == 0, &err);
      cr_assert_not_null (pp, "%s", err.msg);
      zj_eval_opts o;
      zj_eval_opts_default (&o);
      /* Sometimes a cap, sometimes no recording (the search's real runs,
         which take the fused training path). */
      o.record_errors = n % 4 == 3 ? 8 : n % 5 == 2 ? 0 : NREC;
      if (n % 3 == 1)
        o.n_all_train = 5 + n % (ntr + 5);   /* FEC-like mini-run, maybe 2 epochs */
      if (n % 3 == 2)
        o.n_valid = 3 + n % 4;
      char what[96];
      snprintf (what, sizeof what, "F=%d et=%d nt=%d program %d", F, (int) et, nt, n);
      check_program (pp, ts, nt, &o, ws1, ws2, what, &c);
      zj_prepared_free (pp);
    }
  /* The suite must exercise aborts of both kinds, or it proves little. */
  if (et == ZJ_RMS_ERROR && nt >= 4)
    cr_assert_gt (c.aborted, 0);
  if (et == ZJ_RMS_ERROR && nt >= 5 && epochs > 1)
    cr_assert_gt (c.vaborted, 0);
  zj_program_free (&p);
  zj_workspace_free (ws1);
  zj_workspace_free (ws2);
  zj_test_tasks_free (ts, nt);
}

static void
compare (int F, zj_eval_type et, int epochs, int nt, int n_programs,
         uint64_t seed)
{
  compare_n (F, et, epochs, nt, 12, n_programs, seed);
}

Test (lanes, equals_separate_evaluations_rms)
{
  const int Fs[] = { 2, 4, 8, 16, 32 };
  const int nts[] = { 10, 5, 13, 3, 1 };
  for (int i = 0; i < 5; i++)
    {
      compare (Fs[i], ZJ_RMS_ERROR, 3, nts[i], i < 3 ? 250 : 120, 100 + (uint64_t) i);
      compare (Fs[i], ZJ_RMS_ERROR, 2, 10 - 2 * i + (i == 4), 60, 200 + (uint64_t) i);
    }
  /* Epochs longer than the block of steps whose examples are gathered at
     once (32 and 70 steps). */
  compare_n (4, ZJ_RMS_ERROR, 2, 10, 70, 80, 300);
  compare_n (2, ZJ_RMS_ERROR, 3, 6, 33, 60, 301);
  /* More tasks than two vectors of lanes hold (run-time lane count). */
  compare (4, ZJ_RMS_ERROR, 2, 19, 80, 302);
  compare (16, ZJ_RMS_ERROR, 1, 17, 40, 303);
}

Test (lanes, equals_separate_evaluations_accuracy)
{
  compare (2, ZJ_ACCURACY, 2, 7, 200, 5);
  compare (4, ZJ_ACCURACY, 2, 10, 250, 7);
  compare (8, ZJ_ACCURACY, 1, 1, 100, 9);
  compare (16, ZJ_ACCURACY, 1, 13, 100, 8);
  compare (32, ZJ_ACCURACY, 2, 4, 40, 11);
  compare (8, ZJ_ACCURACY, 2, 18, 60, 12);
}

/* The workspace keeps examples laid out in lanes per task set.  One
   workspace, many sets: a subset, a different set, more sets than it
   keeps, a set freed and replaced by new data (likely at the same
   addresses), and a set too large to keep whole.  Every evaluation must
   still equal separate ones. */
Test (lanes, row_cache_follows_task_sets)
{
  const int F = 4;
  const zj_shape sh = { F, 5, 4, 3 };
  zj_workspace *ws1 = zj_workspace_new (&sh), *ws2 = zj_workspace_new (&sh);
  zj_rng r;
  zj_rng_seed (&r, 77);
  zj_program p;
  zj_program_init (&p);
  zj_eval_opts o;
  zj_eval_opts_default (&o);
  o.record_errors = NREC;
  counts c = { 0, 0, 0 };
  zj_task *sets[6];
  for (int k = 0; k < 6; k++)
    sets[k] = make_tasks (F, 10, 12, 7, 2, ZJ_RMS_ERROR, 500 + (uint64_t) k);
  for (int round = 0; round < 3; round++)
    for (int k = 0; k < 6; k++)
      {
        zj_test_random_program (&r, &sh, &p);
        zj_error err;
        zj_prepared *pp = zj_prepare (&p, &sh, true, &err);
        cr_assert_not_null (pp, "%s", err.msg);
        char what[64];
        snprintf (what, sizeof what, "round %d set %d", round, k);
        o.record_errors = (round + k) % 2 ? 0 : NREC;
        check_program (pp, sets[k], 10, &o, ws1, ws2, what, &c);
        /* A subset of the same tasks: other lanes, other rows. */
        check_program (pp, sets[k] + 3, 5, &o, ws1, ws2, what, &c);
        zj_prepared_free (pp);
        if (round == 1)
          {
            /* Replace the set by new data of the same shape. */
            zj_test_tasks_free (sets[k], 10);
            sets[k] = make_tasks (F, 10, 12, 7, 2, ZJ_RMS_ERROR,
                                  900 + (uint64_t) k);
          }
      }
  for (int k = 0; k < 6; k++)
    zj_test_tasks_free (sets[k], 10);
  /* 32 features, 10 tasks, 2 epochs of 300: more rows than are kept, so
     later steps and the validation set are laid out on the fly. */
  zj_shape big = { 32, 5, 4, 3 };
  zj_workspace *wb1 = zj_workspace_new (&big), *wb2 = zj_workspace_new (&big);
  zj_task *ts = make_tasks (32, 10, 300, 7, 2, ZJ_RMS_ERROR, 600);
  for (int n = 0; n < 6; n++)
    {
      zj_test_random_program (&r, &big, &p);
      zj_error err;
      zj_prepared *pp = zj_prepare (&p, &big, true, &err);
      cr_assert_not_null (pp, "%s", err.msg);
      check_program (pp, ts, 10, &o, wb1, wb2, "large task set", &c);
      zj_prepared_free (pp);
    }
  zj_test_tasks_free (ts, 10);
  cr_assert_gt (c.aborted, 0);
  zj_program_free (&p);
  zj_workspace_free (ws1);
  zj_workspace_free (ws2);
  zj_workspace_free (wb1);
  zj_workspace_free (wb2);
}

/* The search's real runs record no errors, so training steps run fused
   inside the dispatch loop; a lane that aborts mid-block (task 3's huge
   labels) drops back to the per-task path for that step. */
Test (lanes, fused_training_steps_equal_separate_evaluations)
{
  const int F = 4, nt = 10;
  const zj_shape sh = { F, 5, 4, 3 };
  zj_task *ts = make_tasks (F, nt, 40, 7, 2, ZJ_RMS_ERROR, 44);
  zj_program p;
  zj_program_init (&p);
  zj_instr k = zj_test_ins (ZJ_SCALAR_CONST_SET_OP, 0, 0, 2);
  k.act = 0.05;
  zj_fn_push (&p.fn[ZJ_SETUP], k);
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_VECTOR_INNER_PRODUCT_OP, 1, 0, 1));
  push_sgd_learn (&p, 3);
  zj_error err;
  zj_prepared *pp = zj_prepare (&p, &sh, true, &err);
  cr_assert_not_null (pp, "%s", err.msg);
  zj_workspace *ws1 = zj_workspace_new (&sh), *ws2 = zj_workspace_new (&sh);
  zj_eval_opts o;
  zj_eval_opts_default (&o);
  counts c = { 0, 0, 0 };
  check_program (pp, ts, nt, &o, ws1, ws2, "SGD, no recording", &c);
  o.n_all_train = 50;        /* stops inside the second epoch's block */
  check_program (pp, ts, nt, &o, ws1, ws2, "SGD, 50 steps", &c);
  cr_assert_geq (c.aborted, 2);   /* tasks 3 and 7 */
  zj_prepared_free (pp);
  zj_program_free (&p);
  zj_workspace_free (ws1);
  zj_workspace_free (ws2);
  zj_test_tasks_free (ts, nt);
}

/* A Predict that scales v0 in place: Learn must see the features again,
   not the scaled copy. */
Test (lanes, predict_writing_features_is_undone_before_learn)
{
  const int F = 8, nt = 6;
  const zj_shape sh = { F, 5, 4, 3 };
  zj_task *ts = make_tasks (F, nt, 12, 7, 2, ZJ_RMS_ERROR, 43);
  zj_program p;
  zj_program_init (&p);
  zj_instr k = zj_test_ins (ZJ_SCALAR_CONST_SET_OP, 0, 0, 2);
  k.act = 0.5;
  zj_fn_push (&p.fn[ZJ_SETUP], k);
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_SCALAR_VECTOR_PRODUCT_OP, 2, 0, 0));
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_VECTOR_INNER_PRODUCT_OP, 0, 1, 1));
  push_sgd_learn (&p, 4);
  zj_error err;
  zj_prepared *pp = zj_prepare (&p, &sh, true, &err);
  cr_assert_not_null (pp, "%s", err.msg);
  cr_assert_eq (zj_prepared_program (pp)->fn[ZJ_PREDICT].n, 2);
  zj_workspace *ws1 = zj_workspace_new (&sh), *ws2 = zj_workspace_new (&sh);
  zj_eval_opts o;
  zj_eval_opts_default (&o);
  o.record_errors = NREC;
  counts c = { 0, 0, 0 };
  check_program (pp, ts, nt, &o, ws1, ws2, "predict scales v0", &c);
  cr_assert_eq (c.evals, nt);
  zj_prepared_free (pp);
  zj_program_free (&p);
  zj_workspace_free (ws1);
  zj_workspace_free (ws2);
  zj_test_tasks_free (ts, nt);
}

/* Predict keeps a counter in s3, so a lane whose validation pass aborts
   must keep the counter's value at the abort into the next epoch. */
Test (lanes, validation_abort_freezes_lane)
{
  const int F = 4, nt = 5;
  const zj_shape sh = { F, 5, 4, 3 };
  zj_task *ts = make_tasks (F, nt, 12, 7, 3, ZJ_RMS_ERROR, 42);
  zj_program p;
  zj_program_init (&p);
  zj_instr k = zj_test_ins (ZJ_SCALAR_CONST_SET_OP, 0, 0, 2);
  k.act = 0.01;
  zj_fn_push (&p.fn[ZJ_SETUP], k);
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_SCALAR_SUM_OP, 3, 2, 3));
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_VECTOR_INNER_PRODUCT_OP, 0, 1, 1));
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_SCALAR_SUM_OP, 1, 3, 1));
  push_sgd_learn (&p, 4);
  zj_error err;
  zj_prepared *pp = zj_prepare (&p, &sh, true, &err);
  cr_assert_not_null (pp, "%s", err.msg);
  zj_workspace *ws1 = zj_workspace_new (&sh), *ws2 = zj_workspace_new (&sh);
  zj_eval_opts o;
  zj_eval_opts_default (&o);
  o.record_errors = NREC;
  counts c = { 0, 0, 0 };
  check_program (pp, ts, nt, &o, ws1, ws2, "counter program", &c);
  cr_assert_eq (c.aborted, 1);    /* task 3 (huge labels) */
  cr_assert_eq (c.vaborted, 1);   /* task 4 */
  zj_prepared_free (pp);
  zj_program_free (&p);
  zj_workspace_free (ws1);
  zj_workspace_free (ws2);
  zj_test_tasks_free (ts, nt);
}

Test (lanes, refuses_random_ops_mixed_tasks_and_other_sizes)
{
  const zj_shape sh = { 4, 5, 4, 3 };
  zj_task *ts = make_tasks (4, 2, 12, 7, 1, ZJ_RMS_ERROR, 1);
  const zj_task *ptrs[2] = { &ts[0], &ts[1] };
  zj_workspace *ws = zj_workspace_new (&sh);
  zj_program p;
  zj_program_init (&p);
  zj_instr g = zj_test_ins (ZJ_SCALAR_GAUSSIAN_SET_OP, 0, 0, 1);
  g.fd[1] = 1.0f;
  zj_fn_push (&p.fn[ZJ_PREDICT], g);
  zj_error err;
  zj_prepared *pp = zj_prepare (&p, &sh, true, &err);
  zj_eval_result r[2];
  memset (r, 0, sizeof r);
  double f[2];
  cr_assert_eq (zj_interp_eval_lanes (pp, ptrs, 2, NULL, NULL, 0, ws, r, f), -1);
  zj_rng rng;
  zj_rng_seed (&rng, 1);
  cr_assert_eq (zj_interp_eval_lanes (pp, ptrs, 2, NULL, &rng, 0, ws, r, f), -1);
  zj_prepared_free (pp);
  /* In Setup: only with a generator. */
  zj_program_clear (&p);
  zj_fn_push (&p.fn[ZJ_SETUP], g);
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_SCALAR_SUM_OP, 1, 1, 1));
  pp = zj_prepare (&p, &sh, true, &err);
  cr_assert_eq (zj_interp_eval_lanes (pp, ptrs, 2, NULL, NULL, 0, ws, r, f), -1);
  cr_assert_eq (zj_interp_eval_lanes (pp, ptrs, 2, NULL, &rng, 0, ws, r, f), 0);
  zj_prepared_free (pp);
  zj_program_clear (&p);
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_SCALAR_SUM_OP, 2, 2, 1));
  pp = zj_prepare (&p, &sh, true, &err);
  ts[1].n_valid = 6;
  cr_assert_eq (zj_interp_eval_lanes (pp, ptrs, 2, NULL, NULL, 0, ws, r, f), -1);
  ts[1].n_valid = 7;
  ts[1].eval_type = ZJ_ACCURACY;
  cr_assert_eq (zj_interp_eval_lanes (pp, ptrs, 2, NULL, NULL, 0, ws, r, f), -1);
  ts[1].eval_type = ZJ_RMS_ERROR;
  cr_assert_eq (zj_interp_eval_lanes (pp, ptrs, 2, NULL, NULL, 0, ws, r, f), 0);
  cr_assert_eq (zj_interp_eval_lanes (pp, ptrs, 0, NULL, NULL, 0, ws, r, f), 0);
  zj_prepared_free (pp);
  zj_program_free (&p);
  zj_workspace_free (ws);
  zj_test_tasks_free (ts, 2);
}

/* Random ops in Setup only: the lanes run each task's Setup on the shared
   generator in task order (or restarted from a seed per task, as the FEC
   does), so every task and the generator end as after separate
   evaluations in order.  Random programs over all deterministic ops, with
   a random Setup op prepended; both eval types. */
static void
random_setup_case (zj_eval_type et, int F, int nt, uint64_t reseed,
                   uint64_t seed)
{
  const zj_shape sh = { F, 5, 4, 3 };
  zj_task *ts = make_tasks (F, nt, 12, 7, 2, et, seed);
  zj_workspace *ws1 = zj_workspace_new (&sh), *ws2 = zj_workspace_new (&sh);
  zj_rng r;
  zj_rng_seed (&r, seed + 5);
  static const int rops[] = { ZJ_SCALAR_GAUSSIAN_SET_OP, ZJ_VECTOR_UNIFORM_SET_OP,
                              ZJ_MATRIX_GAUSSIAN_SET_OP, ZJ_VECTOR_GAUSSIAN_SET_OP };
  int random_draws = 0;
  for (int n = 0; n < 60; n++)
    {
      zj_program p;
      zj_program_init (&p);
      zj_test_random_program (&r, &sh, &p);
      zj_instr g;
      zj_random_instruction (&r, rops[n % 4], &sh, &g);
      zj_fn_push (&p.fn[ZJ_SETUP], g);
      /* Half the programs draw first in Setup (later instructions may
         overwrite the draw), half last. */
      if (n % 2)
        {
          zj_instr tmp = p.fn[ZJ_SETUP].ins[0];
          p.fn[ZJ_SETUP].ins[0] = p.fn[ZJ_SETUP].ins[p.fn[ZJ_SETUP].n - 1];
          p.fn[ZJ_SETUP].ins[p.fn[ZJ_SETUP].n - 1] = tmp;
        }
      zj_error err;
      zj_prepared *pp = zj_prepare (&p, &sh, n % 3 == 0, &err);
      cr_assert_not_null (pp, "%s", err.msg);
      zj_eval_opts o;
      zj_eval_opts_default (&o);
      o.record_errors = n % 2 ? NREC : 0;
      const zj_task *ptrs[MAX_NT];
      zj_eval_result rl[MAX_NT], rs;
      double fl[MAX_NT], te[MAX_NT][NREC], ve[MAX_NT][NREC], te1[NREC], ve1[NREC];
      for (int k = 0; k < nt; k++)
        {
          ptrs[k] = &ts[k];
          rl[k] = (zj_eval_result) { .train_err = te[k], .valid_err = ve[k] };
        }
      zj_rng g1, g2;
      zj_rng_seed (&g1, seed + (uint64_t) n);
      g2 = g1;
      cr_assert_eq (zj_interp_eval_lanes (pp, ptrs, nt, &o, &g2, reseed, ws2,
                                          rl, fl), 0);
      for (int k = 0; k < nt; k++)
        {
          rs = (zj_eval_result) { .train_err = te1, .valid_err = ve1 };
          if (reseed)
            zj_rng_seed (&g1, reseed);
          const double fs = zj_interp_eval_task (pp, &ts[k], &o, &g1, ws1, &rs);
          cr_assert (memcmp (&fs, &fl[k], sizeof fs) == 0,
                     "program %d task %d: %.17g vs %.17g", n, k, fs, fl[k]);
          cr_assert_eq (rs.train_steps, rl[k].train_steps);
          cr_assert_eq (rs.aborted, rl[k].aborted);
          cr_assert_eq (rs.n_train_err, rl[k].n_train_err);
          cr_assert_eq (rs.n_valid_err, rl[k].n_valid_err);
          cr_assert (memcmp (te1, te[k], sizeof (double) * (size_t) rs.n_train_err) == 0);
          cr_assert (memcmp (ve1, ve[k], sizeof (double) * (size_t) rs.n_valid_err) == 0);
        }
      /* The shared generator is where separate evaluations leave it. */
      const uint64_t a = zj_rng_next (&g1), b = zj_rng_next (&g2);
      cr_assert_eq (a, b, "program %d: generator state differs", n);
      random_draws += zj_fn_is_random (&pp->prog, ZJ_SETUP);
      zj_prepared_free (pp);
      zj_program_free (&p);
    }
  cr_assert_gt (random_draws, 20);   /* pruning kept the random op often */
  zj_workspace_free (ws1);
  zj_workspace_free (ws2);
  zj_test_tasks_free (ts, nt);
}

Test (lanes, random_setup_equals_separate_evaluations)
{
  random_setup_case (ZJ_RMS_ERROR, 4, 10, 0, 41);
  random_setup_case (ZJ_ACCURACY, 16, 10, 0, 42);
  random_setup_case (ZJ_RMS_ERROR, 8, 5, 235732282, 43);
  random_setup_case (ZJ_ACCURACY, 2, 13, 235732282, 44);
}

/* Matrix-vector products (computed a block of rows at a time with the
   sums in registers, zj_lmatvec) equal separate evaluations: every F,
   1 to 3 lane vectors (and the run-time count), products reading the
   example row, a vector written in place (v3 = dot(m1, v3)) in Predict
   and in Learn, matrices that start at zero (signed zeros: sums start
   at -0.0) and then change with every step. */
static const char *const matvec_program = ZJ_TEST_MATVEC_PROGRAM;

Test (lanes, matrix_vector_row_blocks_equal_separate_evaluations)
{
  zj_program p;
  zj_program_init (&p);
  zj_error err;
  cr_assert_eq (zj_program_parse (matvec_program, "matvec", &p, &err), 0,
                "%s", err.msg);
  const int Fs[] = { 2, 4, 8, 16, 32 };
  const int nts[] = { 1, 3, 10, 17 };
  int evals = 0;
  for (int i = 0; i < 5; i++)
    for (int j = 0; j < 4; j++)
      for (int et = 0; et < 2; et++)
        {
          const zj_shape sh = { Fs[i], 5, 4, 3 };
          const zj_eval_type type = et ? ZJ_ACCURACY : ZJ_RMS_ERROR;
          zj_task *ts = make_tasks (Fs[i], nts[j], 40, 7, 2, type,
                                    100 + (uint64_t) (i * 8 + j * 2 + et));
          zj_workspace *ws1 = zj_workspace_new (&sh);
          zj_workspace *ws2 = zj_workspace_new (&sh);
          zj_prepared *pp = zj_prepare (&p, &sh, false, &err);
          cr_assert_not_null (pp, "%s", err.msg);
          cr_assert_eq (zj_prepared_program (pp)->fn[ZJ_PREDICT].n, 4);
          for (int rec = 0; rec < 2; rec++)
            {
              zj_eval_opts o;
              zj_eval_opts_default (&o);
              o.record_errors = rec ? NREC : 0;   /* 0: fused steps */
              char what[96];
              snprintf (what, sizeof what, "matvec F=%d nt=%d et=%d rec=%d",
                        Fs[i], nts[j], et, rec);
              counts c = { 0, 0, 0 };
              check_program (pp, ts, nts[j], &o, ws1, ws2, what, &c);
              evals += c.evals;
            }
          zj_prepared_free (pp);
          zj_workspace_free (ws1);
          zj_workspace_free (ws2);
          zj_test_tasks_free (ts, nts[j]);
        }
  cr_assert_eq (evals, 2 * 2 * 5 * (1 + 3 + 10 + 17));
  zj_program_free (&p);
}

/* ACCURACY's training sigmoid is skipped when nothing reads its result
   (zj_s1_sigmoid_dead) and the abort check becomes a NaN test of the raw
   logit.  Features up to ~1000 make raw logits far beyond max_abs_error,
   so a check that compared them with the labels would abort tasks the
   sigmoid keeps alive; NaN predictions must still abort.  Every
   evaluation equals separate ones (which always take the sigmoid), with
   the shortcut on and off, and both kinds of evaluation occur. */
Test (lanes, dead_training_sigmoid_equals_separate_evaluations)
{
  const int F = 4, nt = 10;
  const zj_shape sh = { F, 5, 4, 3 };
  zj_task *ts = make_tasks (F, nt, 20, 7, 2, ZJ_ACCURACY, 91);
  for (int k = 0; k < nt; k += 2)
    for (int i = 0; i < ts[k].n_train * F; i++)
      ts[k].train_x[i] *= 300.0;
  zj_workspace *ws1 = zj_workspace_new (&sh), *ws2 = zj_workspace_new (&sh);
  zj_rng r;
  zj_rng_seed (&r, 92);
  zj_program p;
  zj_program_init (&p);
  counts dead = { 0, 0, 0 }, live = { 0, 0, 0 };
  int big = 0;
  for (int n = 0; n < 1500; n++)
    {
      zj_test_random_program (&r, &sh, &p);
      if (n % 3 == 0)
        {
          /* A logit that can be large: s1 = dot(v1, v0) with v1 = v0 of
             the step's Learn (v1 = v0 + v0 reads no s1). */
          p.fn[ZJ_PREDICT].n = 0;
          p.fn[ZJ_LEARN].n = 0;
          zj_fn_push (&p.fn[ZJ_PREDICT],
                      zj_test_ins (ZJ_VECTOR_INNER_PRODUCT_OP, 1, 0, 1));
          zj_fn_push (&p.fn[ZJ_LEARN], zj_test_ins (ZJ_VECTOR_SUM_OP, 0, 0, 1));
          big++;
        }
      zj_error err;
      zj_prepared *pp = zj_prepare (&p, &sh, true, &err);
      cr_assert_not_null (pp, "%s", err.msg);
      const bool is_dead = zj_s1_sigmoid_dead (zj_prepared_program (pp));
      for (int off = 0; off < 2; off++)
        {
          zj_eval_opts o;
          zj_eval_opts_default (&o);
          o.record_errors = 0;
          o.no_shortcuts = off;
          char what[96];
          snprintf (what, sizeof what, "program %d dead=%d off=%d", n,
                    (int) is_dead, off);
          check_program (pp, ts, nt, &o, ws1, ws2, what,
                         is_dead ? &dead : &live);
        }
      zj_prepared_free (pp);
    }
  cr_assert_gt (big, 0);
  cr_assert_gt (dead.evals, 1000, "%d", dead.evals);
  cr_assert_gt (live.evals, 100, "%d", live.evals);
  cr_assert_gt (dead.aborted, 20, "%d", dead.aborted);
  zj_program_free (&p);
  zj_workspace_free (ws1);
  zj_workspace_free (ws2);
  zj_test_tasks_free (ts, nt);
}

/* A caller may pass its tasks' zj_lane_task_key (the evaluator does): the
   set then has the key it has without them, so a set first seen keyed
   gets rows when it comes back unkeyed, and the reverse; and the results
   equal separate evaluations either way. */
Test (lanes, task_keys_give_the_same_row_sets)
{
  const int F = 4, NT = 10;
  const zj_shape sh = { F, 5, 4, 3 };
  zj_rng r;
  zj_rng_seed (&r, 78);
  zj_program p;
  zj_program_init (&p);
  zj_eval_opts o;
  zj_eval_opts_default (&o);
  counts c = { 0, 0, 0 };
  zj_task *ts = make_tasks (F, NT, 12, 7, 1, ZJ_RMS_ERROR, 700);
  const zj_task *ptrs[MAX_NT];
  uint64_t keys[MAX_NT];
  for (int k = 0; k < NT; k++)
    {
      ptrs[k] = &ts[k];
      keys[k] = zj_lane_task_key (&ts[k]);
    }
  for (int keyed_first = 0; keyed_first < 2; keyed_first++)
    {
      zj_workspace *ws = zj_workspace_new (&sh), *ws1 = zj_workspace_new (&sh);
      zj_test_random_program (&r, &sh, &p);
      zj_error err;
      zj_prepared *pp = zj_prepare (&p, &sh, true, &err);
      cr_assert_not_null (pp, "%s", err.msg);
      zj_eval_result res[MAX_NT];
      double fit[MAX_NT];
      memset (res, 0, sizeof res);
      /* First sight: remembered, no rows yet. */
      cr_assert_eq (zj_interp_eval_lanes_keyed (pp, ptrs, NT, &o, NULL, 0, ws,
                                                res, fit,
                                                keyed_first ? keys : NULL,
                                                NULL), 0);
      for (int i = 0; i < ZJ_LANE_ROWS_SETS; i++)
        cr_assert_eq (ws->lrows[i].key, 0);
      /* Second sight, the other way: the same set, so rows are laid out. */
      cr_assert_eq (zj_interp_eval_lanes_keyed (pp, ptrs, NT, &o, NULL, 0, ws,
                                                res, fit,
                                                keyed_first ? NULL : keys,
                                                NULL), 0);
      int sets = 0;
      for (int i = 0; i < ZJ_LANE_ROWS_SETS; i++)
        sets += ws->lrows[i].key != 0;
      cr_assert_eq (sets, 1, "keyed first: %d", keyed_first);
      check_program (pp, ts, NT, &o, ws1, ws, "keyed rows", &c);
      zj_prepared_free (pp);
      zj_workspace_free (ws);
      zj_workspace_free (ws1);
    }
  /* Another task's key tells the sets apart. */
  cr_assert_neq (zj_lane_task_key (&ts[0]), zj_lane_task_key (&ts[1]));
  zj_test_tasks_free (ts, NT);
  zj_program_free (&p);
}

/* no_fitness (the FEC's mini-runs) leaves the fitness at 0 and changes
   nothing else: steps, aborts and every recorded error are those of the
   full evaluation. */
Test (lanes, no_fitness_keeps_the_errors)
{
  const int F = 4, NT = 10;
  const zj_shape sh = { F, 5, 4, 3 };
  zj_rng r;
  zj_rng_seed (&r, 79);
  zj_program p;
  zj_program_init (&p);
  zj_task *ts = make_tasks (F, NT, 12, 7, 1, ZJ_RMS_ERROR, 800);
  const zj_task *ptrs[MAX_NT];
  for (int k = 0; k < NT; k++)
    ptrs[k] = &ts[k];
  zj_workspace *ws = zj_workspace_new (&sh);
  int scored = 0;
  for (int n = 0; n < 200; n++)
    {
      zj_test_random_program (&r, &sh, &p);
      zj_error err;
      zj_prepared *pp = zj_prepare (&p, &sh, true, &err);
      cr_assert_not_null (pp, "%s", err.msg);
      double te[2][MAX_NT][NREC], ve[2][MAX_NT][NREC], fit[2][MAX_NT];
      zj_eval_result res[2][MAX_NT];
      for (int w = 0; w < 2; w++)
        {
          zj_eval_opts o;
          zj_eval_opts_default (&o);
          o.record_errors = NREC;
          o.n_all_train = 5;
          o.n_valid = 4;
          o.no_fitness = w == 1;
          memset (te[w], 0, sizeof te[w]);
          memset (ve[w], 0, sizeof ve[w]);
          for (int k = 0; k < NT; k++)
            {
              res[w][k] = (zj_eval_result) { 0 };
              res[w][k].train_err = te[w][k];
              res[w][k].valid_err = ve[w][k];
            }
          cr_assert_eq (zj_interp_eval_lanes (pp, ptrs, NT, &o, NULL, 0, ws,
                                              res[w], fit[w]), 0);
        }
      for (int k = 0; k < NT; k++)
        {
          cr_assert_eq (fit[1][k], 0.0, "program %d task %d", n, k);
          scored += fit[0][k] > 0.0;
          cr_assert_eq (res[0][k].train_steps, res[1][k].train_steps);
          cr_assert_eq (res[0][k].aborted, res[1][k].aborted);
          cr_assert_eq (res[0][k].n_train_err, res[1][k].n_train_err);
          cr_assert_eq (res[0][k].n_valid_err, res[1][k].n_valid_err);
          cr_assert (memcmp (te[0][k], te[1][k], sizeof te[0][k]) == 0);
          cr_assert (memcmp (ve[0][k], ve[1][k], sizeof ve[0][k]) == 0);
        }
      zj_prepared_free (pp);
    }
  cr_assert_gt (scored, 100);    /* the fitness it skips is not all 0 */
  zj_workspace_free (ws);
  zj_test_tasks_free (ts, NT);
  zj_program_free (&p);
}

/* A caller that takes the lane-major record (the evaluator's FEC runs)
   finds there, for every task, the errors the lanes would copy out to
   it, and the same counts. */
Test (lanes, lane_major_record_holds_the_errors)
{
  const int F = 4, NT = 10;
  const zj_shape sh = { F, 5, 4, 3 };
  zj_rng r;
  zj_rng_seed (&r, 80);
  zj_program p;
  zj_program_init (&p);
  zj_task *ts = make_tasks (F, NT, 12, 7, 1, ZJ_RMS_ERROR, 810);
  const zj_task *ptrs[MAX_NT];
  for (int k = 0; k < NT; k++)
    ptrs[k] = &ts[k];
  zj_workspace *ws = zj_workspace_new (&sh);
  int errors = 0;
  for (int n = 0; n < 200; n++)
    {
      zj_test_random_program (&r, &sh, &p);
      zj_error err;
      zj_prepared *pp = zj_prepare (&p, &sh, true, &err);
      cr_assert_not_null (pp, "%s", err.msg);
      zj_eval_opts o;
      zj_eval_opts_default (&o);
      o.record_errors = NREC;
      o.n_all_train = 6;
      o.n_valid = 5;
      double te[MAX_NT][NREC], ve[MAX_NT][NREC], fit[MAX_NT];
      zj_eval_result res[MAX_NT], res2[MAX_NT];
      for (int k = 0; k < NT; k++)
        {
          res[k] = (zj_eval_result) { 0 };
          res[k].train_err = te[k];
          res[k].valid_err = ve[k];
          res2[k] = (zj_eval_result) { 0 };
        }
      cr_assert_eq (zj_interp_eval_lanes (pp, ptrs, NT, &o, NULL, 0, ws, res,
                                          fit), 0);
      zj_lane_record rec;
      cr_assert_eq (zj_interp_eval_lanes_keyed (pp, ptrs, NT, &o, NULL, 0, ws,
                                                res2, fit, NULL, &rec), 0);
      cr_assert_not_null (rec.train);
      cr_assert_geq (rec.stride, (size_t) NT);
      for (int k = 0; k < NT; k++)
        {
          cr_assert_eq (res[k].n_train_err, res2[k].n_train_err);
          cr_assert_eq (res[k].n_valid_err, res2[k].n_valid_err);
          cr_assert_eq (res[k].train_steps, res2[k].train_steps);
          for (int i = 0; i < res[k].n_train_err; i++)
            cr_assert (memcmp (&te[k][i], &rec.train[i * rec.stride + k],
                               sizeof (double)) == 0,
                       "program %d task %d train error %d", n, k, i);
          for (int i = 0; i < res[k].n_valid_err; i++)
            cr_assert (memcmp (&ve[k][i], &rec.valid[i * rec.stride + k],
                               sizeof (double)) == 0,
                       "program %d task %d valid error %d", n, k, i);
          errors += res[k].n_train_err + res[k].n_valid_err;
        }
      zj_prepared_free (pp);
    }
  cr_assert_gt (errors, 5000);
  /* Records the lanes do not keep lane-major: none handed over. */
  zj_test_random_program (&r, &sh, &p);
  zj_error err;
  zj_prepared *pp = zj_prepare (&p, &sh, true, &err);
  zj_eval_opts o;
  zj_eval_opts_default (&o);
  /* Longer than the lanes record lane-major (the arrays still hold all
     19 errors the run has). */
  o.record_errors = 1000;
  double te[MAX_NT][NREC], ve[MAX_NT][NREC], fit[MAX_NT];
  zj_eval_result res[MAX_NT];
  for (int k = 0; k < NT; k++)
    {
      res[k] = (zj_eval_result) { 0 };
      res[k].train_err = te[k];
      res[k].valid_err = ve[k];
    }
  zj_lane_record rec = { (const double *) 1, NULL, 7 };
  cr_assert_eq (zj_interp_eval_lanes_keyed (pp, ptrs, NT, &o, NULL, 0, ws, res,
                                            fit, NULL, &rec), 0);
  cr_assert_null (rec.train);
  zj_prepared_free (pp);
  zj_workspace_free (ws);
  zj_test_tasks_free (ts, NT);
  zj_program_free (&p);
}

/* Products with a matrix that Predict and Learn never write run on a
   per-task copy, eight tasks at a time (zj_lmatvec_tasks on AVX-512
   builds, F = 8 or 16): each equals separate evaluations, with signed
   zeros and values from Setup, in place (v3 = dot(m1, v3)), reading the
   example (v0) and the label in Learn, two matrices of which one is
   written (m0 keeps the lane kernel), and 1 to 17 tasks (one or more
   groups of eight, a partial last group). */
static const char *const ro_matvec_program =
  "def Setup():\n"
  "  s2 = 0.01\n"
  "  v4[0.0] = 0.75\n"
  "  v4[0.3] = -1.5\n"
  "  v4[0.9] = 0.125\n"
  "  v5[0.1] = 2.0\n"
  "  v5[0.6] = -0.5\n"
  "  m1 = outer(v4, v5)\n"
  "  m1[0.2, 0.8] = -0.25\n"
  "  m1[0.7, 0.0] = 1.25\n"
  "  m1 = m1 + m1\n"
  "def Predict():\n"
  "  v2 = dot(m1, v0)\n"
  "  v3 = dot(m0, v2)\n"
  "  v3 = dot(m1, v3)\n"
  "  v4 = dot(m1, v4)\n"
  "  s1 = dot(v3, v0)\n"
  "  s3 = dot(v4, v0)\n"
  "  s1 = s1 + s3\n"
  "def Learn():\n"
  "  s3 = s0 - s1\n"
  "  s3 = s2 * s3\n"
  "  v1 = s3 * v0\n"
  "  v5 = dot(m1, v1)\n"
  "  m2 = outer(v5, v0)\n"
  "  m0 = m0 + m2\n";

Test (lanes, read_only_matrix_products_equal_separate_evaluations)
{
  zj_program p;
  zj_program_init (&p);
  zj_error err;
  cr_assert_eq (zj_program_parse (ro_matvec_program, "ro_matvec", &p, &err),
                0, "%s", err.msg);
  const int Fs[] = { 4, 8, 16, 32 };
  const int nts[] = { 1, 3, 8, 10, 16, 17 };
  int evals = 0;
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 6; j++)
      for (int et = 0; et < 2; et++)
        {
          const zj_shape sh = { Fs[i], 5, 6, 3 };
          const zj_eval_type type = et ? ZJ_ACCURACY : ZJ_RMS_ERROR;
          zj_task *ts = make_tasks (Fs[i], nts[j], 30, 7, 2, type,
                                    700 + (uint64_t) (i * 16 + j * 2 + et));
          zj_workspace *ws1 = zj_workspace_new (&sh);
          zj_workspace *ws2 = zj_workspace_new (&sh);
          zj_prepared *pp = zj_prepare (&p, &sh, false, &err);
          cr_assert_not_null (pp, "%s", err.msg);
          for (int rep = 0; rep < 3; rep++)
            {
              zj_eval_opts o;
              zj_eval_opts_default (&o);
              o.record_errors = rep == 2 ? NREC : 0;
              o.no_shortcuts = rep == 1;
              char what[96];
              snprintf (what, sizeof what, "ro matvec F=%d nt=%d et=%d rep=%d",
                        Fs[i], nts[j], et, rep);
              counts c = { 0, 0, 0 };
              check_program (pp, ts, nts[j], &o, ws1, ws2, what, &c);
              evals += c.evals;
            }
          zj_prepared_free (pp);
          zj_workspace_free (ws1);
          zj_workspace_free (ws2);
          zj_test_tasks_free (ts, nts[j]);
        }
  cr_assert_eq (evals, 3 * 2 * 4 * (1 + 3 + 8 + 10 + 16 + 17));
  zj_program_free (&p);
}

#if ZJ_LW == 8
/* The kernel itself, bit for bit against the lane kernel: matrices and
   vectors with zeros of both signs (all-zero rows: their sum's sign is
   the start value's), subnormals, infinities and NaN, every task count
   of one and two groups of eight. */
Test (lanes, task_matvec_kernel_equals_lane_kernel)
{
  zj_rng r;
  zj_rng_seed (&r, 5150);
  const double sp[] = { 0.0, -0.0, 1e-310, -1e-310, INFINITY, -INFINITY, NAN,
                        1e300, -3.5 };
  for (int F = 8; F <= 16; F += 8)
    for (int nb = 1; nb <= 2; nb++)
      for (int nr = (nb - 1) * 8 + 1; nr <= nb * 8; nr++)
        for (int rep = 0; rep < 20; rep++)
          {
            const int L = nb * ZJ_LW;
            zj_lv *A = zj_aligned_alloc ((size_t) (F * F * nb) * sizeof (zj_lv));
            zj_lv *B = zj_aligned_alloc ((size_t) (F * nb) * sizeof (zj_lv));
            zj_lv *T1 = zj_aligned_alloc ((size_t) (F * nb) * sizeof (zj_lv));
            zj_lv *T2 = zj_aligned_alloc ((size_t) (F * nb) * sizeof (zj_lv));
            double *Mt = zj_aligned_alloc ((size_t) (F * F * L) * sizeof (double));
            double *a = (double *) A, *b = (double *) B;
            for (int e = 0; e < F * F * L; e++)
              {
                const int row = (e / L) % F;
                a[e] = row == rep % F ? (zj_rng_below (&r, 2) ? 0.0 : -0.0)
                       : zj_rng_below (&r, 10) == 0 ? sp[zj_rng_below (&r, 9)]
                       : zj_rng_normal (&r);
              }
            for (int e = 0; e < F * L; e++)
              b[e] = zj_rng_below (&r, 10) == 0 ? sp[zj_rng_below (&r, 9)]
                     : zj_rng_normal (&r);
            for (int t = 0; t < nr; t++)
              for (int e = 0; e < F * F; e++)
                Mt[t * F * F + e] = a[e * L + t];
            zj_lmatvec (T1, A, B, F, nb);
            zj_lmatvec_tasks (T2, Mt, B, F, nb, nr);
            const double *x = (const double *) T1, *y = (const double *) T2;
            for (int row = 0; row < F; row++)
              for (int t = 0; t < nr; t++)
                cr_assert (memcmp (&x[row * L + t], &y[row * L + t], 8) == 0,
                           "F=%d nb=%d nr=%d row %d task %d: %a vs %a", F, nb,
                           nr, row, t, x[row * L + t], y[row * L + t]);
            free (A); free (B); free (T1); free (T2); free (Mt);
          }
}
#endif

/* Lane memory starts at zero in every evaluation: a program that names
   nothing predicts from a zero s1, whatever an earlier program left in
   the workspace. */
Test (lanes, memory_left_by_an_earlier_program_is_not_read)
{
  const int F = 4, NT = 10;
  const zj_shape sh = { F, 5, 4, 3 };
  zj_task *ts = make_tasks (F, NT, 12, 7, 1, ZJ_RMS_ERROR, 820);
  zj_workspace *ws1 = zj_workspace_new (&sh), *ws2 = zj_workspace_new (&sh);
  zj_eval_opts o;
  zj_eval_opts_default (&o);
  counts c = { 0, 0, 0 };
  zj_program p;
  zj_program_init (&p);
  /* Setup fills every scalar and a vector. */
  for (int a = 1; a < 5; a++)
    {
      zj_instr in = zj_test_ins (ZJ_SCALAR_CONST_SET_OP, 0, 0, a);
      in.act = 0.25 * a;
      zj_fn_push (&p.fn[ZJ_SETUP], in);
    }
  zj_fn_push (&p.fn[ZJ_SETUP], zj_test_ins (ZJ_SCALAR_VECTOR_PRODUCT_OP, 2, 0, 3));
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_VECTOR_INNER_PRODUCT_OP, 3, 0, 4));
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_SCALAR_SUM_OP, 4, 1, 1));
  zj_error err;
  zj_prepared *pp = zj_prepare (&p, &sh, false, &err);
  cr_assert_not_null (pp, "%s", err.msg);
  check_program (pp, ts, NT, &o, ws1, ws2, "filling program", &c);
  zj_prepared_free (pp);
  /* Then programs that name no address, or only s0. */
  zj_program_clear (&p);
  pp = zj_prepare (&p, &sh, false, &err);
  cr_assert_not_null (pp, "%s", err.msg);
  check_program (pp, ts, NT, &o, ws1, ws2, "empty program", &c);
  zj_prepared_free (pp);
  zj_fn_push (&p.fn[ZJ_LEARN], zj_test_ins (ZJ_SCALAR_SUM_OP, 0, 0, 0));
  pp = zj_prepare (&p, &sh, false, &err);
  cr_assert_not_null (pp, "%s", err.msg);
  check_program (pp, ts, NT, &o, ws1, ws2, "s0 only", &c);
  zj_prepared_free (pp);
  zj_program_free (&p);
  zj_workspace_free (ws1);
  zj_workspace_free (ws2);
  zj_test_tasks_free (ts, NT);
}
