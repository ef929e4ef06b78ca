/* fuzz_csv.c -- the CSV loader (src/data_csv.c), reading the input as a
 * file, everything selected and then two classes with a per-class cap. */
#include "fuzz_util.h"
#include <zerojit/zerojit.h>
#include "dataset.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *path = zj_fuzz_file ("in.csv", data, size);
  zj_error err = { "" };
  zj_dataset ds;
  if (zj_csv_load (path, NULL, &ds, &err) == 0)
    zj_dataset_free (&ds);
  else if (err.msg[0] == '\0')
    abort ();
  const zj_select sel = { { 0, 1 }, 2, 3 };
  if (zj_csv_load (path, &sel, &ds, &err) == 0)
    zj_dataset_free (&ds);
  return 0;
}
