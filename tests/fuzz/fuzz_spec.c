/* fuzz_spec.c -- the text-format spec parser: search experiment specs and
 * task collections (src/textproto.c, src/search_spec.c, src/task_spec.c).
 * Parsing only: task generation is bounded by the spec checks. */
#include "fuzz_util.h"
#include <zerojit/spec.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *text = zj_fuzz_text (data, size);
  zj_error err = { "" };
  zj_search_spec s;
  memset (&s, 0, sizeof s);
  if (zj_search_spec_parse (text, "fuzz", &s, &err) == 0)
    zj_search_spec_free (&s);
  else if (err.msg[0] == '\0')
    abort ();   /* every failure says why */
  zj_task_collection c = { 0 };
  err.msg[0] = '\0';
  if (zj_task_collection_parse (text, "fuzz", &c, &err) == 0)
    zj_task_collection_free (&c);
  else if (err.msg[0] == '\0')
    abort ();
  free (text);
  return 0;
}
