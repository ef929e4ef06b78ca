/* fuzz_proj_cache.c -- the projected-task cache reader
 * (src/proj_cache.c).  The input is a cache file for fixed parameters.
 * Inputs of odd length get their payload checksum fixed up first (the
 * header layout is documented at the top of proj_cache.c), so the fuzzer
 * also reaches the checks behind the checksum. */
#include "fuzz_util.h"
#include <zerojit/zerojit.h>
#include "dataset.h"

enum { HEADER = 72, CHECKSUM_AT = 48 };

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  uint8_t *copy = malloc (size + 1);
  if (!copy)
    abort ();
  memcpy (copy, data, size);
  if ((size & 1) && size >= HEADER)
    {
      uint64_t h = 0xcbf29ce484222325ULL;
      for (size_t i = HEADER; i < size; i++)
        h = (h ^ copy[i]) * 0x100000001b3ULL;
      memcpy (copy + CHECKSUM_AT, &h, sizeof h);
    }
  const char *path = zj_fuzz_file ("proj.cache", copy, size);
  free (copy);
  const zj_proj_params pp = { "csv", NULL, 0, 1, 7, 4, 6, 2, 2 };
  zj_error err = { "" };
  zj_proj_data d;
  if (zj_proj_cache_read (path, &pp, 42, &d, &err) == 0)
    zj_proj_free (&d);
  else if (err.msg[0] == '\0')
    abort ();
  return 0;
}
