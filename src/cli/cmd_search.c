/* cmd_search.c -- `zerojit search`: the evolution search with the
 * original release's flags (kept verbatim), plus ours.
 *
 * SIGINT/SIGTERM stop the search at the next evaluation (signals.c); it
 * then prints the best algorithm so far and exits with 128 + signal.
 */
#include "config.h"
#include "internal.h"
#include <zerojit/spec.h>
#if HAVE_JIT
#include <zerojit/jit.h>
#endif
#include "experiment.h"
#include "stop.h"
#include "cli.h"
#include "ckpt.h"
#include "comm.h"
#include <float.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static const zj_flag_def flags[] = {
  { "search_experiment_spec", "TEXT", NULL, "The search (SearchExperimentSpec, protobuf text format): search tasks, population, ops, budget.", "search_experiment_spec_file" },
  { "search_experiment_spec_file", "FILE", NULL, "Read the search spec from FILE.", "search_experiment_spec" },
  { "select_tasks", "TEXT", NULL, "Tasks (TaskCollection) on which each experiment's candidate is evaluated to pick the best.", "select_tasks_file" },
  { "select_tasks_file", "FILE", NULL, "Read the select tasks from FILE.", "select_tasks" },
  { "final_tasks", "TEXT", NULL, "Unseen tasks (TaskCollection) for the final evaluation of the best candidate.", "final_tasks_file" },
  { "final_tasks_file", "FILE", NULL, "Read the final tasks from FILE.", "final_tasks" },
  { "max_experiments", "N", "1", "Experiments to run; 0 = until --sufficient_fitness is reached." },
  { "random_seed", "N", "0", "Seed of everything; 0 = from the clock (printed as 'Random seed = ...')." },
  { "randomize_task_seeds", NULL, "false", "Draw new data seeds for the tasks of every experiment." },
  { "sufficient_fitness", "X", NULL, "Stop after the first experiment whose select fitness exceeds X (default: never)." },
  { "max_scalar_addresses", "N", "20", "Scalar addresses s0..s(N-1) the programs may use (2..65535; s0 label, s1 prediction)." },
  { "max_vector_addresses", "N", "20", "Vector addresses v0..v(N-1) (1..65535; v0 holds the features)." },
  { "max_matrix_addresses", "N", "20", "Matrix addresses m0..m(N-1) (0..65535)." },
  { "memory", "S,V,M", NULL, "The three address counts at once, as in eval, show and bench; not together with --max_*_addresses." },
  { "progress_log", "FILE", NULL, "Also write every progress line to FILE as one JSON object per line, with 'experiment' and 'used' (see 'zerojit plot')." },
  { "dedup", NULL, "true", "Reuse the fitness of an exact duplicate program instead of evaluating it again." },
  { "shortcuts", NULL, "true", "Skip training steps that provably change nothing observable (doc/shortcuts.md).  The output does not depend on it." },
  { "workers", "N", NULL, "Experiments run at once, one per thread (1..64; default: one per CPU).  The output does not depend on it." },
  { "status", NULL, NULL, "Show a live status line on stderr (default: when stderr is a terminal)." },
  { "jit", "off|baseline|optimized|auto|always|optimized-all", "auto", "Run candidates as native code: never; in the baseline tier (stencils) for every lane evaluation; in the optimized tier (libgccjit) where the tiering policy expects a compile to pay; per candidate in whichever tier the policy expects to save; every candidate in the baseline tier, plus the optimized tier where it pays; or an optimized compile of every structure before it runs.  The output does not depend on it.  Given explicitly, progress lines also carry the tier's counters." },
  { "jit_opt_level", "N[,-fNAME...]", "1", "libgccjit optimisation level 0..3 of the optimized tier (1 adds -fexpensive-optimizations and -fschedule-insns2), optionally followed by GCC -f options, as bench --opt (doc/optimized_tier.md)." },
  { "jit_batch", "N", "8", "Programs per compile batch (1..64)." },
  { "jit_margin", "X", "1.5", "Compile when the expected saving exceeds X times the compile cost." },
  { "jit_compile_weight", "X", "1.0", "Compile milliseconds charged per millisecond (0 when a core is idle)." },
  { "jit_signals", "LIST", "stage,rank,keep", "Lifetime signals the policy uses: all, none or a comma list of stage, rank, keep, hits." },
  { "hurdles", NULL, "false", "Progressive hurdles: stop evaluating a candidate that falls below a percentile of recent ones after a few tasks (changes results)." },
  { "hurdle_tasks", "N", "1", "Tasks evaluated before a hurdle." },
  { "hurdle_percentile", "P", "50", "The hurdle, as a percentile (0..100) of recent candidates' fitness." },
  { "islands", "N", "1", "Populations per experiment (1..4096), searched side by side on the workers (or the ranks of an MPI job) and exchanging individuals (doc/islands.md).  The output does not depend on the number of threads or ranks." },
  { "migration_interval", "N", "1000", "Individuals per island between two migrations; 0 = never." },
  { "migration_fraction", "X", "0.5", "Share of an island's population (0..1) sent to others at each migration." },
  { "migration_topology", "all|ring", "all", "Where emigrants go: any other island, or the next one in a ring." },
  { "checkpoint", "FILE", NULL, "Save the whole search state to FILE (atomically) every --checkpoint_every_secs; SIGTERM then writes a last checkpoint and exits (doc/checkpoint.md)." },
  { "checkpoint_every_secs", "S", "300", "Seconds between two checkpoints (> 0)." },
  { "resume", "FILE", NULL, "Continue the search saved in FILE with its recorded flags: the same output as an uninterrupted run.  Only --workers, --status, --jit* and --checkpoint* may be given anew; other flags given must match." },
};

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
tier_flags (const zj_cli *cli, zj_experiment_cfg *cfg)
{
  const char *s = zj_cli_get (cli, "jit");
  int64_t v;
  if (zj_tier_mode_parse (s, &cfg->jit))
    {
      fprintf (stderr, "zerojit: --jit=%s: expected off, baseline, optimized, auto, always or optimized-all\n", s);
      return -1;
    }
  /* The default (auto) keeps the progress lines of the original's form;
     asking for a tier by name asks for its counters too. */
  cfg->jit_progress = zj_cli_given (cli, "jit");
#if !HAVE_JIT
  if (cfg->jit != ZJ_TIER_OFF && cfg->jit_progress)
    fprintf (stderr, "zerojit: built without the JIT (--without-jit): --jit=%s runs as --jit=off\n", s);
  cfg->jit = ZJ_TIER_OFF;
#endif
  zj_policy_knobs *k = &cfg->jit_knobs;
  const char *ol = zj_cli_get (cli, "jit_opt_level");
#if HAVE_JIT
  if (ol)
    {
      zj_jit_opts jo;
      zj_jit_opts_default (&jo);
      zj_error e;
      if (zj_jit_parse_opt (ol, &jo, &e) != 0)
        {
          fprintf (stderr, "zerojit: --jit_opt_level=%s: %s\n", ol, e.msg);
          return -1;
        }
      cfg->jit_opt_level = jo.opt_level;
      cfg->jit_opt_flags = jo.flags;    /* points into argv */
    }
#else
  if (ol && zj_cli_int (cli, "jit_opt_level", 0, 3, &v))
    return -1;
#endif
  if (zj_cli_int (cli, "jit_batch", 1, 64, &v))
    return -1;
  k->batch_max = (int) v;
  if (zj_cli_num (cli, "jit_margin", &k->margin)
      || zj_cli_num (cli, "jit_compile_weight", &k->compile_weight)
      || parse_signals (zj_cli_get (cli, "jit_signals"), &k->signals)
      || zj_cli_flag (cli, "hurdles", &cfg->hurdles)
      || zj_cli_int (cli, "hurdle_tasks", 1, INT_MAX, &v))
    return -1;
  cfg->hurdle_tasks = (int) v;
  if (zj_cli_num (cli, "hurdle_percentile", &cfg->hurdle_percentile))
    return -1;
  if (cfg->hurdle_percentile < 0 || cfg->hurdle_percentile > 100)
    {
      fprintf (stderr, "zerojit: --hurdle_percentile=%s: expected 0..100\n",
               zj_cli_get (cli, "hurdle_percentile"));
      return -1;
    }
  return 0;
}

static int
address_flags (const zj_cli *cli, zj_experiment_cfg *cfg)
{
  static const char *const names[] = { "max_scalar_addresses",
                                       "max_vector_addresses",
                                       "max_matrix_addresses" };
  int *dst[] = { &cfg->ns, &cfg->nv, &cfg->nm };
  const int lo[] = { 2, 1, 0 };
  int64_t v;
  for (int k = 0; k < 3; k++)
    {
      if (zj_cli_given (cli, names[k]) && zj_cli_given (cli, "memory"))
        {
          fprintf (stderr, "zerojit search: --memory and --%s conflict: give one of them\n",
                   names[k]);
          return -1;
        }
      if (zj_cli_int (cli, names[k], lo[k], 65535, &v))
        return -1;
      *dst[k] = (int) v;
    }
  return zj_cli_memory (cli, &cfg->ns, &cfg->nv, &cfg->nm);
}

/* --islands and the migration flags. */
static int
island_flags (const zj_cli *cli, zj_experiment_cfg *cfg)
{
  int64_t v;
  if (zj_cli_int (cli, "islands", 1, 4096, &v))
    return -1;
  cfg->islands = (int) v;
  if (zj_cli_int (cli, "migration_interval", 0, INT64_MAX, &cfg->migration_interval)
      || zj_cli_num (cli, "migration_fraction", &cfg->migration_fraction))
    return -1;
  if (!(cfg->migration_fraction >= 0 && cfg->migration_fraction <= 1))
    {
      fprintf (stderr, "zerojit: --migration_fraction=%s: expected 0..1\n",
               zj_cli_get (cli, "migration_fraction"));
      return -1;
    }
  const char *s = zj_cli_get (cli, "migration_topology");
  if (zj_topology_parse (s, &cfg->migration_topology) != 0)
    {
      fprintf (stderr, "zerojit: --migration_topology=%s: expected all or ring\n", s);
      return -1;
    }
  return 0;
}

/* --resume: the file, or under mpirun a manifest naming each rank's file;
   replaces cli's flags by the recorded ones.  0, or -1 with err set. */
static int
resume_flags (zj_cli *cli, const zj_comm *comm, zj_experiment_cfg *cfg,
              zj_ckpt *resume, zj_error *err)
{
  const char *path = zj_cli_get (cli, "resume");
  size_t len;
  char *buf = zj_read_file (path, &len, err);
  if (!buf)
    return -1;
  const bool man = zj_ckpt_is_manifest (buf, len);
  int ranks = 1;
  if (man && zj_ckpt_manifest_parse (buf, len, &cfg->resume_gen, &ranks, err) != 0)
    {
      free (buf);
      char m[sizeof err->msg];
      snprintf (m, sizeof m, "%s", err->msg);
      zj_error_set (err, "--resume=%s: %s", path, m);
      return -1;
    }
  free (buf);
  if (man != (comm->size > 1) || ranks != comm->size)
    {
      zj_error_set (err, "--resume=%s: written by %d rank%s, this run has %d",
                    path, man ? ranks : 1, man && ranks > 1 ? "s" : "",
                    comm->size);
      return -1;
    }
  char *rank_ckpt = man ? zj_ckpt_rank_path (path, cfg->resume_gen, comm->rank) : NULL;
  const int rc = zj_cli_resume (cli, rank_ckpt ? rank_ckpt : path, resume, err);
  free (rank_ckpt);
  if (rc == 0)
    cfg->resume = resume;
  return rc;
}

static int
run (zj_cli *cli)
{
  zj_experiment_cfg cfg;
  zj_experiment_cfg_init (&cfg);
  zj_error err = { "" };
  int rc = 2;
  const char *src;
  char *spec = NULL, *sel = NULL, *fin = NULL;
  int64_t v;
  zj_ckpt resume;
  zj_ckpt_init (&resume);
  zj_comm comm = { 0, 1, false };
  FILE *out = stdout;
  char *rank_log = NULL;
  char **ck_args = NULL;
  int n_ck_args = 0;
  /* Static: the signal thread keeps using it until the process ends.
     Caught before MPI starts its threads, which inherit the blocked
     signals. */
  static zj_stop stop;
  zj_stop_init (&stop);
  cfg.interrupt = &stop;
  if (zj_cli_catch_signals (&stop) != 0)
    fprintf (stderr, "zerojit search: cannot catch signals: Ctrl-C will not "
             "report the best so far\n");
  /* Under mpirun the ranks share each experiment's islands; every rank
     runs the same driver, rank 0 prints (doc/islands.md). */
  rc = 1;
  if (zj_comm_start (NULL, NULL, &comm, &err) != 0)
    goto out;
  if (comm.size > 1)
    zj_cli_signals_ranks ();
  if (zj_cli_given (cli, "resume")
      && resume_flags (cli, &comm, &cfg, &resume, &err) != 0)
    goto out;
  rc = 2;
  if (zj_cli_num (cli, "checkpoint_every_secs", &cfg.checkpoint_every))
    goto out;
  if (!(cfg.checkpoint_every > 0))
    {
      fprintf (stderr, "zerojit: --checkpoint_every_secs=%s: expected a positive number of seconds\n",
               zj_cli_get (cli, "checkpoint_every_secs"));
      goto out;
    }
  if ((cfg.checkpoint = zj_cli_get (cli, "checkpoint")))
    {
      rc = 1;
      if (zj_cli_ckpt_args (cli, &ck_args, &n_ck_args, &err) != 0)
        goto out;
      rc = 2;
      cfg.ckpt_args = ck_args;
      cfg.n_ckpt_args = n_ck_args;
      zj_cli_sigterm_checkpoints ();
    }
  if (island_flags (cli, &cfg))
    goto out;
  if (zj_cli_int (cli, "max_experiments", 0, INT64_MAX, &cfg.max_experiments)
      || zj_cli_int (cli, "random_seed", 0, INT64_MAX, &v))
    goto out;
  cfg.random_seed = (uint64_t) v;
  if (zj_cli_flag (cli, "randomize_task_seeds", &cfg.randomize_task_seeds)
      || zj_cli_flag (cli, "dedup", &cfg.dedup)
      || zj_cli_no_shortcuts (cli, &cfg.no_shortcuts)
      || zj_cli_num (cli, "sufficient_fitness", &cfg.sufficient_fitness)
      || address_flags (cli, &cfg))
    goto out;
  cfg.progress_log = zj_cli_get (cli, "progress_log");
  /* Experiments are independent and consumed in order, so running one per
     core changes only the time, never the output. */
  long cpus = sysconf (_SC_NPROCESSORS_ONLN);
  v = cpus > 0 ? (cpus < 64 ? cpus : 64) : 1;
  if (zj_cli_int (cli, "workers", 1, 64, &v))
    goto out;
  cfg.workers = (int) v;
  cfg.status_line = isatty (STDERR_FILENO);
  if (zj_cli_flag (cli, "status", &cfg.status_line) || tier_flags (cli, &cfg))
    goto out;
  rc = 1;
  if (!(spec = zj_cli_text (cli, "search_experiment_spec",
                            "search_experiment_spec_file", &src, &err))
      || zj_search_spec_parse (spec, src, &cfg.spec, &err) != 0)
    goto out;
  if (!(sel = zj_cli_text (cli, "select_tasks", "select_tasks_file", &src, &err))
      || zj_task_collection_parse (sel, src, &cfg.select_tasks, &err) != 0)
    goto out;
  if (!(fin = zj_cli_text (cli, "final_tasks", "final_tasks_file", &src, &err))
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
          cfg.status_line = false;
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
  fflush (stdout);
  const int why = zj_stop_reason (&stop);
  /* SIGTERM under --checkpoint ends with a checkpoint and err saying so
     (exit status 1): the run is to be resumed, not its answer used. */
  if (why > 0 && !(cfg.checkpoint && why == SIGTERM))
    {
      if (rc)
        fprintf (stderr, "zerojit search: %s\n", err.msg);
      rc = 128 + why;
    }
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
  zj_comm_end (&comm);
  zj_ckpt_free (&resume);
  zj_experiment_cfg_free (&cfg);
  return rc;
}

const zj_command zj_cmd_search = {
  "search", "--search_experiment_spec_file=FILE --select_tasks_file=FILE --final_tasks_file=FILE [FLAGS]",
  "run an evolution search (the original's flags)",
  "Runs regularized evolution on the search tasks, experiment after "
  "experiment; evaluates each experiment's best candidate on the select "
  "tasks and the best of those on the final tasks.  It prints the "
  "original's lines (Random seed, progress lines 'indivs=N, "
  "elapsed_secs=S, mean=M, stdev=D, best fit=B,', search, select and "
  "final fitness, 'Algorithm found:') as they happen, in experiment "
  "order, then the algorithm pruned and a Summary line.  Every text flag "
  "has a _file form; a flag and its _file form conflict.\n\n"
  "Ctrl-C (SIGINT) or SIGTERM stops at the next evaluation and prints the "
  "best algorithm so far, marked as interrupted, with its select fitness; "
  "the exit status is then 130 (143 for SIGTERM).  A second Ctrl-C exits "
  "at once.  With --checkpoint, SIGTERM instead stops every population at "
  "its next generation, writes a last checkpoint and exits with status 1; "
  "--resume continues it.  Under mpirun with several ranks, a signal to "
  "any rank stops every rank at their next exchange (a migration, or the "
  "end of an experiment) and rank 0 prints the best so far of all "
  "islands.",
  ZJ_CLI_FLAGS (flags), 0, run,
};
