/* cmd_jit.c -- the JIT subcommands of the zerojit command.
 *
 *   zerojit show  --program FILE --emit=c|asm [--features F] [--memory S,V,M]
 *                 [--eval_type RMS_ERROR|ACCURACY] [--opt N] [--no-prune]
 *                 [--isa auto|avx512|avx512z|avx2|avx|sse2]
 *                 [--tier optimized|baseline|fused] [--tasks N]
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
#include "jit/baseline.h"
#include "jit/fused.h"
#include "jit/ptask.h"
#include "cost.h"
#include "policy.h"
#include "cli.h"
#include <string.h>

/* This thread's CPU time: evaluations are timed with it, so that other
   jobs on a shared machine do not count (compiles, which run as and ld
   in child processes, keep wall time: zj_now_ms). */
static double
cpu_ms (void)
{
  return zj_thread_ns () * 1e-6;
}

/* --isa: one of the names the JIT knows, checked here so a typo is an
   error rather than a silent fallback to plain x86-64. */
static int
parse_isa (const char *v, zj_jit_opts *o)
{
  static const char *const names[] = { "auto", "avx512", "avx512z", "avx2", "avx", "sse2" };
  if (!v)
    return 0;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (!strcmp (v, names[i]))
      {
        o->isa = names[i];
        return 0;
      }
  fprintf (stderr, "zerojit: --isa=%s: expected auto, avx512, avx512z, avx2, avx or sse2\n", v);
  return -1;
}

int
zj_cli_jit_opt (const char *who, const char *v, zj_jit_opts *o)
{
  zj_error err;
  if (v && zj_jit_parse_opt (v, o, &err) != 0)
    {
      fprintf (stderr, "%s: --opt=%s: %s\n", who, v, err.msg);
      return -1;
    }
  return 0;
}

/* show's and bench's JIT options: the defaults with paired tasks, then
   --opt and --isa; -1 (message printed) when one is bad. */
static int
jit_opts_from_cli (const zj_cli *cli, zj_jit_opts *jo)
{
  zj_jit_opts_default (jo);
  jo->pairs = 1;
  if (zj_cli_jit_opt ("zerojit", zj_cli_get (cli, "opt"), jo) != 0)
    return -1;
  return parse_isa (zj_cli_get (cli, "isa"), jo);
}

static const zj_flag_def show_flags[] = {
  { "program", "FILE", NULL, "The program (printed form)." },
  { "emit", "c|asm", NULL, "What to print: libgccjit's C-like reproducer or the assembly." },
  { "features", "F", "4", "features_size to specialise on: 2, 4, 8, 16 or 32." },
  { "memory", "S,V,M", "20,20,20", "Scalar, vector and matrix address counts." },
  { "eval_type", "RMS_ERROR|ACCURACY", "RMS_ERROR", "The task's evaluation (how predictions are scored)." },
  { "opt", "N[,-fNAME...]", "1", "libgccjit optimisation level 0..3 (1 adds " ZJ_JIT_LEVEL1_FLAGS "), optionally followed by GCC -f options, e.g. 1,-fschedule-insns or 1,-fno-schedule-insns2." },
  { "no-prune", NULL, NULL, "Lower every instruction, also those that cannot affect the prediction." },
  { "isa", "auto|avx512|avx512z|avx2|avx|sse2", "auto", "Instruction set of the generated code (avx512z: 512-bit vectors in the optimized tier)." },
  { "tier", "optimized|baseline|fused", "optimized", "Which native tier: the optimizing libgccjit compile (the whole evaluation), the baseline tier's stencils, or the fused step kernels (Predict and Learn each one libgccjit loop over the lanes; each instruction with the machine code the debug line table gives it).  baseline and fused use the build's lane width; --opt, --isa and --eval_type apply to optimized only." },
  { "tasks", "N", "10", "baseline and fused: the number of tasks run side by side in lanes (1..64; the paper runs 10), which sets the lane count the code loops over." },
};

static int
run_show (zj_cli *cli)
{
  const char *tier = zj_cli_get (cli, "tier");
  if (strcmp (tier, "optimized") && strcmp (tier, "baseline") && strcmp (tier, "fused"))
    {
      fprintf (stderr, "zerojit show: --tier=%s: expected optimized, baseline or fused\n", tier);
      return 2;
    }
  int64_t ntasks = 10;
  if (zj_cli_int (cli, "tasks", 1, 64, &ntasks) != 0)
    return 2;
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
  if (jit_opts_from_cli (cli, &jo) != 0)
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
  else if (!strcmp (tier, "baseline"))
    {
      zj_baseline *b = zj_baseline_new (false);
      if (zj_baseline_listing (b, zj_prepared_program (pp), &shape, (int) ntasks,
                               !strcmp (emit, "asm"), stdout) != 0)
        fprintf (stderr, "zerojit show: %s\n", zj_baseline_error (b));
      else
        rc = 0;
      zj_baseline_free (b);
    }
  else if (!strcmp (tier, "fused"))
    {
      zj_fused_geom g;
      zj_baseline_fused_geom (zj_prepared_program (pp), &shape, (int) ntasks, &g);
      if (zj_fused_listing (zj_prepared_program (pp), &g, !strcmp (emit, "asm"),
                            stdout, &err) != 0)
        fprintf (stderr, "zerojit show: %s\n", err.msg);
      else
        rc = 0;
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

/* Median over reps of the time to evaluate every task; fitnesses of the
   last repetition.  Each repetition restarts the generator, so both tiers
   see the same random draws. */
static void
time_tier (const zj_prepared *pp, const zj_jit_entry *entry, zj_task *tasks,
           int n, const zj_shape *shape, int reps, bench_tier *out)
{
  zj_workspace *ws = zj_workspace_new (shape), *ws2 = zj_workspace_new (shape);
  double *t = zj_xcalloc ((size_t) reps, sizeof (double));
  out->examples = 0;
  for (int r = 0; r < reps; r++)
    {
      zj_rng rng;
      zj_rng_seed (&rng, 1);
      long ex = 0;
      const double t0 = cpu_ms ();
      for (int i = 0; i < n; i++)
        {
          zj_eval_result res = { 0 }, res2 = { 0 };
          if (entry && i + 1 < n)
            {
              /* Two tasks at a time (zj_jit_eval_pair). */
              zj_jit_eval_pair (entry, pp, &tasks[i], &tasks[i + 1], NULL, &rng,
                                ws2, ws, &res, &res2, &out->fit[i]);
              ex += res.train_steps + tasks[i].n_valid
                    + res2.train_steps + tasks[i + 1].n_valid;
              i++;
              continue;
            }
          out->fit[i] = entry
            ? zj_jit_eval_task (entry, pp, &tasks[i], NULL, &rng, ws, &res)
            : zj_interp_eval_task (pp, &tasks[i], NULL, &rng, ws, &res);
          ex += res.train_steps + tasks[i].n_valid;
        }
      t[r] = cpu_ms () - t0;
      out->examples = ex;
    }
  zj_sort_doubles (t, (size_t) reps);
  out->ns_per_example = out->examples ? t[reps / 2] * 1e6 / (double) out->examples : 0;
  free (t);
  zj_workspace_free (ws);
  zj_workspace_free (ws2);
}

/* Per-task stencils (jit/ptask.h) on the tasks in groups, as the search
   runs them (src/search/evaluator_run.c, group_size: equal groups of at most
   ZJ_PTASK_GROUP_MAX, 10 tasks as 5 and 5): a fresh context per
   repetition, so each pays its time to ready (median into ready_us, the
   library's load not counted).  -1 with err when p has an op without a
   per-task stencil or the library cannot be had. */
static int
time_ptask (const zj_prepared *pp, zj_task *tasks, int n,
            const zj_shape *shape, int reps, bench_tier *out,
            double *ready_us, zj_error *err)
{
  zj_ptask *pt = zj_ptask_new ();
  zj_workspace *ws[ZJ_PTASK_GROUP_MAX];
  for (int j = 0; j < ZJ_PTASK_GROUP_MAX; j++)
    ws[j] = zj_workspace_new (shape);
  double *t = zj_xcalloc ((size_t) reps, sizeof (double));
  double *ready = zj_xcalloc ((size_t) reps, sizeof (double));
  int rc = 0;
  zj_lnative nat;
  if (!zj_ptask_get (pt, zj_prepared_program (pp), &ws[0]->lay, &nat))
    {
      zj_error_set (err, "%s", zj_ptask_error (pt)[0] ? zj_ptask_error (pt)
                    : "an op has no per-task stencil");
      rc = -1;
    }
  const int groups = (n + ZJ_PTASK_GROUP_MAX - 1) / ZJ_PTASK_GROUP_MAX;
  const int G = (n + groups - 1) / groups;
  for (int r = 0; r < reps && rc == 0; r++)
    {
      zj_ptask *fresh = zj_ptask_new ();
      zj_ptask_ready (fresh, shape->F);      /* the library: not counted */
      const double r0 = zj_now_ms ();
      zj_ptask_get (fresh, zj_prepared_program (pp), &ws[0]->lay, &nat);
      ready[r] = (zj_now_ms () - r0) * 1e3;
      zj_rng rng;
      zj_rng_seed (&rng, 1);
      long ex = 0;
      const double t0 = cpu_ms ();
      for (int i = 0; i < n; i += G)
        {
          const int m = n - i < G ? n - i : G;
          const zj_task *tp[ZJ_PTASK_GROUP_MAX];
          zj_eval_result res[ZJ_PTASK_GROUP_MAX], *rp[ZJ_PTASK_GROUP_MAX];
          for (int j = 0; j < m; j++)
            {
              tp[j] = &tasks[i + j];
              res[j] = (zj_eval_result) { 0 };
              rp[j] = &res[j];
            }
          zj_ptask_eval_group (pp, &nat, tp, m, NULL, &rng, ws, rp, &out->fit[i]);
          for (int j = 0; j < m; j++)
            ex += res[j].train_steps + tasks[i + j].n_valid;
        }
      t[r] = cpu_ms () - t0;
      out->examples = ex;
      zj_ptask_free (fresh);
    }
  if (rc == 0)
    {
      zj_sort_doubles (t, (size_t) reps);
      zj_sort_doubles (ready, (size_t) reps);
      out->ns_per_example = out->examples ? t[reps / 2] * 1e6 / (double) out->examples : 0;
      *ready_us = ready[reps / 2];
    }
  free (t);
  free (ready);
  for (int j = 0; j < ZJ_PTASK_GROUP_MAX; j++)
    zj_workspace_free (ws[j]);
  zj_ptask_free (pt);
  return rc;
}

/* The baseline tier on the tasks: all in lanes with native step kernels
   (a fresh context per repetition, so each pays its time to ready).  -1
   when the tasks cannot share lanes (random ops, unequal shapes). */
static int
time_baseline (const zj_prepared *pp, zj_task *tasks, int n,
               const zj_shape *shape, int reps, bool native, bool fused,
               bench_tier *out, double *ready_us, double *lib_ms,
               zj_error *err)
{
  /* Fused kernels: one context for every repetition, its kernel compiled
     before the first (time to ready: the compile). */
  zj_baseline *bf = NULL;
  if (fused)
    {
      bf = zj_baseline_new (false);
      zj_baseline_set_fuse (bf, 1, false, 0.0, NULL, NULL);
      zj_baseline_prepare (bf, zj_prepared_program (pp), shape, n);
      zj_baseline_stats st;
      zj_baseline_stats_get (bf, &st);
      if (st.fused != 1)
        {
          zj_error_set (err, "%s", st.fuse_ineligible
                        ? "a Predict or Learn op has no fused form"
                        : zj_baseline_error (bf));
          zj_baseline_free (bf);
          return -1;
        }
      *ready_us = st.fuse_ms * 1e3;
      *lib_ms = st.lib_ms;
    }
  zj_workspace *ws = zj_workspace_new (shape);
  const zj_task **ptrs = zj_xcalloc ((size_t) n, sizeof *ptrs);
  zj_eval_result *res = zj_xcalloc ((size_t) n, sizeof *res);
  double *t = zj_xcalloc ((size_t) reps, sizeof (double));
  double *ready = zj_xcalloc ((size_t) reps, sizeof (double));
  for (int i = 0; i < n; i++)
    ptrs[i] = &tasks[i];
  int rc = 0;
  if (!fused)
    *lib_ms = 0.0;
  for (int r = 0; r < reps && rc == 0; r++)
    {
      if (bf)
        {
          zj_baseline_attach (bf, ws);
          zj_rng rng;
          zj_rng_seed (&rng, 1);
          const double t0 = cpu_ms ();
          if (zj_interp_eval_lanes (pp, ptrs, n, NULL, &rng, 0, ws, res, out->fit) != 0
              || !ws->native_used)
            {
              zj_error_set (err, "no fused code ran");
              rc = -1;
            }
          t[r] = cpu_ms () - t0;
          ready[r] = *ready_us;
          long ex = 0;
          for (int i = 0; i < n; i++)
            ex += res[i].train_steps + tasks[i].n_valid;
          out->examples = ex;
          continue;
        }
      zj_baseline *b = zj_baseline_new (false);
      /* Load the stencil library first: a one-time cost, not the
         candidate's. */
      zj_baseline_prepare (b, zj_prepared_program (pp), shape, n);
      zj_baseline_stats st;
      zj_baseline_stats_get (b, &st);
      *lib_ms += st.lib_ms / reps;
      if (st.failures)
        {
          zj_error_set (err, "%s", zj_baseline_error (b));
          rc = -1;
        }
      zj_baseline_free (b);
      b = zj_baseline_new (false);
      zj_baseline_attach (native ? b : NULL, ws);
      zj_baseline_stats s0;
      zj_baseline_stats_get (b, &s0);
      const double t0 = cpu_ms ();
      /* The generator as time_tier's: restarted, tasks in order. */
      zj_rng rng;
      zj_rng_seed (&rng, 1);
      if (rc == 0 && zj_interp_eval_lanes (pp, ptrs, n, NULL, &rng, 0, ws, res, out->fit) != 0)
        {
          zj_error_set (err, "the tasks cannot share lanes (random ops in Predict or Learn, or unequal sizes)");
          rc = -1;
        }
      t[r] = cpu_ms () - t0;
      zj_baseline_stats_get (b, &st);
      ready[r] = (st.ready_ns - s0.ready_ns) * 1e-3;
      /* This context loads the library again (disk, mapping, ELF): a
         once-per-process cost the first line excludes, not per example. */
      t[r] -= st.lib_ms - s0.lib_ms;
      if (rc == 0 && native && !ws->native_used)
        {
          zj_error_set (err, "no baseline code ran: %s", zj_baseline_error (b));
          rc = -1;
        }
      zj_baseline_free (b);
      long ex = 0;
      for (int i = 0; i < n; i++)
        ex += res[i].train_steps + tasks[i].n_valid;   /* as time_tier */
      out->examples = ex;
    }
  zj_sort_doubles (t, (size_t) reps);
  zj_sort_doubles (ready, (size_t) reps);
  out->ns_per_example = out->examples ? t[reps / 2] * 1e6 / (double) out->examples : 0;
  *ready_us = ready[reps / 2];
  free (t);
  free (ready);
  free (res);
  free (ptrs);
  zj_workspace_free (ws);
  zj_baseline_free (bf);
  return rc;
}

/* One row of bench's table. */
static void
print_tier (const char *tier, const char *ready, double ns_per_example,
            double speedup, const char *break_even)
{
  printf ("%-12s %14s %14.2f %8.2fx %22s\n", tier, ready, ns_per_example,
          speedup, break_even);
}

/* The row of a tier that takes ready_ns to make ready and runs at ns per
   example: speedup over the interpreter's interp_ns, break-even against
   base_ns (the examples after which making it ready has paid off). */
static void
print_compiled_tier (const char *tier, const char *ready, double ready_ns,
                     double ns, double interp_ns, double base_ns)
{
  char be[48];
  const double saved = base_ns - ns;
  if (saved > 0)
    snprintf (be, sizeof be, "%.0f", ready_ns / saved);
  else
    snprintf (be, sizeof be, "never");
  print_tier (tier, ready, ns, ns > 0 ? interp_ns / ns : 0.0, be);
}

static const zj_flag_def bench_flags[] = {
  { "program", "FILE", NULL, "The program (printed form)." },
  { "tasks", "TEXT", NULL, "The task collection, in protobuf text format (TaskCollection).", "tasks_file" },
  { "tasks_file", "FILE", NULL, "Read the task collection from FILE.", "tasks", "tasks-file" },
  { "memory", "S,V,M", "20,20,20", "Scalar, vector and matrix address counts." },
  { "reps", "N", "5", "Repetitions per tier; the median time counts (1..1000)." },
  { "opt", "N[,-fNAME...]", "1", "libgccjit optimisation level 0..3 (1 adds " ZJ_JIT_LEVEL1_FLAGS "), optionally followed by GCC -f options, e.g. 1,-fschedule-insns or 1,-fno-schedule-insns2." },
  { "isa", "auto|avx512|avx512z|avx2|avx|sse2", "auto", "Instruction set of the generated code (avx512z: 512-bit vectors in the optimized tier)." },
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
  if (jit_opts_from_cli (cli, &jo) != 0)
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
  bench_tier it = { 0 }, nt = { 0 }, bt = { 0 };
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
  const double c0 = zj_now_ms ();
  entry = zj_jit_get (jit, pp, tasks[0].eval_type, &err);
  const double compile_ms = zj_now_ms () - c0;
  if (!entry)
    goto out;
  it.fit = zj_xcalloc ((size_t) n, sizeof (double));
  nt.fit = zj_xcalloc ((size_t) n, sizeof (double));
  bt.fit = zj_xcalloc ((size_t) n, sizeof (double));
  time_tier (pp, NULL, tasks, n, &shape, (int) reps, &it);
  time_tier (pp, entry, tasks, n, &shape, (int) reps, &nt);
  double ready_us = 0.0, lib_ms = 0.0, unused;
  zj_error berr = { "" };
  bench_tier lt = { 0 };
  lt.fit = zj_xcalloc ((size_t) n, sizeof (double));
  const bool lanes_ok = time_baseline (pp, tasks, n, &shape, (int) reps, false,
                                       false, &lt, &unused, &unused, &berr) == 0;
  const bool base_ok = time_baseline (pp, tasks, n, &shape, (int) reps, true,
                                      false, &bt, &ready_us, &lib_ms, &berr) == 0;
  bench_tier ft = { 0 };
  ft.fit = zj_xcalloc ((size_t) n, sizeof (double));
  double fready_us = 0.0;
  zj_error ferr = { "" };
  const bool fused_ok = base_ok
    && time_baseline (pp, tasks, n, &shape, (int) reps, true, true, &ft,
                      &fready_us, &unused, &ferr) == 0;
  bench_tier pt = { 0 };
  pt.fit = zj_xcalloc ((size_t) n, sizeof (double));
  double pready_us = 0.0;
  zj_error perr = { "" };
  const bool ptask_ok = time_ptask (pp, tasks, n, &shape, (int) reps, &pt,
                                    &pready_us, &perr) == 0;
  bool same = memcmp (it.fit, nt.fit, sizeof (double) * (size_t) n) == 0
              && (!ptask_ok || memcmp (it.fit, pt.fit, sizeof (double) * (size_t) n) == 0)
              && (!base_ok || memcmp (it.fit, bt.fit, sizeof (double) * (size_t) n) == 0)
              && (!fused_ok || memcmp (it.fit, ft.fit, sizeof (double) * (size_t) n) == 0);
  printf ("program: %s (%zu live instructions), F=%d, %d tasks, %ld examples per run\n",
          path, zj_program_size (zj_prepared_program (pp)), shape.F, n, it.examples);
  printf ("%-12s %14s %14s %9s %22s\n", "tier", "time to ready", "ns/example",
          "speedup", "break-even (examples)");
  const double ins = it.ns_per_example;
  print_tier ("interpreter", "0", ins, 1.0, "-");
  char ready[32];
  if (lanes_ok)
    print_tier ("lane interp", "0", lt.ns_per_example,
                lt.ns_per_example > 0 ? ins / lt.ns_per_example : 0.0, "-");
  free (lt.fit);
  if (base_ok)
    {
      snprintf (ready, sizeof ready, "%.1f us", ready_us);
      print_compiled_tier ("baseline", ready, ready_us * 1e3, bt.ns_per_example,
                           ins, ins);
    }
  else
    printf ("%-12s not applicable: %s\n", "baseline", berr.msg);
  if (fused_ok)
    {
      snprintf (ready, sizeof ready, "%.1f ms", fready_us * 1e-3);
      print_compiled_tier ("fused", ready, fready_us * 1e3, ft.ns_per_example,
                           ins, bt.ns_per_example);
    }
  else if (base_ok)
    printf ("%-12s not applicable: %s\n", "fused", ferr.msg);
  free (ft.fit);
  if (ptask_ok)
    {
      snprintf (ready, sizeof ready, "%.1f us", pready_us);
      print_compiled_tier ("ptask", ready, pready_us * 1e3, pt.ns_per_example,
                           ins, ins);
    }
  else
    printf ("%-12s not applicable: %s\n", "ptask", perr.msg);
  free (pt.fit);
  snprintf (ready, sizeof ready, "%.1f ms", compile_ms);
  print_compiled_tier ("optimized", ready, compile_ms * 1e6, nt.ns_per_example,
                       ins, ins);
  char gccopts[2 * ZJ_JIT_FLAGS_MAX + 8];
  snprintf (gccopts, sizeof gccopts, "-O%d%s%s%s%s", jo.opt_level,
            jo.opt_level == 1 ? "," : "", jo.opt_level == 1 ? ZJ_JIT_LEVEL1_FLAGS : "",
            jo.flags ? "," : "", jo.flags ? jo.flags : "");
  for (char *c = gccopts; (c = strchr (c, ',')); )
    *c = ' ';
  printf ("(optimized: %s whole-evaluation compile; baseline: all %d tasks in lanes, "
          "stencil library load %.1f ms once per F, not counted; fused: Predict "
          "and Learn each one loop over the lanes, break-even against baseline)\n",
          gccopts, n, lib_ms);
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
  free (bt.fit);
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
  "Lowers a program to native code, specialised on a features size, and "
  "prints what it becomes: with --tier=optimized libgccjit's C-like "
  "reproducer (--emit=c) or the assembly (--emit=asm); with "
  "--tier=baseline the stencils the baseline tier copies and patches (under "
  "ZEROJIT_PIN=1 followed by the pinned kernel's four chains: fill, "
  "Predict, Learn, spill, each fill, spill and instruction with its pinned "
  "stencil); with "
  "--tier=fused the fused Predict and Learn step kernels for --tasks lanes, "
  "each program instruction followed by the machine instructions GCC's "
  "debug line table attributes to it (--emit=asm; objdump -dl, or the "
  "assembly's line marks without objdump) or libgccjit's C-like "
  "reproducer with a comment before each instruction (--emit=c).  A "
  "structure with an op that has no fused form is an error naming it.",
  ZJ_CLI_FLAGS (show_flags), 0, run_show,
};

const zj_command zj_cmd_bench = {
  "bench", "--program FILE (--tasks TEXT | --tasks_file FILE) [FLAGS]",
  "compare interpreter, baseline and optimized tiers on a program",
  "Runs the same evaluations in the interpreter, the baseline tier and the "
  "optimized tier, checks that the fitness is identical bit for bit, and "
  "prints the time to native code, ns per example in each tier, the "
  "speedups and the break-even number of "
  "examples.  Pick tasks on which the program trains (e.g. "
  "scalar_linear_regression_task for a linear program): on tasks where it "
  "diverges every example aborts early and the figures mean little.",
  ZJ_CLI_FLAGS (bench_flags), 0, run_bench,
};
