/* cmd_print.c -- `zerojit print`: a program in the printed form, as read,
 * pruned to what can affect the prediction, or with exact constants.
 */
#include "config.h"
#include "internal.h"
#include "cli.h"

static const zj_flag_def flags[] = {
  { "program", "FILE", NULL, "The program to print." },
  { "pruned", NULL, NULL, "Drop the instructions that cannot affect the prediction." },
  { "lossless", NULL, NULL, "Write constants with 17 significant digits, so the program reads back exactly." },
};

static int
run (zj_cli *cli)
{
  const char *path = zj_cli_get (cli, "program");
  bool pruned = false, lossless = false;
  if (!path)
    {
      fprintf (stderr, "zerojit print: missing --program FILE\n");
      return 2;
    }
  if (zj_cli_flag (cli, "pruned", &pruned) || zj_cli_flag (cli, "lossless", &lossless))
    return 2;
  zj_error err;
  zj_program p, q;
  zj_program_init (&p);
  zj_program_init (&q);
  if (zj_program_load (path, &p, &err) != 0)
    {
      fprintf (stderr, "zerojit print: %s\n", err.msg);
      return 1;
    }
  if (pruned)
    zj_prune (&p, &q);
  else
    zj_program_copy (&q, &p);
  zj_program_print (&q, lossless, stdout);
  zj_program_free (&p);
  zj_program_free (&q);
  return 0;
}

const zj_command zj_cmd_print = {
  "print", "--program FILE [--pruned] [--lossless]", "print a program",
  "Reads a program in the printed form (def Setup(): ... def Predict(): ... "
  "def Learn(): ...) and prints it back, optionally pruned or with exact "
  "constants.  s0 is the label (hidden from Predict), s1 the prediction, "
  "v0 the features; doc/semantics.md describes the memory.",
  ZJ_CLI_FLAGS (flags), 0, run,
};
