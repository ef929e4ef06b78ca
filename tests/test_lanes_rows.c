/* test_lanes_rows.c -- the lanes' examples kept per task set (row cache,
 * task keys) and what they record (no_fitness, the lane-major record). */
#include <criterion/criterion.h>
#include "testutil.h"
#include "laneutil.h"

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
        zj_prepared *pp = zj_test_prepare (&p, &sh, true);
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
      zj_prepared *pp = zj_test_prepare (&p, &big, true);
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
      zj_prepared *pp = zj_test_prepare (&p, &sh, true);
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
      zj_prepared *pp = zj_test_prepare (&p, &sh, true);
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
      zj_prepared *pp = zj_test_prepare (&p, &sh, true);
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

/* The workspace remembers the last keyed set's key: sets of the same size
   and lanes, given by their task keys and taken in turn (the search's FEC
   mini-runs and real runs of a few tasks), each get their own rows. */
Test (lanes, keyed_sets_taken_in_turn_keep_their_rows)
{
  const int F = 4, NT = 5;
  const zj_shape sh = { F, 5, 4, 3 };
  zj_task *set[2] = { make_tasks (F, NT, 12, 7, 1, ZJ_RMS_ERROR, 710),
                      make_tasks (F, NT, 12, 7, 1, ZJ_RMS_ERROR, 711) };
  const zj_task *ptrs[2][MAX_NT];
  uint64_t keys[2][MAX_NT];
  for (int s = 0; s < 2; s++)
    for (int k = 0; k < NT; k++)
      {
        ptrs[s][k] = &set[s][k];
        keys[s][k] = zj_lane_task_key (&set[s][k]);
      }
  zj_workspace *ws = zj_workspace_new (&sh), *ws1 = zj_workspace_new (&sh);
  zj_rng r;
  zj_rng_seed (&r, 79);
  zj_program p;
  zj_program_init (&p);
  zj_eval_opts o;
  zj_eval_opts_default (&o);
  for (int n = 0; n < 12; n++)
    {
      zj_test_random_program (&r, &sh, &p);
      zj_prepared *pp = zj_test_prepare (&p, &sh, true);
      const int s = n % 2;
      zj_eval_result res[MAX_NT], one;
      double fit[MAX_NT];
      memset (res, 0, sizeof res);
      cr_assert_eq (zj_interp_eval_lanes_keyed (pp, ptrs[s], NT, &o, NULL, 0,
                                                ws, res, fit, keys[s], NULL),
                    0);
      for (int k = 0; k < NT; k++)
        {
          memset (&one, 0, sizeof one);
          const double f = zj_interp_eval_task (pp, &set[s][k], &o, NULL, ws1,
                                                &one);
          cr_assert (memcmp (&f, &fit[k], sizeof f) == 0,
                     "program %d set %d task %d: %.17g vs %.17g", n, s, k,
                     f, fit[k]);
          cr_assert_eq (one.train_steps, res[k].train_steps);
        }
      zj_prepared_free (pp);
    }
  zj_program_free (&p);
  zj_workspace_free (ws);
  zj_workspace_free (ws1);
  zj_test_tasks_free (set[0], NT);
  zj_test_tasks_free (set[1], NT);
}
