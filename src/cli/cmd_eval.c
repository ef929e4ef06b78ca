/* cmd_eval.c -- `zerojit eval`: the fitness of one program (text form) on
 * a task collection, task by task, with the interpreter.
 */
#include "config.h"
#include "internal.h"
#include <zerojit/spec.h>
#include "cli.h"
#include <string.h>

static const zj_flag_def flags[] = {
  { "program", "FILE", NULL, "The program, in the printed form (see 'zerojit print')." },
  { "tasks", "TEXT", NULL, "The task collection, in protobuf text format (TaskCollection).", "tasks_file" },
  { "tasks_file", "FILE", NULL, "Read the task collection from FILE.", "tasks", "tasks-file" },
  { "memory", "S,V,M", "20,20,20", "Scalar, vector and matrix address counts the program may use." },
  { "seed", "N", "1", "Seed of the random ops and of the example order." },
  { "no-prune", NULL, NULL, "Run every instruction, also those that cannot affect the prediction." },
  { "max_abs_error", "X", "100", "A prediction further than X from the label aborts the task (fitness 0)." },
  { "shortcuts", NULL, "true", "Skip training steps that provably change nothing observable, where tasks run together in lanes (doc/shortcuts.md).  The figures do not depend on it." },
  { "jit", "off|baseline|fused|optimized|auto", "auto", "Run the program as native code: never, the baseline tier (stencils, all tasks in lanes), fused step kernels (Predict and Learn each one libgccjit loop over the lanes, compiled before the first step; a structure with an op that has no fused form is interpreted, with a note), the optimized tier (libgccjit), or whichever the tiering policy expects to be faster for these examples.  Every tier prints the same figures; a line on stderr says which ran." },
  { "opt", "N[,-fNAME...]", "1", "The optimized tier's libgccjit level 0..3 and GCC -f options, as in bench and show (when it runs: --jit=optimized, or auto on enough examples)." },
};

static int
run (zj_cli *cli)
{
  zj_error err = { "" };
  const char *prog_path = zj_cli_get (cli, "program");
  if (!prog_path)
    {
      fprintf (stderr, "zerojit eval: missing --program FILE\n");
      return 2;
    }
  int ns = 20, nv = 20, nm = 20;
  int64_t seed = 1;
  double max_err = 100.0;
  if (zj_cli_memory (cli, &ns, &nv, &nm) || zj_cli_int (cli, "seed", 0, INT64_MAX, &seed)
      || zj_cli_num (cli, "max_abs_error", &max_err))
    return 2;
  const char *jit = zj_cli_get (cli, "jit");
  if (strcmp (jit, "off") && strcmp (jit, "baseline") && strcmp (jit, "optimized")
      && strcmp (jit, "fused") && strcmp (jit, "auto"))
    {
      fprintf (stderr, "zerojit eval: --jit=%s: expected off, baseline, fused, optimized or auto\n", jit);
      return 2;
    }
#if HAVE_JIT
  zj_jit_opts jo;
  zj_jit_opts_default (&jo);
  if (zj_cli_jit_opt ("zerojit eval", zj_cli_get (cli, "opt"), &jo) != 0)
    return 2;
#else
  if (strcmp (jit, "off") && zj_cli_given (cli, "jit"))
    fprintf (stderr, "zerojit eval: built without the JIT (--without-jit): --jit=%s runs as --jit=off\n", jit);
  jit = "off";
#endif
  const char *source = "--tasks";
  char *text = zj_cli_text (cli, "tasks", "tasks_file", &source, &err);
  if (!text)
    {
      fprintf (stderr, "zerojit eval: %s\n", err.msg);
      return zj_cli_given (cli, "tasks_file") ? 1 : 2;
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
  bool no_prune = false;
  if (zj_cli_flag (cli, "no-prune", &no_prune))
    {
      rc = 2;
      goto out;
    }
  const bool prune = !no_prune;
  bool no_shortcuts = false;
  if (zj_cli_no_shortcuts (cli, &no_shortcuts))
    {
      rc = 2;
      goto out;
    }
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
      o.no_shortcuts = no_shortcuts;
      const zj_shape shape = { tasks[0].F, ns, nv, nm };
      const char *ran;
      zj_error terr = { "" };
      const int t = zj_eval_tiered (jit, &jo, &p, tasks, n, &shape, prune, &o,
                                    &rng, fit, res, &ran, &terr);
      if (t < 0)
        {
          free (res);
          free (fit);
          err = terr;
          zj_cli_locate (prog_path, &err);
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
          zj_cli_locate (prog_path, &err);
          goto out;
        }
      zj_workspace *ws = zj_workspace_new (&shape);
      zj_eval_opts o;
      zj_eval_opts_default (&o);
      o.max_abs_error = max_err;
      o.no_shortcuts = no_shortcuts;
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

const zj_command zj_cmd_eval = {
  "eval", "--program FILE (--tasks TEXT | --tasks_file FILE) [FLAGS]",
  "evaluate a program on a task collection",
  "Evaluates a program on every task of a task collection with the "
  "interpreter (the reference semantics), or a native tier with --jit, and "
  "prints each task's fitness "
  "and the mean.  The program runs Setup once, then Learn over the "
  "training examples and Predict over the validation examples, as in a "
  "search.",
  ZJ_CLI_FLAGS (flags), 0, run,
};
