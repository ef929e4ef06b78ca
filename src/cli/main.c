/* main.c -- the zerojit command: picks the command, parses its flags
 * against its table (cli.c) and runs it.
 *
 * Exit status: 0 success, 1 failure (one-line message), 2 usage error,
 * 128 + signal after an interrupted search.  Output that could not be
 * written (a full disk, a closed pipe) is a failure, never a silent 0.
 */
#include "config.h"
#include "internal.h"
#include "cli.h"
#include <string.h>

const zj_command *const zj_commands[] = {
  &zj_cmd_ops, &zj_cmd_eval, &zj_cmd_print, &zj_cmd_search,
#if HAVE_JIT
  &zj_cmd_show, &zj_cmd_bench,
#endif
  &zj_cmd_data, &zj_cmd_plot,
};
const int zj_n_commands = (int) (sizeof zj_commands / sizeof zj_commands[0]);

static const zj_command *
find_command (const char *name)
{
  for (int i = 0; i < zj_n_commands; i++)
    if (!strcmp (name, zj_commands[i]->name))
      return zj_commands[i];
  return NULL;
}

static bool
is_flag (const char *a, const char *name)
{
  return (a[0] == '-' && !strcmp (a + 1, name))
         || (a[0] == '-' && a[1] == '-' && !strcmp (a + 2, name));
}

static int
finish (int rc)
{
  const int wrc = zj_cli_close_stdout ();
  return rc == 0 ? wrc : rc;
}

int
main (int argc, char **argv)
{
  if (argc < 2)
    {
      zj_cli_usage (stderr);
      return 2;
    }
  const char *a = argv[1];
  if (is_flag (a, "help") || is_flag (a, "h") || !strcmp (a, "help"))
    {
      const zj_command *c = argc > 2 ? find_command (argv[2]) : NULL;
      if (argc > 2 && !c)
        {
          fprintf (stderr, "zerojit: unknown command '%s'\n", argv[2]);
          return 2;
        }
      if (c)
        zj_cli_help (stdout, c);
      else
        zj_cli_usage (stdout);
      return finish (0);
    }
  if (is_flag (a, "version"))
    {
#if HAVE_JIT
      printf ("zerojit %s (JIT tier: libgccjit)\n", PACKAGE_VERSION);
#else
      printf ("zerojit %s (JIT tier: not built)\n", PACKAGE_VERSION);
#endif
      return finish (0);
    }
  if (is_flag (a, "man"))
    {
      zj_cli_man (stdout);
      return finish (0);
    }
  const zj_command *c = find_command (a);
#if !HAVE_JIT
  /* The JIT's commands exist only with it: say so rather than "unknown". */
  if (!c && (!strcmp (a, "show") || !strcmp (a, "bench")))
    {
      fprintf (stderr, "zerojit %s: built without the JIT (--without-jit): "
               "no native code to %s\n", a, !strcmp (a, "show") ? "show" : "time");
      return 1;
    }
#endif
  if (!c)
    {
      fprintf (stderr, "zerojit: unknown command '%s' (see 'zerojit --help')\n", a);
      return 2;
    }
  zj_cli cli;
  int rc = zj_cli_parse (c, argc - 2, argv + 2, &cli);
  if (rc == 1)
    return finish (0);
  if (rc != 0)
    return rc;
  return finish (c->run (&cli));
}
