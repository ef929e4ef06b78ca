/* test_tasks.c -- task generation: seeds, data, labels, epoch orders. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include <zerojit/spec.h>
#include "internal.h"
#include "reduce.h"
#include "task_gen.h"
#include "testutil.h"

static zj_task *
generate (const char *text, int *n)
{
  zj_task_collection c;
  zj_error err = { "" };
  cr_assert_eq (zj_task_collection_parse (text, "t", &c, &err), 0, "%s",
                err.msg);
  zj_task *tasks;
  cr_assert_eq (zj_tasks_generate (&c, &tasks, n, &err), 0, "%s", err.msg);
  zj_task_collection_free (&c);
  return tasks;
}

static bool
same_data (const zj_task *a, const zj_task *b)
{
  size_t nx = (size_t) a->n_train * a->F, nv = (size_t) a->n_valid * a->F;
  return a->F == b->F && a->n_train == b->n_train && a->n_valid == b->n_valid
         && !memcmp (a->train_x, b->train_x, nx * sizeof (double))
         && !memcmp (a->train_y, b->train_y, a->n_train * sizeof (double))
         && !memcmp (a->valid_x, b->valid_x, nv * sizeof (double))
         && !memcmp (a->valid_y, b->valid_y, a->n_valid * sizeof (double));
}

#define LINEAR(extra) \
  "tasks { scalar_linear_regression_task {} features_size: 4 " \
  "num_train_examples: 20 num_valid_examples: 7 eval_type: RMS_ERROR " \
  extra " }"

Test (tasks, linear_labels_are_dot_products)
{
  int n;
  zj_task *t = generate (LINEAR ("num_tasks: 2 param_seeds: [77]"), &n);
  cr_assert_eq (n, 2);
  for (int k = 0; k < n; k++)
    {
      /* Weights recomputed from the seed rule: N(0,1) draws of a
         generator seeded with param_seed + 997958712. */
      cr_assert_eq (t[k].param_seed, 77u + (uint32_t) k);
      zj_rng r;
      zj_rng_seed (&r, t[k].param_seed + 997958712u);
      double w[4];
      for (int i = 0; i < 4; i++)
        w[i] = zj_rng_normal (&r);
      for (int e = 0; e < t[k].n_train; e++)
        cr_assert_eq (t[k].train_y[e], zj_rdot (w, t[k].train_x + 4 * e, 4));
      for (int e = 0; e < t[k].n_valid; e++)
        cr_assert_eq (t[k].valid_y[e], zj_rdot (w, t[k].valid_x + 4 * e, 4));
      /* Features: train vectors then valid vectors, one stream. */
      zj_rng d;
      zj_rng_seed (&d, t[k].data_seed + 939723201u);
      for (int i = 0; i < 20 * 4; i++)
        cr_assert_eq (t[k].train_x[i], zj_rng_normal (&d));
      for (int i = 0; i < 7 * 4; i++)
        cr_assert_eq (t[k].valid_x[i], zj_rng_normal (&d));
      cr_assert_eq (t[k].eval_type, ZJ_RMS_ERROR);
      cr_assert_eq (t[k].index, k);
    }
  zj_tasks_free (t, n);
}

Test (tasks, feature_statistics)
{
  int n;
  zj_task *t = generate ("tasks { scalar_linear_regression_task {} "
                         "features_size: 8 num_train_examples: 5000 "
                         "num_valid_examples: 10 eval_type: RMS_ERROR }", &n);
  double s = 0, s2 = 0;
  const int m = 5000 * 8;
  for (int i = 0; i < m; i++)
    {
      s += t->train_x[i];
      s2 += t->train_x[i] * t->train_x[i];
    }
  double mean = s / m, var = s2 / m - mean * mean;
  /* 40000 draws: sd of the mean 0.005, of the variance ~0.007. */
  cr_assert (fabs (mean) < 0.03, "mean %g", mean);
  cr_assert (fabs (var - 1.0) < 0.04, "var %g", var);
  zj_tasks_free (t, n);
}

/* Task data come from zj_rng_normal_fill, which draws in blocks: every
   value and the generator after it are those of one call at a time,
   across block boundaries and for sizes around them. */
Test (tasks, normal_fill_is_one_draw_at_a_time)
{
  static const size_t sizes[] = { 0, 1, 2, 63, 64, 65, 127, 129, 1000 };
  double x[1000];
  for (uint64_t seed = 1; seed <= 40; seed++)
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
      {
        zj_rng a, b;
        zj_rng_seed (&a, seed);
        zj_rng_seed (&b, seed);
        zj_rng_normal_fill (&a, x, sizes[k]);
        for (size_t i = 0; i < sizes[k]; i++)
          {
            const double want = zj_rng_normal (&b);
            cr_assert (!memcmp (&x[i], &want, sizeof want),
                       "seed %llu, n %zu, draw %zu: %a, one by one %a",
                       (unsigned long long) seed, sizes[k], i, x[i], want);
          }
        cr_assert (!memcmp (&a, &b, sizeof a), "seed %llu, n %zu: state",
                   (unsigned long long) seed, sizes[k]);
      }
}

Test (tasks, nn_labels_and_dead_units)
{
  int n;
  zj_task *t = generate ("tasks { scalar_2layer_nn_regression_task {} "
                         "features_size: 4 num_train_examples: 50 "
                         "num_valid_examples: 10 eval_type: RMS_ERROR "
                         "param_seeds: 9000 data_seeds: 19000 }", &n);
  double M[16], u[4];
  zj_task_nn_weights (9000, 4, M, u);
  /* The weights are the draws of param_seed + 174299604: M row-major,
     then u, with rows 0 and 2 and u_0, u_2 zeroed. */
  zj_rng r;
  zj_rng_seed (&r, 9000u + 174299604u);
  for (int i = 0; i < 16; i++)
    {
      double x = zj_rng_normal (&r);
      cr_assert_eq (M[i], (i / 4 == 0 || i / 4 == 2) ? 0.0 : x);
    }
  for (int i = 0; i < 4; i++)
    {
      double x = zj_rng_normal (&r);
      cr_assert_eq (u[i], (i == 0 || i == 2) ? 0.0 : x);
    }
  int nonzero = 0;
  for (int e = 0; e < 50; e++)
    {
      const double *x = t->train_x + 4 * e;
      double y = 0.0;
      for (int h = 0; h < 4; h++)
        {
          double a = 0.0;
          for (int c = 0; c < 4; c++)
            a += M[h * 4 + c] * x[c];
          y += (a > 0 ? a : 0.0) * u[h];
        }
      cr_assert_float_eq (t->train_y[e], y, 1e-12);
      nonzero += t->train_y[e] != 0.0;
    }
  cr_assert (nonzero > 10);
  zj_rng d;
  zj_rng_seed (&d, 19000u + 865546086u);
  cr_assert_eq (t->train_x[0], zj_rng_normal (&d));
  zj_tasks_free (t, n);
}

Test (tasks, nn_needs_three_features)
{
  /* The parser rejects F = 2; generating from a hand-built spec does too. */
  zj_task_spec s;
  memset (&s, 0, sizeof s);
  s.type = ZJ_TASK_SCALAR_2LAYER_NN_REGRESSION;
  s.features_size = 2;
  s.num_train_examples = s.num_valid_examples = 3;
  s.num_train_epochs = s.num_tasks = 1;
  zj_task_collection c = { &s, 1 };
  zj_task *t = NULL;
  int n = 5;
  zj_error err = { "" };
  cr_assert_eq (zj_tasks_generate (&c, &t, &n, &err), -1);
  cr_assert_null (t);
  cr_assert_eq (n, 0);
  cr_assert (strstr (err.msg, "features_size must be >= 3 (got 2)"), "%s",
             err.msg);
}

Test (tasks, default_and_consecutive_seeds)
{
  int n;
  zj_task *t = generate (LINEAR ("num_tasks: 11"), &n);
  const uint32_t ps[11] = { 1001, 1012, 1010, 1000, 1006, 1008, 1007, 1003,
                            1004, 1005, 1006 };
  const uint32_t ds[11] = { 11001, 11012, 11010, 11000, 11006, 11008, 11007,
                            11003, 11004, 11005, 11006 };
  for (int k = 0; k < 11; k++)
    {
      cr_assert_eq (t[k].param_seed, ps[k]);
      cr_assert_eq (t[k].data_seed, ds[k]);
    }
  /* Task 10 repeats task 4's seeds, hence its data. */
  cr_assert (same_data (&t[4], &t[10]));
  cr_assert (!same_data (&t[4], &t[5]));
  zj_tasks_free (t, n);

  t = generate (LINEAR ("num_tasks: 4 data_seeds: [4294967294, 3] "
                        "param_seeds: 4294967295"), &n);
  cr_assert_eq (t[0].data_seed, 4294967294u);
  cr_assert_eq (t[1].data_seed, 3u);
  cr_assert_eq (t[2].data_seed, 4u);
  cr_assert_eq (t[3].data_seed, 5u);
  cr_assert_eq (t[0].param_seed, 4294967295u);
  cr_assert_eq (t[1].param_seed, 0u);          /* wraps mod 2^32 */
  cr_assert_eq (t[2].param_seed, 1u);
  zj_tasks_free (t, n);

  cr_assert_eq (zj_task_seed (NULL, 0, true, 0), 11001u);
  cr_assert_eq (zj_task_seed (NULL, 0, false, 9), 1005u);
}

Test (tasks, same_seeds_same_data)
{
  int n1, n2;
  zj_task *a = generate (LINEAR ("data_seeds: 5 param_seeds: 6") " "
                         LINEAR ("data_seeds: 5 param_seeds: 6"), &n1);
  cr_assert_eq (n1, 2);
  cr_assert (same_data (&a[0], &a[1]));
  cr_assert_eq (a[1].index, 1);
  zj_task *b = generate (LINEAR ("data_seeds: 5 param_seeds: 7"), &n2);
  /* Same inputs, other label function. */
  cr_assert (!memcmp (a[0].train_x, b[0].train_x, 80 * sizeof (double)));
  cr_assert (memcmp (a[0].train_y, b[0].train_y, 20 * sizeof (double)));
  zj_tasks_free (b, n2);
  b = generate (LINEAR ("data_seeds: 8 param_seeds: 6"), &n2);
  cr_assert (memcmp (a[0].train_x, b[0].train_x, 80 * sizeof (double)));
  zj_tasks_free (b, n2);
  zj_tasks_free (a, n1);
}

Test (tasks, epoch_orders)
{
  int n;
  zj_task *t = generate (LINEAR ("num_train_epochs: 5"), &n);
  cr_assert_eq (t->epochs, 5);
  const int N = t->n_train;
  for (int i = 0; i < N; i++)
    cr_assert_eq (t->order[i], i);
  int identical = 0;
  for (int e = 1; e < 5; e++)
    {
      int hits[20] = { 0 };
      for (int i = 0; i < N; i++)
        hits[t->order[e * N + i]]++;
      for (int i = 0; i < N; i++)
        cr_assert_eq (hits[i], 1, "epoch %d is not a permutation", e);
      identical += !memcmp (t->order + e * N, t->order + (e - 1) * N,
                            sizeof (int) * N);
    }
  cr_assert_eq (identical, 0);
  /* Epoch 1 is one Fisher-Yates shuffle from data_seed + 3274582109. */
  zj_rng r;
  zj_rng_seed (&r, (uint32_t) (t->data_seed + 3274582109u));
  int p[20];
  for (int i = 0; i < N; i++)
    p[i] = i;
  for (int i = N - 1; i > 0; i--)
    {
      int j = (int) zj_rng_below (&r, (uint32_t) i + 1), tmp = p[i];
      p[i] = p[j];
      p[j] = tmp;
    }
  cr_assert_arr_eq (t->order + N, p, sizeof p);
  zj_tasks_free (t, n);
}

Test (tasks, unit_test_tasks)
{
  int n;
  zj_task *t = generate (
    "tasks { unit_test_zeros_task {} features_size: 2 num_train_examples: 3 "
    "num_valid_examples: 2 }\n"
    "tasks { unit_test_ones_task {} features_size: 4 num_train_examples: 2 "
    "num_valid_examples: 1 eval_type: RMS_ERROR }\n"
    "tasks { unit_test_increment_task { increment: 0.5 } features_size: 2 "
    "num_train_examples: 4 num_valid_examples: 3 }\n"
    "tasks { unit_test_increment_task {} features_size: 2 "
    "num_train_examples: 2 num_valid_examples: 2 }\n"
    "tasks { features_size: 2 unit_test_fixed_task { "
    "train_features { elements: [1, 2] } train_labels { elements: 0.5 } "
    "valid_features { elements: [3, -4] } valid_labels { elements: 7 } } }",
    &n);
  cr_assert_eq (n, 5);
  for (int i = 0; i < 6; i++)
    cr_assert_eq (t[0].train_x[i], 0.0);
  for (int i = 0; i < 3; i++)
    cr_assert_eq (t[0].train_y[i], 0.0);
  for (int i = 0; i < 8; i++)
    cr_assert_eq (t[1].train_x[i], 1.0);
  cr_assert_eq (t[1].valid_y[0], 1.0);
  cr_assert_eq (t[1].eval_type, ZJ_RMS_ERROR);
  const double ix[8] = { 0, 0, 0.5, 0.5, 1, 1, 1.5, 1.5 };
  const double iy[4] = { 0, 0.5, 1, 1.5 };
  cr_assert_arr_eq (t[2].train_x, ix, sizeof ix);
  cr_assert_arr_eq (t[2].train_y, iy, sizeof iy);
  cr_assert_arr_eq (t[2].valid_x, ix, 6 * sizeof (double));
  cr_assert_arr_eq (t[2].valid_y, iy, 3 * sizeof (double));
  cr_assert_eq (t[3].train_x[3], 1.0);            /* default increment 1 */
  cr_assert_eq (t[3].valid_y[1], 1.0);
  cr_assert_eq (t[4].n_train, 1);
  cr_assert_eq (t[4].n_valid, 1);
  cr_assert_eq (t[4].train_x[1], 2.0);
  cr_assert_eq (t[4].train_y[0], 0.5);
  cr_assert_eq (t[4].valid_x[1], -4.0);
  cr_assert_eq (t[4].valid_y[0], 7.0);
  for (int k = 0; k < n; k++)
    cr_assert_eq (t[k].index, k);
  zj_tasks_free (t, n);
}

Test (tasks, projected_reports_unavailable)
{
  zj_task_collection c;
  zj_error err = { "" };
  cr_assert_eq (zj_task_collection_parse (
    "tasks { unit_test_ones_task {} features_size: 2 num_train_examples: 1 "
    "num_valid_examples: 1 }\n"
    "tasks { projected_binary_classification_task { path: 'd' } "
    "features_size: 16 num_train_examples: 10 num_valid_examples: 10 "
    "eval_type: ACCURACY }", "t", &c, &err), 0, "%s", err.msg);
  zj_task *t = NULL;
  int n = -1;
  cr_assert_eq (zj_tasks_generate (&c, &t, &n, &err), -1);
  cr_assert_null (t);
  cr_assert (strstr (err.msg, "tasks[1]"), "%s", err.msg);
  /* No Fashion-MNIST under the path 'd': the message says what to do. */
  cr_assert (strstr (err.msg, "d/train-images-idx3-ubyte.gz not found"), "%s",
             err.msg);
  zj_task_collection_free (&c);
}

Test (tasks, randomize_seeds)
{
  zj_task_collection a, b;
  zj_error err = { "" };
  const char *text = LINEAR ("num_tasks: 3 data_seeds: [1, 2, 3]") " "
                     LINEAR ("num_tasks: 2");
  cr_assert_eq (zj_task_collection_parse (text, "t", &a, &err), 0);
  cr_assert_eq (zj_task_collection_parse (text, "t", &b, &err), 0);
  zj_task_collection_randomize_seeds (&a, 1234);
  zj_task_collection_randomize_seeds (&b, 1234);
  for (int s = 0; s < 2; s++)
    {
      cr_assert_eq (a.specs[s].n_data_seeds, a.specs[s].num_tasks);
      cr_assert_eq (a.specs[s].n_param_seeds, a.specs[s].num_tasks);
      cr_assert_arr_eq (a.specs[s].data_seeds, b.specs[s].data_seeds,
                        sizeof (uint32_t) * a.specs[s].num_tasks);
      cr_assert_arr_eq (a.specs[s].param_seeds, b.specs[s].param_seeds,
                        sizeof (uint32_t) * a.specs[s].num_tasks);
      for (int i = 0; i < a.specs[s].num_tasks; i++)
        cr_assert (a.specs[s].data_seeds[i] >= 2
                   && a.specs[s].data_seeds[i] <= 4294967294u);
    }
  cr_assert_neq (a.specs[0].data_seeds[0], 1u);
  /* The param generator is seeded with HashMix(85652777, seed) and runs
     on across specs: spec 1's first param seed is the 4th draw. */
  const uint64_t pv[2] = { 85652777, 1234 };
  uint64_t h = zj_hash_mix (zj_hash_mix (42, pv[0]), pv[1]);
  cr_assert_eq (zj_hash_mix_list (pv, 2), (uint32_t) h);
  zj_rng r;
  zj_rng_seed (&r, (uint32_t) h);
  uint32_t draws[4];
  for (int i = 0; i < 4; i++)
    draws[i] = zj_rng_seed32 (&r);
  cr_assert_arr_eq (a.specs[0].param_seeds, draws, 3 * sizeof (uint32_t));
  cr_assert_eq (b.specs[1].param_seeds[0], draws[3]);
  /* Another base seed, other seeds. */
  zj_task_collection_randomize_seeds (&b, 1235);
  cr_assert (memcmp (a.specs[0].data_seeds, b.specs[0].data_seeds,
                     3 * sizeof (uint32_t)));
  zj_task_collection_free (&a);
  zj_task_collection_free (&b);
}

/* Tasks made by several threads (zj_tasks_generate_threads, used for the
   serial set-up and final evaluations of a search) are the tasks one
   thread makes: same data, seeds, indices and epoch orders. */
Test (tasks, threads_make_the_same_tasks)
{
  zj_task_collection c;
  zj_error err = { "" };
  cr_assert_eq (zj_task_collection_parse (
    LINEAR ("num_tasks: 7 num_train_epochs: 2")
    "tasks { scalar_2layer_nn_regression_task {} features_size: 8 "
    "num_train_examples: 30 num_valid_examples: 5 num_tasks: 4 eval_type: RMS_ERROR }"
    "tasks { unit_test_ones_task {} features_size: 2 num_train_examples: 3 "
    "num_valid_examples: 2 num_tasks: 2 }", "t", &c, &err), 0, "%s", err.msg);
  zj_task *one, *many;
  int n1, n4;
  cr_assert_eq (zj_tasks_generate (&c, &one, &n1, &err), 0, "%s", err.msg);
  cr_assert_eq (zj_tasks_generate_threads (&c, 4, &many, &n4, &err), 0, "%s", err.msg);
  cr_assert_eq (n1, 13);
  cr_assert_eq (n4, 13);
  for (int i = 0; i < n1; i++)
    {
      cr_assert (same_data (&one[i], &many[i]), "task %d", i);
      cr_assert_eq (many[i].index, i);
      cr_assert_eq (one[i].data_seed, many[i].data_seed);
      cr_assert_eq (one[i].param_seed, many[i].param_seed);
      cr_assert_eq (one[i].epochs, many[i].epochs);
      cr_assert_eq (memcmp (one[i].order, many[i].order,
                            sizeof (int) * (size_t) one[i].n_train * one[i].epochs), 0,
                    "task %d", i);
    }
  zj_tasks_free (one, n1);
  zj_tasks_free (many, n4);
  zj_task_collection_free (&c);
}

/* Several failing tasks, the later ones possibly failing first on
   another thread: the error is the first failing task's, as with one
   thread, and nothing is returned. */
Test (tasks, threads_report_the_first_failure)
{
  zj_task_collection c;
  zj_error err = { "" };
  cr_assert_eq (zj_task_collection_parse (
    LINEAR ("num_tasks: 3")
    "tasks { projected_binary_classification_task { path: 'd' } "
    "features_size: 16 num_train_examples: 10 num_valid_examples: 10 "
    "num_tasks: 2 eval_type: ACCURACY }"
    "tasks { projected_binary_classification_task { path: 'e' } "
    "features_size: 16 num_train_examples: 10 num_valid_examples: 10 "
    "num_tasks: 5 eval_type: ACCURACY }", "t", &c, &err), 0, "%s", err.msg);
  for (int threads = 1; threads <= 8; threads *= 2)
    {
      zj_task *t = (zj_task *) &err;
      int n = -1;
      cr_assert_eq (zj_tasks_generate_threads (&c, threads, &t, &n, &err), -1);
      cr_assert_null (t);
      cr_assert_eq (n, 0);
      cr_assert (strstr (err.msg, "tasks[1] (task 0 of that spec)"), "%d threads: %s",
                 threads, err.msg);
      cr_assert (strstr (err.msg, "d/train-images-idx3-ubyte.gz not found"),
                 "%d threads: %s", threads, err.msg);
    }
  zj_task_collection_free (&c);
}
