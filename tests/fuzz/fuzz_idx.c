/* fuzz_idx.c -- the IDX loader (src/data_idx.c).  The input holds both
 * files: a 2-byte little-endian length L, then L bytes of the labels file,
 * then the images file (plain or gzip'd: zlib reads both). */
#include "fuzz_util.h"
#include <zerojit/zerojit.h>
#include "dataset.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 2)
    return 0;
  size_t nl = (size_t) data[0] | (size_t) data[1] << 8;
  if (nl > size - 2)
    nl = size - 2;
  const char *labels = zj_fuzz_file ("labels.idx", data + 2, nl);
  const char *images = zj_fuzz_file ("images.idx", data + 2 + nl, size - 2 - nl);
  zj_error err = { "" };
  zj_dataset ds;
  if (zj_idx_load (images, labels, NULL, &ds, &err) == 0)
    zj_dataset_free (&ds);
  else if (err.msg[0] == '\0')
    abort ();
  const zj_select sel = { { 1, 3 }, 2, 2 };
  if (zj_idx_load (images, labels, &sel, &ds, &err) == 0)
    zj_dataset_free (&ds);
  return 0;
}
