/* cli_checkpoint.c -- the command-line side of checkpoint and resume:
 * which flags a checkpoint records and how --resume=FILE gets them back.
 * (SIGTERM reaches the search through signals.c's zj_stop: with
 * --checkpoint it asks for a last checkpoint.)
 *
 * A checkpoint records every flag that shapes the search, with the spec
 * and task files inlined (a resumed run must not see an edited file).
 * On --resume, flags that only change speed or where output goes may be
 * given anew; any other flag given must equal the recorded one.
 */
#include "config.h"
#include "internal.h"
#include "cli.h"
#include "ckpt.h"
#include <string.h>

/* Flags never recorded: they name the checkpoint itself. */
static bool
not_recorded (const char *name)
{
  return !strcmp (name, "resume") || !strcmp (name, "checkpoint")
         || !strcmp (name, "checkpoint_every_secs");
}

/* Flags a resumed run may change: none affects the trajectory. */
static bool
may_change (const char *name)
{
  return not_recorded (name) || !strcmp (name, "workers")
         || !strcmp (name, "status")
         || !strncmp (name, "jit", 3);
}

static bool
ends_with_file (const char *name)
{
  size_t n = strlen (name);
  return n > 5 && !strcmp (name + n - 5, "_file");
}

static char *
flag_arg (const char *name, const char *value)
{
  size_t a = strlen (name), b = strlen (value);
  char *s = zj_xmalloc (a + b + 4);
  memcpy (s, "--", 2);
  memcpy (s + 2, name, a);
  s[a + 2] = '=';
  memcpy (s + a + 3, value, b + 1);
  return s;
}

int
zj_cli_ckpt_args (const zj_cli *cli, char ***args, int *n, zj_error *err)
{
  const zj_command *cmd = cli->cmd;
  *args = zj_xcalloc ((size_t) cmd->n_flags + 1, sizeof (char *));
  *n = 0;
  for (int k = 0; k < cmd->n_flags; k++)
    {
      const char *v = cli->value[k], *name = cmd->flags[k].name;
      if (!v || not_recorded (name))
        continue;
      if (ends_with_file (name))
        {
          char *text = zj_cli_read_file (v, err);
          if (!text)
            return -1;
          char base[128];
          snprintf (base, sizeof base, "%.*s", (int) strlen (name) - 5, name);
          (*args)[(*n)++] = flag_arg (base, text);
          free (text);
        }
      else
        (*args)[(*n)++] = flag_arg (name, v);
    }
  return 0;
}

void
zj_cli_ckpt_args_free (char **args, int n)
{
  for (int i = 0; i < n; i++)
    free (args[i]);
  free (args);
}

int
zj_cli_resume (zj_cli *cli, const char *path, zj_ckpt *ck, zj_error *err)
{
  if (zj_ckpt_load (path, ck, err) != 0)
    return -1;
  const zj_command *cmd = cli->cmd;
  zj_cli rec;
  int rc = -1;
  /* The recorded flags were written by zj_cli_ckpt_args: --name=value. */
  for (int i = 0; i < ck->n_args; i++)
    if (strncmp (ck->args[i], "--", 2) != 0 || !strchr (ck->args[i], '='))
      {
        zj_error_set (err, "--resume=%s: damaged flag record '%.40s'", path,
                      ck->args[i]);
        goto out;
      }
  if (zj_cli_parse (cmd, ck->n_args, ck->args, &rec) != 0)
    {
      zj_error_set (err, "--resume=%s: the checkpoint records a flag this build does not know", path);
      goto out;
    }
  for (int k = 0; k < cmd->n_flags; k++)
    {
      const char *name = cmd->flags[k].name, *given = cli->value[k];
      if (!given)
        continue;
      if (may_change (name))
        {
          rec.value[k] = given;
          continue;
        }
      if (ends_with_file (name))
        {
          char base[128];
          snprintf (base, sizeof base, "%.*s", (int) strlen (name) - 5, name);
          const char *was = zj_cli_given (&rec, base) ? zj_cli_get (&rec, base) : NULL;
          char *text = zj_cli_read_file (given, err);
          if (!text)
            goto out;
          const bool same = was && !strcmp (was, text);
          free (text);
          if (!same)
            {
              zj_error_set (err, "--resume=%s: --%s=%s differs from the %s the checkpointed run used",
                            path, name, given, base);
              goto out;
            }
          continue;
        }
      const char *was = rec.value[k];
      if (!was || strcmp (was, given) != 0)
        {
          if (was)
            zj_error_set (err, "--resume=%s: --%s=%.200s differs from the checkpointed run (--%s=%.200s)",
                          path, name, given, name, was);
          else
            zj_error_set (err, "--resume=%s: --%s=%.200s was not given to the checkpointed run",
                          path, name, given);
          goto out;
        }
    }
  *cli = rec;
  rc = 0;
out:
  if (rc != 0)
    zj_ckpt_free (ck);
  return rc;
}
