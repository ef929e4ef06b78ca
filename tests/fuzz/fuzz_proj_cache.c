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
      /* The six arrays' lengths from the header's F and sizes (u32 at
         24, 28, 32, 36), clipped to the input. */
      uint32_t f[4];
      memcpy (f, copy + 24, sizeof f);
      const size_t rows[3] = { f[1], f[2], f[3] };
      const void *parts[6];
      size_t bytes[6], at = HEADER;
      for (int i = 0; i < 6; i++)
        {
          /* at most 2^20 * 2^32 * 4 bytes: no overflow */
          const size_t w = i & 1 ? 1 : f[0] > (1u << 20) ? 1u << 20 : f[0];
          size_t want = w * rows[i / 2] * 4;
          if (want > size - at)
            want = size - at;
          parts[i] = copy + at;
          bytes[i] = want;
          at += want;
        }
      const uint64_t h = zj_proj_checksum (parts, bytes);
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
