/* cmd_jit.c -- the JIT subcommands of the zerojit command.
 *
 *   zerojit show  --program FILE --emit=c|asm [--features F] [--memory S,V,M]
 *                 [--eval_type RMS_ERROR|ACCURACY] [--opt N] [--no-prune]
 *                 [--isa auto|avx512|avx2|avx|sse2]
 *   zerojit bench --program FILE --tasks TEXT|--tasks-file FILE
 *                 [--memory S,V,M] [--reps N] [--opt N] [--isa ...]
 *
 * show prints what an algorithm becomes (libgccjit's C-like reproducer or
 * the assembly); bench runs the same evaluations in both tiers, checks that
 * they agree bit for bit, and prints compile time, ns per example, speedup
 * and the break-even number of examples.
 */
#include "config.h"
#include "internal.h"
#include <zerojit/spec.h>
#include <zerojit/jit.h>
#include "cli.h"
#include <string.h>
#include <time.h>

static double
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec * 1e3 + 1e-6 * (double) ts.tv_nsec;
}

/* --isa: one of the names the JIT knows, checked here so a typo is an
   error rather than a silent fallback to plain x86-64. */
static int
parse_isa (const char *v, zj_jit_opts *o)
{
  static const char *const names[] = { "auto", "avx512", "avx2", "avx", "sse2" };
  if (!v)
    return 0;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (!strcmp (v, names[i]))
      {
        o->isa = names[i];
        return 0;
      }
  fprintf (stderr, "zerojit: --isa=%s: expected auto, avx512, avx2, avx or sse2\n", v);
  return -1;
}

static int
parse_opt_level (const char *v, zj_jit_opts *o)
{
  int64_t x;
  if (v)
    {
      if (zj_cli_int64 ("opt", v, 0, 3, &x) != 0)
        return -1;
      o->opt_level = (int) x;
    }
  return 0;
}

static const zj_flag_def show_flags[] = {
  { "program", "FILE", NULL, "The program (printed form)." },
  { "emit", "c|asm", NULL, "What to print: libgccjit's C-like reproducer or the assembly." },
  { "features", "F", "4", "features_size to specialise on: 2, 4, 8, 16 or 32." },
  { "memory", "S,V,M", "20,20,20", "Scalar, vector and matrix address counts." },
  { "eval_type", "RMS_ERROR|ACCURACY", "RMS_ERROR", "The task's evaluation (how predictions are scored)." },
  { "opt", "N", "1", "libgccjit optimisation level (0..3)." },
  { "no-prune", NULL, NULL, "Lower every instruction, also those that cannot affect the prediction." },
  { "isa", "auto|avx512|avx2|avx|sse2", "auto", "Instruction set of the generated code." },
};

static int
run_show (zj_cli *cli)
{
  const char *path = zj_cli_get (cli, "program");
  const char *emit = zj_cli_get (cli, "emit");
  if (!path || !emit)
    {
      fprintf (stderr, "zerojit show: needs --program FILE and --emit=c|asm\n");
      return 2;
    }
  if (strcmp (emit, "c") && strcmp (emit, "asm"))
    {
      fprintf (stderr, "zerojit show: --emit=%s: expected c or asm\n", emit);
      return 2;
    }
  zj_shape shape = { 4, 20, 20, 20 };
  int64_t F = 4;
  const char *v;
  if (zj_cli_int (cli, "features", 2, 32, &F) != 0)
    return 2;
  if (!zj_features_size_ok ((int) F))
    {
      fprintf (stderr, "zerojit show: --features=%s: use 2, 4, 8, 16 or 32\n",
               zj_cli_get (cli, "features"));
      return 2;
    }
  shape.F = (int) F;
  if (zj_cli_memory (cli, &shape.ns, &shape.nv, &shape.nm) != 0)
    return 2;
  zj_eval_type et = ZJ_RMS_ERROR;
  if ((v = zj_cli_get (cli, "eval_type")))
    {
      if (!strcmp (v, "RMS_ERROR"))
        et = ZJ_RMS_ERROR;
      else if (!strcmp (v, "ACCURACY"))
        et = ZJ_ACCURACY;
      else
        {
          fprintf (stderr, "zerojit show: --eval_type=%s: expected RMS_ERROR or ACCURACY\n", v);
          return 2;
        }
    }
  zj_jit_opts jo;
  zj_jit_opts_default (&jo);
  if (parse_opt_level (zj_cli_get (cli, "opt"), &jo) != 0)
    return 2;
  if (parse_isa (zj_cli_get (cli, "isa"), &jo) != 0)
    return 2;
  bool no_prune = false;
  if (zj_cli_flag (cli, "no-prune", &no_prune))
    return 2;
  zj_error err;
  zj_program p;
  zj_program_init (&p);
  if (zj_program_load (path, &p, &err) != 0)
    {
      fprintf (stderr, "zerojit show: %s\n", err.msg);
      return 1;
    }
  int rc = 1;
  zj_prepared *pp = zj_prepare (&p, &shape, !no_prune, &err);
  if (!pp)
    {
      zj_cli_locate (path, &err);
      fprintf (stderr, "zerojit show: %s\n", err.msg);
    }
  else if (zj_jit_dump (pp, et, emit, &jo, stdout, &err) != 0)
    fprintf (stderr, "zerojit show: %s\n", err.msg);
  else
    rc = 0;
  zj_prepared_free (pp);
  zj_program_free (&p);
  return rc;
}

typedef struct bench_tier {
  double ns_per_example;
  double *fit;
  long examples;
} bench_tier;

static int
cmp_d (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* Median over reps of the time to evaluate every task; fitnesses of the
   last repetition.  Each repetition restarts the generator, so both tiers
   see the same random draws. */
static void
time_tier (const zj_prepared *pp, const zj_jit_entry *entry, zj_task *tasks,
           int n, const zj_shape *shape, int reps, bench_tier *out)
{
  zj_workspace *ws = zj_workspace_new (shape);
  double *t = zj_xcalloc ((size_t) reps, sizeof (double));
  out->examples = 0;
  for (int r = 0; r < reps; r++)
    {
      zj_rng rng;
      zj_rng_seed (&rng, 1);
      long ex = 0;
      const double t0 = now_ms ();
      for (int i = 0; i < n; i++)
        {
          zj_eval_result res = { 0 };
          out->fit[i] = entry
            ? zj_jit_eval_task (entry, pp, &tasks[i], NULL, &rng, ws, &res)
            : zj_interp_eval_task (pp, &tasks[i], NULL, &rng, ws, &res);
          ex += res.train_steps + tasks[i].n_valid;
        }
      t[r] = now_ms () - t0;
      out->examples = ex;
    }
  qsort (t, (size_t) reps, sizeof *t, cmp_d);
  out->ns_per_example = out->examples ? t[reps / 2] * 1e6 / (double) out->examples : 0;
  free (t);
  zj_workspace_free (ws);
}

static const zj_flag_def bench_flags[] = {
  { "program", "FILE", NULL, "The program (printed form)." },
  { "tasks", "TEXT", NULL, "The task collection, in protobuf text format (TaskCollection).", "tasks_file" },
  { "tasks_file", "FILE", NULL, "Read the task collection from FILE.", "tasks", "tasks-file" },
  { "memory", "S,V,M", "20,20,20", "Scalar, vector and matrix address counts." },
  { "reps", "N", "5", "Repetitions per tier; the median time counts (1..1000)." },
  { "opt", "N", "1", "libgccjit optimisation level (0..3)." },
  { "isa", "auto|avx512|avx2|avx|sse2", "auto", "Instruction set of the generated code." },
};

static int
run_bench (zj_cli *cli)
{
  const char *path = zj_cli_get (cli, "program");
  if (!path)
    {
      fprintf (stderr, "zerojit bench: missing --program FILE\n");
      return 2;
    }
  int ns = 20, nv = 20, nm = 20;
  if (zj_cli_memory (cli, &ns, &nv, &nm))
    return 2;
  int64_t reps = 5;
  if (zj_cli_int (cli, "reps", 1, 1000, &reps))
    return 2;
  zj_jit_opts jo;
  zj_jit_opts_default (&jo);
  if (parse_opt_level (zj_cli_get (cli, "opt"), &jo) != 0)
    return 2;
  if (parse_isa (zj_cli_get (cli, "isa"), &jo) != 0)
    return 2;
  zj_error err = { "" };
  const char *tfile = zj_cli_get (cli, "tasks_file");
  const char *src = "--tasks";
  char *text = zj_cli_text (cli, "tasks", "tasks_file", &src, &err);
  if (!text)
    {
      fprintf (stderr, "zerojit bench: %s\n", err.msg);
      return tfile ? 1 : 2;
    }
  zj_program p;
  zj_program_init (&p);
  zj_task_collection coll = { 0 };
  zj_task *tasks = NULL;
  int n = 0, rc = 1;
  zj_prepared *pp = NULL;
  zj_jit *jit = NULL;
  zj_jit_entry *entry = NULL;
  bench_tier it = { 0 }, nt = { 0 };
  if (zj_program_load (path, &p, &err) != 0
      || zj_task_collection_parse (text, src, &coll, &err) != 0
      || zj_tasks_generate (&coll, &tasks, &n, &err) != 0)
    goto out;
  if (n == 0)
    {
      zj_error_set (&err, "the task collection is empty");
      goto out;
    }
  for (int i = 1; i < n; i++)
    if (tasks[i].F != tasks[0].F || tasks[i].eval_type != tasks[0].eval_type)
      {
        zj_error_set (&err, "all tasks must share features_size and eval_type");
        goto out;
      }
  zj_shape shape = { tasks[0].F, ns, nv, nm };
  if (!(pp = zj_prepare (&p, &shape, true, &err)))
    {
      zj_cli_locate (path, &err);
      goto out;
    }
  if (!(jit = zj_jit_new (&jo, &err)))
    goto out;
  const double c0 = now_ms ();
  entry = zj_jit_get (jit, pp, tasks[0].eval_type, &err);
  const double compile_ms = now_ms () - c0;
  if (!entry)
    goto out;
  it.fit = zj_xcalloc ((size_t) n, sizeof (double));
  nt.fit = zj_xcalloc ((size_t) n, sizeof (double));
  time_tier (pp, NULL, tasks, n, &shape, (int) reps, &it);
  time_tier (pp, entry, tasks, n, &shape, (int) reps, &nt);
  bool same = memcmp (it.fit, nt.fit, sizeof (double) * (size_t) n) == 0;
  const double saved = it.ns_per_example - nt.ns_per_example;
  printf ("program: %s (%zu live instructions), F=%d, %d tasks, %ld examples per run\n",
          path, zj_program_size (zj_prepared_program (pp)), shape.F, n, it.examples);
  printf ("compile: %.1f ms (-O%d)\n", compile_ms, jo.opt_level);
  printf ("interpreter: %.2f ns/example\n", it.ns_per_example);
  printf ("jit:         %.2f ns/example\n", nt.ns_per_example);
  printf ("speedup: %.2fx\n", nt.ns_per_example > 0 ? it.ns_per_example / nt.ns_per_example : 0.0);
  if (saved > 0)
    printf ("break-even: %.0f examples\n", compile_ms * 1e6 / saved);
  else
    printf ("break-even: never (the JIT is not faster here)\n");
  printf ("fitness: %.6f (tiers identical: %s)\n",
          zj_combine_fitness (it.fit, n, ZJ_COMBINE_MEAN), same ? "yes" : "NO");
  rc = same ? 0 : 1;
  if (!same)
    zj_error_set (&err, "interpreter and JIT disagree: please report this program");
out:
  if (rc)
    fprintf (stderr, "zerojit bench: %s\n", err.msg);
  free (it.fit);
  free (nt.fit);
  if (entry)
    zj_jit_release (jit, entry);
  zj_jit_free (jit);
  zj_prepared_free (pp);
  zj_tasks_free (tasks, n);
  zj_task_collection_free (&coll);
  zj_program_free (&p);
  free (text);
  return rc;
}

const zj_command zj_cmd_show = {
  "show", "--program FILE --emit=c|asm [FLAGS]", "print the native code generated for a program",
  "Lowers a program through the JIT tier, specialised on a features size, "
  "and prints what it becomes: libgccjit's C-like reproducer (--emit=c) "
  "or the assembly (--emit=asm).",
  ZJ_CLI_FLAGS (show_flags), 0, run_show,
};

const zj_command zj_cmd_bench = {
  "bench", "--program FILE (--tasks TEXT | --tasks_file FILE) [FLAGS]",
  "time a program in the interpreter and as native code",
  "Runs the same evaluations in the interpreter and as native code, checks "
  "that the fitness is identical bit for bit, and prints the compile time, "
  "ns per example in each tier, the speedup and the break-even number of "
  "examples.  Pick tasks on which the program trains (e.g. "
  "scalar_linear_regression_task for a linear program): on tasks where it "
  "diverges every example aborts early and the figures mean little.",
  ZJ_CLI_FLAGS (bench_flags), 0, run_bench,
};
