/* datautil.h -- a temporary folder per test and the checks on error
 * messages shared by the data suites test_data*.c (include after
 * criterion.h; each suite declares TestSuite (data, .init = make_tmp,
 * .fini = remove_tmp)). */
#ifndef ZJ_DATAUTIL_H
#define ZJ_DATAUTIL_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dataset.h"

#ifndef ZJ_TEST_DATA_DIR
#define ZJ_TEST_DATA_DIR "tests/data"
#endif

static char tmpdir[256];

static inline void
make_tmp (void)
{
  snprintf (tmpdir, sizeof tmpdir, "/tmp/zj_test_data.XXXXXX");
  cr_assert_not_null (mkdtemp (tmpdir));
}

static inline void
remove_tmp (void)
{
  char cmd[300];
  snprintf (cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  cr_assert_eq (system (cmd), 0);
}

static inline const char *
tmp_path (const char *name)
{
  static char buf[4][512];
  static int k;
  k = (k + 1) % 4;
  snprintf (buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
  return buf[k];
}

static inline void
write_text (const char *path, const char *text)
{
  FILE *f = fopen (path, "w");
  cr_assert_not_null (f);
  fputs (text, f);
  fclose (f);
}

static inline void
expect_error (int rc, const zj_error *err, const char *a, const char *b)
{
  cr_assert_eq (rc, -1);
  cr_assert_not_null (strstr (err->msg, a), "'%s' lacks '%s'", err->msg, a);
  if (b)
    cr_assert_not_null (strstr (err->msg, b), "'%s' lacks '%s'", err->msg, b);
  cr_assert_null (strchr (err->msg, '\n'));
}

#endif
