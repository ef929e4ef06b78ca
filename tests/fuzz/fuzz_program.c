/* fuzz_program.c -- the program text parser (src/textform.c).  A program
 * that parses must print losslessly and parse back to the same program. */
#include "fuzz_util.h"
#include <zerojit/zerojit.h>

static int
same_program (const zj_program *a, const zj_program *b)
{
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    {
      if (a->fn[c].n != b->fn[c].n)
        return 0;
      for (int i = 0; i < a->fn[c].n; i++)
        {
          const zj_instr *x = &a->fn[c].ins[i], *y = &b->fn[c].ins[i];
          if (x->op != y->op || x->in1 != y->in1 || x->in2 != y->in2
              || x->out != y->out || memcmp (x->fd, y->fd, sizeof x->fd) != 0
              || memcmp (&x->act, &y->act, sizeof x->act) != 0)
            return 0;
        }
    }
  return 1;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *text = zj_fuzz_text (data, size);
  zj_error err = { "" };
  zj_program p;
  zj_program_init (&p);
  if (zj_program_parse (text, "fuzz", &p, &err) == 0)
    {
      char *again = zj_program_to_string (&p, true);
      zj_program q;
      zj_program_init (&q);
      if (zj_program_parse (again, "reprint", &q, &err) != 0)
        {
          fprintf (stderr, "printed program does not parse: %s\n%s", err.msg, again);
          abort ();
        }
      if (!same_program (&p, &q))
        {
          fprintf (stderr, "lossless print does not round-trip:\n%s", again);
          abort ();
        }
      zj_program_free (&q);
      free (again);
    }
  else if (err.msg[0] == '\0')
    abort ();
  zj_program_free (&p);
  free (text);
  return 0;
}
