/* fuzz_ckpt.c -- the checkpoint readers (src/search/ckpt*.c).  The encoding
 * is canonical, so a file that parses must encode back to the same bytes;
 * a manifest that parses names a generation and a rank count >= 1. */
#include "fuzz_util.h"
#include <zerojit/zerojit.h>
#include "ckpt.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  zj_error err = { "" };
  zj_ckpt c;
  if (zj_ckpt_parse (data, size, &c, &err) == 0)
    {
      zj_ckbuf again = { 0 };
      zj_ckpt_encode (&c, &again);
      if (again.len != size || memcmp (again.p, data, size) != 0)
        {
          fprintf (stderr, "checkpoint does not re-encode to its bytes\n");
          abort ();
        }
      zj_ckbuf_free (&again);
      zj_ckpt_free (&c);
    }
  else if (err.msg[0] == '\0')
    abort ();
  int64_t gen;
  int ranks;
  if (zj_ckpt_manifest_parse (data, size, &gen, &ranks, &err) == 0
      && (gen < 1 || ranks < 1))
    abort ();
  return 0;
}
