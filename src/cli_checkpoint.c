/* cli_checkpoint.c -- the command-line side of checkpoint and resume:
 * which flags a checkpoint records, how --resume=FILE gets them back,
 * and the SIGTERM hook that asks for a last checkpoint.
 *
 * A checkpoint records every flag that shapes the search, with the spec
 * and task files inlined (a resumed run must not see an edited file).
 * On --resume, flags that only change speed or where output goes may be
 * given anew; any other flag given must equal the recorded one.
 */
#include "internal.h"
#include "cli.h"
#include "ckpt.h"
#include <signal.h>
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
zj_cli_ckpt_args (const zj_flag *flags, int nf, char ***args, int *n,
                  zj_error *err)
{
  *args = zj_xcalloc ((size_t) nf + 1, sizeof (char *));
  *n = 0;
  for (int k = 0; k < nf; k++)
    {
      const char *v = flags[k].value;
      if (!v || not_recorded (flags[k].name))
        continue;
      if (ends_with_file (flags[k].name))
        {
          char *text = zj_cli_read_file (v, err);
          if (!text)
            return -1;
          char base[128];
          snprintf (base, sizeof base, "%.*s", (int) strlen (flags[k].name) - 5,
                    flags[k].name);
          (*args)[(*n)++] = flag_arg (base, text);
          free (text);
        }
      else
        (*args)[(*n)++] = flag_arg (flags[k].name, v);
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
zj_cli_resume (zj_flag *flags, int nf, const char *path, zj_ckpt *ck,
               zj_error *err)
{
  if (zj_ckpt_load (path, ck, err) != 0)
    return -1;
  const char **given = zj_xcalloc ((size_t) nf, sizeof (char *));
  for (int k = 0; k < nf; k++)
    {
      given[k] = flags[k].value;
      flags[k].value = NULL;
    }
  int rc = -1;
  /* The recorded flags were written by zj_cli_ckpt_args: --name=value. */
  for (int i = 0; i < ck->n_args; i++)
    if (strncmp (ck->args[i], "--", 2) != 0 || !strchr (ck->args[i], '='))
      {
        zj_error_set (err, "--resume=%s: damaged flag record '%.40s'", path,
                      ck->args[i]);
        goto out;
      }
  if (zj_cli_parse (ck->n_args, ck->args, flags, nf, "search") != 0)
    {
      zj_error_set (err, "--resume=%s: the checkpoint records a flag this build does not know", path);
      goto out;
    }
  for (int k = 0; k < nf; k++)
    {
      const char *name = flags[k].name;
      if (!given[k])
        continue;
      if (may_change (name))
        {
          flags[k].value = given[k];
          continue;
        }
      if (ends_with_file (name))
        {
          char base[128];
          snprintf (base, sizeof base, "%.*s", (int) strlen (name) - 5, name);
          const char *rec = zj_cli_get (flags, nf, base);
          char *text = zj_cli_read_file (given[k], err);
          if (!text)
            goto out;
          const bool same = rec && !strcmp (rec, text);
          free (text);
          if (!same)
            {
              zj_error_set (err, "--resume=%s: --%s=%s differs from the %s the checkpointed run used",
                            path, name, given[k], base);
              goto out;
            }
          continue;
        }
      const char *rec = flags[k].value;
      if (!rec || strcmp (rec, given[k]) != 0)
        {
          if (rec)
            zj_error_set (err, "--resume=%s: --%s=%.200s differs from the checkpointed run (--%s=%.200s)",
                          path, name, given[k], name, rec);
          else
            zj_error_set (err, "--resume=%s: --%s=%.200s was not given to the checkpointed run",
                          path, name, given[k]);
          goto out;
        }
    }
  rc = 0;
out:
  free (given);
  if (rc != 0)
    zj_ckpt_free (ck);
  return rc;
}

/* ---------------------------------------------------------------- SIGTERM */
static volatile sig_atomic_t terminate_flag;

static void
on_term (int sig)
{
  (void) sig;
  terminate_flag = 1;
}

const volatile sig_atomic_t *
zj_cli_catch_sigterm (void)
{
  struct sigaction sa;
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_term;
  sigemptyset (&sa.sa_mask);
  sigaction (SIGTERM, &sa, NULL);
  return &terminate_flag;
}
