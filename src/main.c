/* main.c -- the zerojit command: subcommand dispatch and flag parsing.
 *
 *   zerojit ops                          list the op table
 *   zerojit eval --program FILE --tasks TEXT | --tasks-file FILE
 *   zerojit print --program FILE [--pruned] [--lossless]
 *   zerojit search --search_experiment_spec=... (the original's flags)
 *
 * Flags are accepted as --name=value or --name value; the original's flag
 * names are kept verbatim.  Every error is one line on stderr and a
 * non-zero exit status.
 */
#include "config.h"
#include "internal.h"
#include <zerojit/spec.h>
#include "experiment.h"
#include "cli.h"
#include "ckpt.h"
#include "comm.h"
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------ flag parsing */

int
zj_cli_parse (int argc, char **argv, zj_flag *flags, int n_flags,
              const char *cmd)
{
  for (int i = 0; i < argc; i++)
    {
      const char *a = argv[i];
      if (strncmp (a, "--", 2) != 0)
        {
          fprintf (stderr, "zerojit %s: unexpected argument '%s'\n", cmd, a);
          return -1;
        }
      a += 2;
      const char *eq = strchr (a, '=');
      size_t len = eq ? (size_t) (eq - a) : strlen (a);
      zj_flag *f = NULL;
      for (int k = 0; k < n_flags; k++)
        if (strlen (flags[k].name) == len && strncmp (flags[k].name, a, len) == 0)
          f = &flags[k];
      if (!f)
        {
          fprintf (stderr, "zerojit %s: unknown flag '--%.*s' (valid:", cmd,
                   (int) len, a);
          for (int k = 0; k < n_flags; k++)
            fprintf (stderr, " --%s", flags[k].name);
          fprintf (stderr, ")\n");
          return -1;
        }
      if (f->is_bool && !eq)
        {
          f->value = "true";
          continue;
        }
      if (eq)
        f->value = eq + 1;
      else if (i + 1 < argc)
        f->value = argv[++i];
      else
        {
          fprintf (stderr, "zerojit %s: flag '--%s' needs a value\n", cmd, f->name);
          return -1;
        }
    }
  return 0;
}

const char *
zj_cli_get (const zj_flag *flags, int n_flags, const char *name)
{
  for (int k = 0; k < n_flags; k++)
    if (strcmp (flags[k].name, name) == 0)
      return flags[k].value;
  return NULL;
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

char *
zj_cli_read_file (const char *path, zj_error *err)
{
  return zj_read_file (path, NULL, err);
}

/* Text from --NAME or the file named by --NAME_file (or --NAME-file). */
static char *
text_or_file (const zj_flag *flags, int n, const char *name,
              const char *file_flag, const char **source, zj_error *err)
{
  const char *text = zj_cli_get (flags, n, name);
  const char *file = zj_cli_get (flags, n, file_flag);
  if (file)
    {
      *source = file;
      return zj_cli_read_file (file, err);
    }
  if (!text)
    {
      zj_error_set (err, "missing --%s (or --%s)", name, file_flag);
      return NULL;
    }
  *source = name;
  return zj_xstrdup (text);
}

int
zj_cli_memory (const char *v, int *ns, int *nv, int *nm)
{
  char tail;
  if (sscanf (v, "%d,%d,%d%c", ns, nv, nm, &tail) != 3 || *ns < 2 || *nv < 1
      || *nm < 0 || *ns > 65535 || *nv > 65535 || *nm > 65535)
    {
      fprintf (stderr, "zerojit: --memory=%s: expected S,V,M address counts (S >= 2, V >= 1, M >= 0)\n", v);
      return -1;
    }
  return 0;
}

/* ------------------------------------------------------------ subcommands */

static const char *
kind_name (zj_kind k)
{
  static const char *n[] = { "-", "scalar", "vector", "matrix" };
  return n[k];
}

/* The printed form with placeholders spelled out: "so = sa + sb". */
static void
render_form (const zj_op_info *o, char *buf, size_t n)
{
  static const char letter[] = { '?', 's', 'v', 'm' };
  size_t k = 0;
  for (const char *f = o->form; *f && k + 8 < n; f++)
    {
      if (*f != '$')
        {
          buf[k++] = *f;
          continue;
        }
      f++;
      switch (*f)
        {
        case 'o': buf[k++] = letter[o->out]; buf[k++] = 'o'; break;
        case 'a': buf[k++] = letter[o->in1]; buf[k++] = 'a'; break;
        case 'b': buf[k++] = letter[o->in2]; buf[k++] = 'b'; break;
        case 'A': k += (size_t) snprintf (buf + k, n - k, "<act>"); break;
        default: k += (size_t) snprintf (buf + k, n - k, "<fd%c>", *f); break;
        }
    }
  buf[k] = '\0';
}

static int
cmd_ops (int argc, char **argv)
{
  if (argc > 0)
    {
      fprintf (stderr, "zerojit ops: takes no arguments\n");
      return 2;
    }
  printf ("%-3s %-28s %-7s %-7s %-7s %s\n", "id", "name", "in1", "in2", "out", "printed as");
  for (int i = 0; i < ZJ_NUM_OPS; i++)
    {
      char form[128];
      render_form (&zj_ops[i], form, sizeof form);
      printf ("%-3d %-28s %-7s %-7s %-7s %s\n", i, zj_ops[i].name,
              kind_name (zj_ops[i].in1), kind_name (zj_ops[i].in2),
              kind_name (zj_ops[i].out), form);
    }
  return 0;
}

static int
cmd_eval (int argc, char **argv)
{
  zj_flag flags[] = {
    { "program", NULL, false }, { "tasks", NULL, false },
    { "tasks-file", NULL, false }, { "tasks_file", NULL, false },
    { "memory", NULL, false }, { "seed", NULL, false },
    { "no-prune", NULL, true }, { "max_abs_error", NULL, false },
    { "jit", NULL, false },
  };
  const int nf = (int) (sizeof flags / sizeof flags[0]);
  if (zj_cli_parse (argc, argv, flags, nf, "eval") != 0)
    return 2;
  const char *jit = zj_cli_get (flags, nf, "jit");
  if (!jit)
    jit = "off";
  if (strcmp (jit, "off") && strcmp (jit, "baseline") && strcmp (jit, "optimized")
      && strcmp (jit, "auto"))
    {
      fprintf (stderr, "zerojit eval: --jit=%s: expected off, baseline, optimized or auto\n", jit);
      return 2;
    }
#if !HAVE_JIT
  if (strcmp (jit, "off"))
    fprintf (stderr, "zerojit eval: built without the JIT (--without-jit): --jit=%s runs as --jit=off\n", jit);
  jit = "off";
#endif
  zj_error err = { "" };
  const char *prog_path = zj_cli_get (flags, nf, "program");
  if (!prog_path)
    {
      fprintf (stderr, "zerojit eval: missing --program FILE\n");
      return 2;
    }
  int ns = 20, nv = 20, nm = 20;
  const char *mem = zj_cli_get (flags, nf, "memory");
  if (mem && zj_cli_memory (mem, &ns, &nv, &nm) != 0)
    return 2;
  int64_t seed = 1;
  const char *sv = zj_cli_get (flags, nf, "seed");
  if (sv && zj_cli_int64 ("seed", sv, 0, INT64_MAX, &seed) != 0)
    return 2;
  double max_err = 100.0;
  const char *me = zj_cli_get (flags, nf, "max_abs_error");
  if (me && zj_cli_double ("max_abs_error", me, &max_err) != 0)
    return 2;
  const char *tfile = zj_cli_get (flags, nf, "tasks-file");
  if (!tfile)
    tfile = zj_cli_get (flags, nf, "tasks_file");
  const char *source = "--tasks";
  char *text = NULL;
  if (tfile)
    {
      source = tfile;
      text = zj_cli_read_file (tfile, &err);
    }
  else if (zj_cli_get (flags, nf, "tasks"))
    text = zj_xstrdup (zj_cli_get (flags, nf, "tasks"));
  else
    zj_error_set (&err, "missing --tasks TEXT or --tasks-file FILE");
  if (!text)
    {
      fprintf (stderr, "zerojit eval: %s\n", err.msg);
      return 1;
    }
  zj_program p;
  zj_program_init (&p);
  zj_task_collection coll = { 0 };
  zj_task *tasks = NULL;
  int n = 0, rc = 1;
  if (zj_program_load (prog_path, &p, &err) != 0
      || zj_task_collection_parse (text, source, &coll, &err) != 0
      || zj_tasks_generate (&coll, &tasks, &n, &err) != 0)
    goto out;
  const bool prune = zj_cli_get (flags, nf, "no-prune") == NULL;
  zj_rng rng;
  zj_rng_seed (&rng, (uint64_t) seed);
  double *fit = zj_xcalloc ((size_t) (n ? n : 1), sizeof (double));
#if HAVE_JIT
  if (strcmp (jit, "off") && n > 0)
    {
      /* Native tiers: every tier gives the same output lines. */
      zj_eval_result *res = zj_xcalloc ((size_t) n, sizeof *res);
      zj_eval_opts o;
      zj_eval_opts_default (&o);
      o.max_abs_error = max_err;
      const zj_shape shape = { tasks[0].F, ns, nv, nm };
      const char *ran;
      zj_error terr = { "" };
      const int t = zj_eval_tiered (jit, &p, tasks, n, &shape, prune, &o, &rng,
                                    fit, res, &ran, &terr);
      if (t < 0)
        {
          free (res);
          free (fit);
          char msg[sizeof err.msg];
          snprintf (msg, sizeof msg, "%s: %s", prog_path, terr.msg);
          memcpy (err.msg, msg, sizeof msg);
          goto out;
        }
      fprintf (stderr, "zerojit eval: tier %s%s%s\n", ran,
               terr.msg[0] ? ": " : "", terr.msg);
      if (t == 0)
        {
          for (int i = 0; i < n; i++)
            printf ("task %d: fitness=%.6f train_steps=%ld%s\n", i, fit[i],
                    res[i].train_steps, res[i].aborted ? " (aborted)" : "");
          printf ("combined fitness (mean over %d tasks) = %.6f\n", n,
                  zj_combine_fitness (fit, n, ZJ_COMBINE_MEAN));
          free (res);
          free (fit);
          rc = 0;
          goto out;
        }
      free (res);
      zj_rng_seed (&rng, (uint64_t) seed);
    }
#endif
  for (int i = 0; i < n; i++)
    {
      zj_shape shape = { tasks[i].F, ns, nv, nm };
      zj_prepared *pp = zj_prepare (&p, &shape, prune, &err);
      if (!pp)
        {
          free (fit);
          char msg[sizeof err.msg];
          snprintf (msg, sizeof msg, "%s: %s", prog_path, err.msg);
          memcpy (err.msg, msg, sizeof msg);
          goto out;
        }
      zj_workspace *ws = zj_workspace_new (&shape);
      zj_eval_opts o;
      zj_eval_opts_default (&o);
      o.max_abs_error = max_err;
      zj_eval_result r = { 0 };
      fit[i] = zj_interp_eval_task (pp, &tasks[i], &o, &rng, ws, &r);
      printf ("task %d: fitness=%.6f train_steps=%ld%s\n", i, fit[i],
              r.train_steps, r.aborted ? " (aborted)" : "");
      zj_workspace_free (ws);
      zj_prepared_free (pp);
    }
  printf ("combined fitness (mean over %d tasks) = %.6f\n", n,
          zj_combine_fitness (fit, n, ZJ_COMBINE_MEAN));
  free (fit);
  rc = 0;
out:
  if (rc)
    fprintf (stderr, "zerojit eval: %s\n", err.msg);
  zj_tasks_free (tasks, n);
  zj_task_collection_free (&coll);
  zj_program_free (&p);
  free (text);
  return rc;
}

static int
cmd_print (int argc, char **argv)
{
  zj_flag flags[] = {
    { "program", NULL, false }, { "pruned", NULL, true },
    { "lossless", NULL, true },
  };
  const int nf = (int) (sizeof flags / sizeof flags[0]);
  if (zj_cli_parse (argc, argv, flags, nf, "print") != 0)
    return 2;
  const char *path = zj_cli_get (flags, nf, "program");
  if (!path)
    {
      fprintf (stderr, "zerojit print: missing --program FILE\n");
      return 2;
    }
  zj_error err;
  zj_program p, q;
  zj_program_init (&p);
  zj_program_init (&q);
  if (zj_program_load (path, &p, &err) != 0)
    {
      fprintf (stderr, "zerojit print: %s\n", err.msg);
      return 1;
    }
  if (zj_cli_get (flags, nf, "pruned"))
    zj_prune (&p, &q);
  else
    zj_program_copy (&q, &p);
  zj_program_print (&q, zj_cli_get (flags, nf, "lossless") != NULL, stdout);
  zj_program_free (&p);
  zj_program_free (&q);
  return 0;
}

/* "all", "none" or a comma list of stage, rank, keep, hits. */
static int
parse_signals (const char *v, int *mask)
{
  static const char *const names[] = { "stage", "rank", "keep", "hits" };
  *mask = 0;
  if (!strcmp (v, "all") || !strcmp (v, "none"))
    {
      *mask = v[0] == 'a' ? ZJ_SIG_ALL : 0;
      return 0;
    }
  for (const char *p = v; *p;)
    {
      size_t len = strcspn (p, ",");
      int k = 0;
      while (k < 4 && (strlen (names[k]) != len || strncmp (names[k], p, len)))
        k++;
      if (k == 4)
        {
          fprintf (stderr, "zerojit: --jit_signals=%s: expected all, none or a comma list of stage, rank, keep, hits\n", v);
          return -1;
        }
      *mask |= 1 << k;
      p += len + (p[len] == ',');
    }
  return 0;
}

/* --jit and its knobs, --hurdles and theirs. */
static int
tier_flags (const zj_flag *flags, int nf, zj_experiment_cfg *cfg)
{
  const char *s;
  int64_t v;
  if ((s = zj_cli_get (flags, nf, "jit")) && zj_tier_mode_parse (s, &cfg->jit))
    {
      fprintf (stderr, "zerojit: --jit=%s: expected off, baseline, optimized, auto or always\n", s);
      return -1;
    }
#if !HAVE_JIT
  if (cfg->jit != ZJ_TIER_OFF)
    fprintf (stderr, "zerojit: built without the JIT (--without-jit): --jit=%s runs as --jit=off\n", s);
  cfg->jit = ZJ_TIER_OFF;
#endif
  zj_policy_knobs *k = &cfg->jit_knobs;
  if ((s = zj_cli_get (flags, nf, "jit_opt_level")))
    {
      if (zj_cli_int64 ("jit_opt_level", s, 0, 3, &v))
        return -1;
      cfg->jit_opt_level = (int) v;
    }
  if ((s = zj_cli_get (flags, nf, "jit_batch")))
    {
      if (zj_cli_int64 ("jit_batch", s, 1, 64, &v))
        return -1;
      k->batch_max = (int) v;
    }
  if ((s = zj_cli_get (flags, nf, "jit_margin"))
      && zj_cli_double ("jit_margin", s, &k->margin))
    return -1;
  if ((s = zj_cli_get (flags, nf, "jit_compile_weight"))
      && zj_cli_double ("jit_compile_weight", s, &k->compile_weight))
    return -1;
  if ((s = zj_cli_get (flags, nf, "jit_signals"))
      && parse_signals (s, &k->signals))
    return -1;
  if ((s = zj_cli_get (flags, nf, "hurdles"))
      && zj_cli_bool ("hurdles", s, &cfg->hurdles))
    return -1;
  if ((s = zj_cli_get (flags, nf, "hurdle_tasks")))
    {
      if (zj_cli_int64 ("hurdle_tasks", s, 1, INT_MAX, &v))
        return -1;
      cfg->hurdle_tasks = (int) v;
    }
  if ((s = zj_cli_get (flags, nf, "hurdle_percentile")))
    {
      if (zj_cli_double ("hurdle_percentile", s, &cfg->hurdle_percentile))
        return -1;
      if (cfg->hurdle_percentile < 0 || cfg->hurdle_percentile > 100)
        {
          fprintf (stderr, "zerojit: --hurdle_percentile=%s: expected 0..100\n", s);
          return -1;
        }
    }
  return 0;
}

static int
cmd_search (int argc, char **argv)
{
  zj_flag flags[] = {
    { "search_experiment_spec", NULL, false },
    { "search_experiment_spec_file", NULL, false },
    { "select_tasks", NULL, false }, { "select_tasks_file", NULL, false },
    { "final_tasks", NULL, false }, { "final_tasks_file", NULL, false },
    { "max_experiments", NULL, false }, { "random_seed", NULL, false },
    { "randomize_task_seeds", NULL, true },
    { "sufficient_fitness", NULL, false },
    { "max_scalar_addresses", NULL, false },
    { "max_vector_addresses", NULL, false },
    { "max_matrix_addresses", NULL, false },
    { "progress_log", NULL, false }, { "dedup", NULL, true },
    { "workers", NULL, false },
    { "jit", NULL, false }, { "jit_opt_level", NULL, false },
    { "jit_batch", NULL, false }, { "jit_margin", NULL, false },
    { "jit_compile_weight", NULL, false }, { "jit_signals", NULL, false },
    { "hurdles", NULL, true }, { "hurdle_tasks", NULL, false },
    { "hurdle_percentile", NULL, false },
    { "checkpoint", NULL, false }, { "checkpoint_every_secs", NULL, false },
    { "resume", NULL, false },
    { "islands", NULL, false }, { "migration_interval", NULL, false },
    { "migration_fraction", NULL, false }, { "migration_topology", NULL, false },
  };
  const int nf = (int) (sizeof flags / sizeof flags[0]);
  if (zj_cli_parse (argc, argv, flags, nf, "search") != 0)
    return 2;
  zj_experiment_cfg cfg;
  zj_experiment_cfg_init (&cfg);
  zj_error err = { "" };
  int rc = 2;
  const char *src;
  char *spec = NULL, *sel = NULL, *fin = NULL;
  int64_t v;
  const char *s;
  zj_ckpt resume;
  zj_ckpt_init (&resume);
  zj_comm comm = { 0, 1, false };
  FILE *out = stdout;
  char *rank_log = NULL;
  char **ck_args = NULL;
  int n_ck_args = 0;
  char *rank_ckpt = NULL;
  const char *resume_path = zj_cli_get (flags, nf, "resume");
  /* Under mpirun the ranks share each experiment's islands; every rank
     runs the same driver, rank 0 prints (doc/islands.md). */
  rc = 1;
  if (zj_comm_start (NULL, NULL, &comm, &err) != 0)
    goto out;
  if (resume_path)
    {
      /* Several ranks: the file is a manifest naming each rank's file. */
      size_t len;
      char *buf = zj_read_file (resume_path, &len, &err);
      if (!buf)
        goto out;
      const bool man = zj_ckpt_is_manifest (buf, len);
      int ranks = 1;
      if (man && zj_ckpt_manifest_parse (buf, len, &cfg.resume_gen, &ranks, &err) != 0)
        {
          free (buf);
          char m[sizeof err.msg];
          snprintf (m, sizeof m, "%s", err.msg);
          zj_error_set (&err, "--resume=%s: %s", resume_path, m);
          goto out;
        }
      free (buf);
      if (man != (comm.size > 1) || ranks != comm.size)
        {
          zj_error_set (&err, "--resume=%s: written by %d rank%s, this run has %d",
                        resume_path, man ? ranks : 1, man && ranks > 1 ? "s" : "",
                        comm.size);
          goto out;
        }
      if (man)
        rank_ckpt = zj_ckpt_rank_path (resume_path, cfg.resume_gen, comm.rank);
      if (zj_cli_resume (flags, nf, rank_ckpt ? rank_ckpt : resume_path,
                         &resume, &err) != 0)
        goto out;
      cfg.resume = &resume;
    }
  rc = 2;
  if ((s = zj_cli_get (flags, nf, "checkpoint_every_secs")))
    {
      if (zj_cli_double ("checkpoint_every_secs", s, &cfg.checkpoint_every))
        goto out;
      if (!(cfg.checkpoint_every > 0))
        {
          fprintf (stderr, "zerojit: --checkpoint_every_secs=%s: expected a positive number of seconds\n", s);
          goto out;
        }
    }
  if ((cfg.checkpoint = zj_cli_get (flags, nf, "checkpoint")))
    {
      rc = 1;
      if (zj_cli_ckpt_args (flags, nf, &ck_args, &n_ck_args, &err) != 0)
        goto out;
      rc = 2;
      cfg.ckpt_args = ck_args;
      cfg.n_ckpt_args = n_ck_args;
      cfg.terminate = zj_cli_catch_sigterm ();
    }
  if ((s = zj_cli_get (flags, nf, "max_experiments"))
      && zj_cli_int64 ("max_experiments", s, 0, INT64_MAX, &cfg.max_experiments))
    goto out;
  if ((s = zj_cli_get (flags, nf, "random_seed")))
    {
      if (zj_cli_int64 ("random_seed", s, 0, INT64_MAX, &v))
        goto out;
      cfg.random_seed = (uint64_t) v;
    }
  if ((s = zj_cli_get (flags, nf, "randomize_task_seeds"))
      && zj_cli_bool ("randomize_task_seeds", s, &cfg.randomize_task_seeds))
    goto out;
  if ((s = zj_cli_get (flags, nf, "dedup")) && zj_cli_bool ("dedup", s, &cfg.dedup))
    goto out;
  if ((s = zj_cli_get (flags, nf, "sufficient_fitness"))
      && zj_cli_double ("sufficient_fitness", s, &cfg.sufficient_fitness))
    goto out;
  struct { const char *name; int *dst; int lo; } addr[] = {
    { "max_scalar_addresses", &cfg.ns, 2 },
    { "max_vector_addresses", &cfg.nv, 1 },
    { "max_matrix_addresses", &cfg.nm, 0 } };
  for (int k = 0; k < 3; k++)
    if ((s = zj_cli_get (flags, nf, addr[k].name)))
      {
        if (zj_cli_int64 (addr[k].name, s, addr[k].lo, 65535, &v))
          goto out;
        *addr[k].dst = (int) v;
      }
  cfg.progress_log = zj_cli_get (flags, nf, "progress_log");
  /* Experiments are independent and consumed in order, so running one per
     core changes only the time, never the output. */
  long cpus = sysconf (_SC_NPROCESSORS_ONLN);
  cfg.workers = cpus > 0 ? (int) (cpus < 64 ? cpus : 64) : 1;
  if ((s = zj_cli_get (flags, nf, "workers")))
    {
      if (zj_cli_int64 ("workers", s, 1, 64, &v))
        goto out;
      cfg.workers = (int) v;
    }
  if (tier_flags (flags, nf, &cfg) != 0)
    goto out;
  if ((s = zj_cli_get (flags, nf, "islands")))
    {
      if (zj_cli_int64 ("islands", s, 1, 4096, &v))
        goto out;
      cfg.islands = (int) v;
    }
  if ((s = zj_cli_get (flags, nf, "migration_interval"))
      && zj_cli_int64 ("migration_interval", s, 0, INT64_MAX, &cfg.migration_interval))
    goto out;
  if ((s = zj_cli_get (flags, nf, "migration_fraction")))
    {
      if (zj_cli_double ("migration_fraction", s, &cfg.migration_fraction))
        goto out;
      if (!(cfg.migration_fraction >= 0 && cfg.migration_fraction <= 1))
        {
          fprintf (stderr, "zerojit: --migration_fraction=%s: expected 0..1\n", s);
          goto out;
        }
    }
  if ((s = zj_cli_get (flags, nf, "migration_topology"))
      && zj_topology_parse (s, &cfg.migration_topology) != 0)
    {
      fprintf (stderr, "zerojit: --migration_topology=%s: expected all or ring\n", s);
      goto out;
    }
  rc = 1;
  if (!(spec = text_or_file (flags, nf, "search_experiment_spec",
                             "search_experiment_spec_file", &src, &err))
      || zj_search_spec_parse (spec, src, &cfg.spec, &err) != 0)
    goto out;
  if (!(sel = text_or_file (flags, nf, "select_tasks", "select_tasks_file", &src, &err))
      || zj_task_collection_parse (sel, src, &cfg.select_tasks, &err) != 0)
    goto out;
  if (!(fin = text_or_file (flags, nf, "final_tasks", "final_tasks_file", &src, &err))
      || zj_task_collection_parse (fin, src, &cfg.final_tasks, &err) != 0)
    goto out;
  if (comm.size > 1)
    {
      cfg.comm = &comm;
      if (cfg.checkpoint && comm.rank == 0
          && (cfg.islands < 2 || cfg.migration_interval == 0))
        fprintf (stderr, "zerojit: with several ranks, checkpoints are taken at migration points; this run has none\n");
      if (comm.rank > 0)
        {
          out = fopen ("/dev/null", "w");
          if (cfg.progress_log)
            {
              rank_log = zj_xmalloc (strlen (cfg.progress_log) + 32);
              sprintf (rank_log, "%s.rank%d", cfg.progress_log, comm.rank);
              cfg.progress_log = rank_log;
            }
        }
    }
  rc = zj_run_experiments (&cfg, out ? out : stdout, NULL, &err) == 0 ? 0 : 1;
out:
  if (rc == 1)
    fprintf (stderr, "zerojit search: %s\n", err.msg);
  free (spec);
  free (sel);
  free (fin);
  zj_cli_ckpt_args_free (ck_args, n_ck_args);
  if (out && out != stdout)
    fclose (out);
  free (rank_log);
  free (rank_ckpt);
  zj_comm_end (&comm);
  zj_ckpt_free (&resume);
  zj_experiment_cfg_free (&cfg);
  return rc;
}

static const struct {
  const char *name;
  int (*fn) (int, char **);
  const char *help;
} commands[] = {
  { "ops", cmd_ops, "list the 65 ops" },
  { "eval", cmd_eval, "evaluate a program: --program FILE --tasks TEXT|--tasks-file FILE [--memory S,V,M] [--jit=off|baseline|optimized|auto]" },
  { "print", cmd_print, "print a program: --program FILE [--pruned] [--lossless]" },
  { "search", cmd_search, "run an evolution search with the original's flags" },
#ifdef HAVE_JIT
  { "show", zj_cmd_show, "show generated code: --program FILE --emit=c|asm [--tier=optimized|baseline] [--features F]" },
  { "bench", zj_cmd_bench, "compare interpreter, baseline and optimized tiers: --program FILE --tasks TEXT" },
#endif
  { "data", zj_cmd_data, "real data: info|build --dataset fashion_mnist|mnist|csv (cmd_data.c)" },
};

static void
usage (FILE *f)
{
  fprintf (f, "usage: zerojit COMMAND [FLAGS]\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf (f, "  %-7s %s\n", commands[i].name, commands[i].help);
}

int
main (int argc, char **argv)
{
  if (argc < 2 || !strcmp (argv[1], "--help") || !strcmp (argv[1], "help"))
    {
      usage (argc < 2 ? stderr : stdout);
      return argc < 2 ? 2 : 0;
    }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (!strcmp (argv[1], commands[i].name))
      return commands[i].fn (argc - 2, argv + 2);
  fprintf (stderr, "zerojit: unknown command '%s'\n", argv[1]);
  usage (stderr);
  return 2;
}
