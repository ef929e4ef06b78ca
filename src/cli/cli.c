/* cli.c -- flag parsing against a command's flag table.
 *
 * The accepted forms are those of the flag library the original release
 * uses (absl): one or two dashes, the value after '=' or in the next
 * argument, booleans bare, negated with a "no" prefix or given a value.
 * A boolean never takes the next argument, so "--pruned FILE" is not read
 * as "--pruned=FILE".
 */
#include "config.h"
#include "internal.h"
#include "cli.h"
#include <assert.h>
#include <errno.h>
#include <string.h>

static int
find_flag (const zj_command *cmd, const char *a, size_t len)
{
  for (int k = 0; k < cmd->n_flags; k++)
    {
      const zj_flag_def *f = &cmd->flags[k];
      if ((strlen (f->name) == len && !strncmp (f->name, a, len))
          || (f->alias && strlen (f->alias) == len && !strncmp (f->alias, a, len)))
        return k;
    }
  return -1;
}

static int
index_of (const zj_command *cmd, const char *name)
{
  return find_flag (cmd, name, strlen (name));
}

static void
unknown_flag (const zj_command *cmd, const char *a, size_t len)
{
  fprintf (stderr, "zerojit %s: unknown flag '--%.*s' (see 'zerojit %s --help')\n",
           cmd->name, (int) len, a, cmd->name);
}

int
zj_cli_parse (const zj_command *cmd, int argc, char **argv, zj_cli *cli)
{
  memset (cli, 0, sizeof *cli);
  cli->cmd = cmd;
  assert (cmd->n_flags <= ZJ_CLI_MAX_FLAGS);
  bool flags_done = false;
  for (int i = 0; i < argc; i++)
    {
      const char *a = argv[i];
      if (flags_done || a[0] != '-' || a[1] == '\0')
        {
          if (cli->n_pos >= cmd->max_pos)
            {
              fprintf (stderr, "zerojit %s: unexpected argument '%s' (see 'zerojit %s --help')\n",
                       cmd->name, a, cmd->name);
              return 2;
            }
          cli->pos[cli->n_pos++] = a;
          continue;
        }
      if (!strcmp (a, "--"))
        {
          flags_done = true;
          continue;
        }
      a += a[1] == '-' ? 2 : 1;
      if (!strcmp (a, "h") || !strcmp (a, "help"))
        {
          zj_cli_help (stdout, cmd);
          return 1;
        }
      const char *eq = strchr (a, '=');
      size_t len = eq ? (size_t) (eq - a) : strlen (a);
      int k = find_flag (cmd, a, len);
      bool negated = false;
      if (k < 0 && len > 2 && !strncmp (a, "no", 2) && !eq)
        {
          k = find_flag (cmd, a + 2, len - 2);
          negated = k >= 0 && !cmd->flags[k].arg;
          if (!negated)
            k = -1;
        }
      if (k < 0)
        {
          unknown_flag (cmd, a, len);
          return 2;
        }
      const zj_flag_def *f = &cmd->flags[k];
      if (!f->arg && !eq)
        cli->value[k] = negated ? "false" : "true";
      else if (eq)
        cli->value[k] = eq + 1;
      else if (i + 1 < argc)
        cli->value[k] = argv[++i];
      else
        {
          fprintf (stderr, "zerojit %s: flag '--%s' needs a value (%s)\n",
                   cmd->name, f->name, f->arg);
          return 2;
        }
    }
  for (int k = 0; k < cmd->n_flags; k++)
    {
      const zj_flag_def *f = &cmd->flags[k];
      int c;
      if (cli->value[k] && f->conflicts && (c = index_of (cmd, f->conflicts)) >= 0
          && cli->value[c])
        {
          fprintf (stderr, "zerojit %s: --%s and --%s conflict: give one of them\n",
                   cmd->name, f->name, f->conflicts);
          return 2;
        }
    }
  return 0;
}

const char *
zj_cli_get (const zj_cli *cli, const char *name)
{
  int k = index_of (cli->cmd, name);
  assert (k >= 0 && "flag missing from the command's table");
  if (k < 0)
    return NULL;
  return cli->value[k] ? cli->value[k] : cli->cmd->flags[k].def;
}

bool
zj_cli_given (const zj_cli *cli, const char *name)
{
  int k = index_of (cli->cmd, name);
  assert (k >= 0 && "flag missing from the command's table");
  return k >= 0 && cli->value[k];
}

int
zj_cli_int64 (const char *flag, const char *v, int64_t lo, int64_t hi,
              int64_t *out)
{
  char *end;
  errno = 0;
  long long x = strtoll (v, &end, 10);
  if (errno || end == v || *end || x < lo || x > hi)
    {
      fprintf (stderr, "zerojit: --%s=%s: expected an integer in [%lld, %lld]\n",
               flag, v, (long long) lo, (long long) hi);
      return -1;
    }
  *out = x;
  return 0;
}

int
zj_cli_double (const char *flag, const char *v, double *out)
{
  char *end;
  errno = 0;
  double x = strtod (v, &end);
  if (errno || end == v || *end)
    {
      fprintf (stderr, "zerojit: --%s=%s: expected a number\n", flag, v);
      return -1;
    }
  *out = x;
  return 0;
}

int
zj_cli_bool (const char *flag, const char *v, bool *out)
{
  if (!strcmp (v, "true") || !strcmp (v, "1") || !strcmp (v, "yes"))
    *out = true;
  else if (!strcmp (v, "false") || !strcmp (v, "0") || !strcmp (v, "no"))
    *out = false;
  else
    {
      fprintf (stderr, "zerojit: --%s=%s: expected true or false\n", flag, v);
      return -1;
    }
  return 0;
}

int
zj_cli_int (const zj_cli *cli, const char *name, int64_t lo, int64_t hi,
            int64_t *out)
{
  const char *v = zj_cli_get (cli, name);
  return v ? zj_cli_int64 (name, v, lo, hi, out) : 0;
}

int
zj_cli_num (const zj_cli *cli, const char *name, double *out)
{
  const char *v = zj_cli_get (cli, name);
  return v ? zj_cli_double (name, v, out) : 0;
}

int
zj_cli_flag (const zj_cli *cli, const char *name, bool *out)
{
  const char *v = zj_cli_get (cli, name);
  return v ? zj_cli_bool (name, v, out) : 0;
}

int
zj_cli_no_shortcuts (const zj_cli *cli, bool *no_shortcuts)
{
  bool on = true;
  if (zj_cli_flag (cli, "shortcuts", &on))
    return -1;
  *no_shortcuts = !on;
  return 0;
}

int
zj_cli_memory (const zj_cli *cli, int *ns, int *nv, int *nm)
{
  const char *v = zj_cli_get (cli, "memory");
  char tail;
  if (!v)
    return 0;
  if (sscanf (v, "%d,%d,%d%c", ns, nv, nm, &tail) != 3 || *ns < 2 || *nv < 1
      || *nm < 0 || *ns > 65535 || *nv > 65535 || *nm > 65535)
    {
      fprintf (stderr, "zerojit: --memory=%s: expected S,V,M address counts "
               "(2 <= S, 1 <= V, 0 <= M, each <= 65535)\n", v);
      return -1;
    }
  return 0;
}

char *
zj_cli_read_file (const char *path, zj_error *err)
{
  return zj_read_text (path, NULL, err);
}

char *
zj_cli_text (const zj_cli *cli, const char *name, const char *file_flag,
             const char **source, zj_error *err)
{
  const char *text = zj_cli_get (cli, name);
  const char *file = zj_cli_get (cli, file_flag);
  if (file)
    {
      *source = file;
      return zj_cli_read_file (file, err);
    }
  if (!text)
    {
      zj_error_set (err, "missing --%s TEXT (or --%s FILE)", name, file_flag);
      return NULL;
    }
  *source = name;
  return zj_xstrdup (text);
}

int
zj_cli_close_stdout (void)
{
  const bool bad = fflush (stdout) != 0 || ferror (stdout);
  if (bad)
    {
      fprintf (stderr, "zerojit: error writing to standard output: %s\n",
               strerror (errno ? errno : EIO));
      return 1;
    }
  return 0;
}

void
zj_cli_locate (const char *path, zj_error *err)
{
  char comp[16], msg[sizeof err->msg + 4200];
  int index, line = 0;
  if (sscanf (err->msg, "%15s instruction %d", comp, &index) == 2)
    {
      zj_error ignored;
      char *text = zj_read_text (path, NULL, &ignored);
      for (int c = 0; text && c < ZJ_NUM_COMPONENTS; c++)
        if (!strcmp (comp, zj_component_names[c]))
          line = zj_program_line_of (text, c, index - 1);
      free (text);
    }
  if (line > 0)
    snprintf (msg, sizeof msg, "%s:%d: %s", path, line, err->msg);
  else
    snprintf (msg, sizeof msg, "%s: %s", path, err->msg);
  /* Truncation is fine: the path and line come first. */
  memcpy (err->msg, msg, sizeof err->msg - 1);
  err->msg[sizeof err->msg - 1] = '\0';
}
