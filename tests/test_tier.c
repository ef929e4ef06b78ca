/* test_tier.c -- tiered execution never changes a search: the same seed
 * gives the same trajectory (progress lines, fitnesses, programs found)
 * under --jit=off, always and auto, with and without random ops and
 * hurdles.  Tiny populations and -O0 keep the compiles few and cheap. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "testutil.h"
#include "internal.h"
#include "experiment.h"
#include "evaluator.h"
#include "jit/tier.h"
#include "jit/baseline.h"
#include <unistd.h>

#define OPS "[SCALAR_CONST_SET_OP, VECTOR_INNER_PRODUCT_OP, SCALAR_DIFF_OP, " \
            "SCALAR_PRODUCT_OP, SCALAR_VECTOR_PRODUCT_OP, VECTOR_SUM_OP%s]"

static const char *tasks_text =
  "tasks { scalar_linear_regression_task {} features_size: 4 "
  "num_train_examples: 60 num_valid_examples: 20 num_tasks: 3 "
  "eval_type: RMS_ERROR }";

/* GCC options for the runs' optimized tier, and the compile failures
   of the last run (its Tier summary's failures=). */
static const char *run_opt_flags;
static long run_failures;
/* Whether the last run's Tier summary had the baseline's figures, and
   the A/B test's margin among them (auto only: the door probes). */
static bool run_base_figures, run_margin;

/* The run's output without the lines that carry wall-clock times. */
static char *
run (zj_tier_mode mode, bool random_ops, bool hurdles, long *individuals,
     long *compiles)
{
  char spec[4096], ops[512];
  snprintf (ops, sizeof ops, OPS, random_ops ? ", VECTOR_GAUSSIAN_SET_OP" : "");
  snprintf (spec, sizeof spec,
            "search_tasks { tasks { scalar_linear_regression_task {} "
            "features_size: 4 num_train_examples: 40 num_valid_examples: 20 "
            "num_tasks: 3 eval_type: RMS_ERROR } }\n"
            "setup_ops: %s predict_ops: %s learn_ops: %s\n"
            "setup_size_init: 4 predict_size_init: 2 learn_size_init: 3\n"
            "fec { num_train_examples: 10 num_valid_examples: 10 }\n"
            "population_size: 6 tournament_size: 3 "
            "initial_population: RANDOM_ALGORITHM max_train_steps: 2000 "
            "allowed_mutation_types { mutation_types: [ALTER_PARAM_MUTATION_TYPE, "
            "RANDOMIZE_INSTRUCTION_MUTATION_TYPE] } mutate_prob: 0.9 "
            "progress_every: 6\n", ops, ops, ops);
  zj_experiment_cfg cfg;
  zj_experiment_cfg_init (&cfg);
  zj_error err;
  cr_assert_eq (zj_search_spec_parse (spec, "spec", &cfg.spec, &err), 0, "%s", err.msg);
  cr_assert_eq (zj_task_collection_parse (tasks_text, "sel", &cfg.select_tasks, &err), 0);
  cr_assert_eq (zj_task_collection_parse (tasks_text, "fin", &cfg.final_tasks, &err), 0);
  cfg.random_seed = 7;
  cfg.ns = 4;
  cfg.nv = 3;
  cfg.nm = 1;
  cfg.jit = mode;
  cfg.jit_opt_level = 0;
  cfg.jit_opt_flags = run_opt_flags;
  /* Compile whatever saves anything, so that "auto" switches mid-run. */
  cfg.jit_knobs.margin = 0.0;
  cfg.jit_knobs.compile_weight = 0.0;
  cfg.hurdles = hurdles;
  char *buf = NULL;
  size_t len = 0;
  FILE *out = open_memstream (&buf, &len);
  zj_experiment_summary sum;
  cr_assert_eq (zj_run_experiments (&cfg, out, &sum, &err), 0, "%s", err.msg);
  fclose (out);
  zj_experiment_cfg_free (&cfg);
  *individuals = sum.individuals;
  *compiles = 0;
  /* Keep progress lines up to "best fit=...," and drop timing lines. */
  char *clean = calloc (len + 1, 1);
  size_t n = 0;
  for (char *line = strtok (buf, "\n"); line; line = strtok (NULL, "\n"))
    {
      if (!strncmp (line, "Tier summary:", 13))
        {
          run_margin = strstr (line, "baseline_margin=") != NULL;
          run_base_figures = strstr (line, "baseline_kernels=") != NULL;
          long c = 0, r = 0;
          sscanf (strstr (line, "compiles="), "compiles=%ld", &c);
          sscanf (strstr (line, "requests="), "requests=%ld", &r);
          run_failures = -1;
          sscanf (strstr (line, "failures="), "failures=%ld", &run_failures);
          *compiles = c + r;
          /* Baseline step kernels count as compiles of that tier. */
          const char *b = strstr (line, "baseline_kernels=");
          long k = 0;
          if (b && sscanf (b, "baseline_kernels=%ld", &k) == 1)
            *compiles += 1000000 * k;
        }
      if (!strncmp (line, "Summary:", 8) || !strncmp (line, "Tier summary:", 13))
        continue;
      char *cut = strstr (line, "elapsed_secs=");
      if (cut)
        {
          char *fit = strstr (line, ", mean=");
          char *end = strstr (line, "best fit=");
          end = end ? strchr (end, ',') : NULL;
          n += (size_t) sprintf (clean + n, "%.*s%.*s\n", (int) (cut - line),
                                 line, end && fit ? (int) (end - fit) : 0, fit);
        }
      else
        n += (size_t) sprintf (clean + n, "%s\n", line);
    }
  free (buf);
  return clean;
}

/* A search builds missing stencil libraries in the background and may
   end before they are ready: these tests want baseline code from the
   first evaluation, so the cache is filled first (a no-op once warm). */
static void
warm_stencils (int F, int nt)
{
  zj_error err;
  if (zj_baseline_warm (F, nt, &err) != 0)
    cr_log_warn ("no stencils for F=%d: %s", F, err.msg);
}

static void
same_under_all_tiers (bool random_ops, bool hurdles)
{
  warm_stencils (4, 3);
  /* c: compiles + requests, plus 1e6 per baseline step kernel */
  long ioff, iauto, ialways, coff, cauto, calways, ibase, cbase, iopt, copt;
  long iall, call;
  char *off = run (ZJ_TIER_OFF, random_ops, hurdles, &ioff, &coff);
  cr_assert (!run_margin);
  char *aut = run (ZJ_TIER_AUTO, random_ops, hurdles, &iauto, &cauto);
  /* auto probes: its baseline figures carry the A/B test's margin */
  cr_assert_eq (run_margin, run_base_figures);
  char *alw = run (ZJ_TIER_ALWAYS, random_ops, hurdles, &ialways, &calways);
  cr_assert (!run_margin);
  char *bas = run (ZJ_TIER_BASELINE, random_ops, hurdles, &ibase, &cbase);
  cr_assert (!run_margin);
  char *opt = run (ZJ_TIER_OPTIMIZED, random_ops, hurdles, &iopt, &copt);
  char *all = run (ZJ_TIER_OPTIMIZED_ALL, random_ops, hurdles, &iall, &call);
  cr_assert (!run_margin && !run_base_figures);
  if (!random_ops)     /* (with them this short search never batches) */
    {
      cr_assert_geq (cbase, 1000000);  /* baseline code ran */
      /* always makes a kernel for every lane evaluation that has no
         optimized code yet, as baseline does for all of them: each
         structure baseline made a kernel for has one or optimized code */
      cr_assert_leq (calways / 1000000, cbase / 1000000,
                     "always %ld baseline %ld", calways, cbase);
      cr_assert_geq (calways / 1000000 + calways % 1000000, cbase / 1000000,
                     "always %ld baseline %ld", calways, cbase);
    }
  cr_assert_lt (cbase % 1000000, 1); /* and nothing was optimized */
  cr_assert_lt (call, 1000000);      /* optimized-all: no baseline code */
  cr_assert_gt (call, 0);
  cr_assert_gt (copt, 0);
  cr_assert_lt (copt, 1000000);
  cr_assert_str_eq (off, bas);
  cr_assert_str_eq (off, opt);
  cr_assert_eq (ioff, ibase);
  cr_assert_eq (ioff, iopt);
  free (bas);
  free (opt);
  cr_assert_eq (coff, 0);
  cr_assert_gt (cauto, 0);           /* auto queued compiles */
  cr_assert_gt (calways, 0);
  cr_assert_gt (ioff, 6);
  cr_assert (strstr (off, "Algorithm found"));
  cr_assert_str_eq (off, aut);
  cr_assert_str_eq (off, alw);
  cr_assert_str_eq (off, all);
  cr_assert_eq (ioff, iauto);
  cr_assert_eq (ioff, ialways);
  cr_assert_eq (ioff, iall);
  free (off);
  free (aut);
  free (alw);
  free (all);
}

Test (tier, same_trajectory_without_random_ops, .timeout = 120)
{
  same_under_all_tiers (false, false);
}

Test (tier, same_trajectory_with_random_ops, .timeout = 120)
{
  same_under_all_tiers (true, false);
}

/* A new compile worker for every compile (ZEROJIT_WORKER_RECYCLE=1),
   each forked by the zygote (jit/worker.c) while the search's threads
   run: the same search, and no compile fails. */
Test (tier, same_trajectory_new_worker_per_compile, .timeout = 240)
{
  setenv ("ZEROJIT_WORKER_RECYCLE", "1", 1);
  long ioff, iopt, iaut, coff, copt, caut;
  char *off = run (ZJ_TIER_OFF, false, false, &ioff, &coff);
  char *opt = run (ZJ_TIER_OPTIMIZED_ALL, false, false, &iopt, &copt);
  cr_assert_eq (run_failures, 0);
  char *aut = run (ZJ_TIER_AUTO, false, false, &iaut, &caut);
  cr_assert_eq (run_failures, 0);
  cr_assert_gt (copt, 2, "too few compiles to recycle a worker: %ld", copt);
  cr_assert_str_eq (off, opt);
  cr_assert_str_eq (off, aut);
  cr_assert_eq (ioff, iopt);
  free (off);
  free (opt);
  free (aut);
}

/* The search's GCC options (--jit_opt_level=N,-fNAME...) reach its
   compiles: with an option GCC does not know every compile fails, is
   counted, and the candidates run interpreted, with the same output. */
Test (tier, search_gcc_options, .timeout = 120)
{
  long ioff, coff, i1, c1, i2, c2;
  char *off = run (ZJ_TIER_OFF, false, false, &ioff, &coff);
  run_opt_flags = "-fschedule-insns";
  char *good = run (ZJ_TIER_OPTIMIZED_ALL, false, false, &i1, &c1);
  const long good_failures = run_failures;
  run_opt_flags = "-fschedule-insns,-fzj-no-such-option";
  char *bad = run (ZJ_TIER_OPTIMIZED_ALL, false, false, &i2, &c2);
  run_opt_flags = NULL;
  cr_assert_gt (c1, 0);
  cr_assert_eq (good_failures, 0);
  cr_assert_gt (c2, 0);
  cr_assert_gt (run_failures, 0, "a compile with an unknown option did not fail");
  cr_assert_str_eq (off, good);
  cr_assert_str_eq (off, bad);
  cr_assert_eq (ioff, i1);
  cr_assert_eq (ioff, i2);
  free (off);
  free (good);
  free (bad);
}

/* A search's compiles leave its SIGINT and SIGTERM alone.  GCC's
   embedded driver sets both to SIG_IGN and then to its own handler on
   every compile, which in the search's process would throw away a signal
   not yet taken by the signal thread (src/cli/signals.c); the tier
   compiles in worker processes instead. */
Test (tier, compiles_leave_signals_alone, .timeout = 120)
{
  cr_assert_eq (zj_test_mark_signals (), 0);
  long ind, compiles;
  free (run (ZJ_TIER_OPTIMIZED_ALL, false, false, &ind, &compiles));
  cr_assert_gt (compiles, 0, "no compile: nothing tested");
  const char *sig = zj_test_signal_changed ();
  cr_assert_null (sig, "%s's disposition changed by a compile", sig);
}

Test (tier, same_trajectory_with_hurdles, .timeout = 120)
{
  same_under_all_tiers (false, true);
}

/* Evaluates p (with Setup random ops or not) again and again under
   "auto" until native code has run, comparing every fitness, per-task
   fitness and the shared generator's state with an interpreter-only
   evaluator. */
static void
evaluator_switches (bool random_ops, bool pairs)
{
  zj_task_collection coll = { 0 };
  zj_error err;
  const char *text =
    "tasks { scalar_linear_regression_task {} features_size: 4 "
    "num_train_examples: 400 num_valid_examples: 50 num_tasks: 6 "
    "eval_type: RMS_ERROR }";
  cr_assert_eq (zj_task_collection_parse (text, "t", &coll, &err), 0);
  zj_task *ts;
  int n;
  cr_assert_eq (zj_tasks_generate (&coll, &ts, &n, &err), 0);
  const zj_shape shape = { 4, 4, 3, 1 };
  zj_program p;
  zj_program_init (&p);
  if (random_ops)
    zj_fn_push (&p.fn[ZJ_SETUP], zj_test_ins (ZJ_VECTOR_GAUSSIAN_SET_OP, 0, 0, 1));
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_VECTOR_INNER_PRODUCT_OP, 1, 0, 1));
  zj_fn_push (&p.fn[ZJ_LEARN], zj_test_ins (ZJ_SCALAR_DIFF_OP, 0, 1, 2));
  if (pairs)
    {
      /* A learning rate s3 = 0.01 (Setup), so that the runs train rather
         than abort and each task has its own fitness. */
      zj_instr k = zj_test_ins (ZJ_SCALAR_UNIFORM_SET_OP, 0, 0, 3);
      k.fd[0] = 0.01f;
      k.fd[1] = 0.01f;
      zj_fn_push (&p.fn[ZJ_SETUP], k);
      zj_fn_push (&p.fn[ZJ_LEARN], zj_test_ins (ZJ_SCALAR_PRODUCT_OP, 3, 2, 2));
    }
  zj_fn_push (&p.fn[ZJ_LEARN], zj_test_ins (ZJ_SCALAR_VECTOR_PRODUCT_OP, 2, 0, 2));
  zj_fn_push (&p.fn[ZJ_LEARN], zj_test_ins (ZJ_VECTOR_SUM_OP, 1, 2, 1));
  if (random_ops)
    {
      p.fn[ZJ_SETUP].ins[0].fd[0] = 0.0f;
      p.fn[ZJ_SETUP].ins[0].fd[1] = 0.1f;
    }
  zj_evaluator_cfg cfg;
  zj_evaluator_cfg_default (&cfg);
  if (pairs)
    {
      /* Every evaluation runs the tasks for real: no cache answers. */
      cfg.fec = false;
      cfg.dedup = false;
    }
  zj_tier_cfg tc;
  zj_tier_cfg_default (&tc);
  tc.pairs = pairs;
  tc.opt_level = 0;
  tc.knobs.margin = 0.0;
  tc.knobs.compile_weight = 0.0;
  zj_tier *tier = zj_tier_new (&tc, &err);
  cr_assert_not_null (tier, "%s", err.msg);
  zj_rng r1, r2;
  zj_rng_seed (&r1, 5);
  zj_rng_seed (&r2, 5);
  zj_evaluator *plain = zj_evaluator_new (&cfg, ts, n, &shape, NULL, &r1, &err);
  zj_evaluator *tiered = zj_evaluator_new (&cfg, ts, n, &shape, NULL, &r2, &err);
  zj_evaluator_set_tier (tiered, tier);
  zj_tier_stats st = { 0 };
  int rounds = 0, after = 0;
  /* Until native code ran, then (pairs) 5 evaluations more, native. */
  for (; rounds < 2000 && (st.native_evals == 0 || (pairs && after++ < 5)); rounds++)
    {
      const double a = zj_evaluator_eval (plain, &p);
      const double b = zj_evaluator_eval (tiered, &p);
      cr_assert_eq (a, b, "round %d: %.17g vs %.17g", rounds, a, b);
      if (pairs)
        cr_assert_gt (a, 0.0, "round %d: the tasks aborted", rounds);
      cr_assert_eq (memcmp (zj_evaluator_task_fitness (plain),
                            zj_evaluator_task_fitness (tiered),
                            (size_t) n * sizeof (double)), 0);
      cr_assert_eq (memcmp (&r1, &r2, sizeof r1), 0);
      cr_assert_eq (zj_evaluator_train_steps (plain),
                    zj_evaluator_train_steps (tiered));
      zj_tier_get_stats (tier, &st);
      if (st.requests > 0 && st.native_evals == 0)
        usleep (5000);
    }
  cr_assert_gt (st.native_evals, 0, "no native run after %d rounds", rounds);
  cr_assert_eq (st.requests, 1);      /* one structure, one compile */
  /* Example counts reach the tier in batches; the evaluator's view
     includes its own pending ones. */
  cr_assert (zj_evaluator_tier_stats (tiered, &st));
  cr_assert_gt (st.examples_native, 0.0);
  zj_evaluator_free (plain);
  zj_evaluator_free (tiered);
  zj_tier_free (tier);
  zj_program_free (&p);
  zj_tasks_free (ts, n);
  zj_task_collection_free (&coll);
}

Test (tier, evaluator_switches_to_native, .timeout = 60)
{
  evaluator_switches (false, false);
}

Test (tier, evaluator_switches_with_random_ops, .timeout = 60)
{
  evaluator_switches (true, false);
}

/* Native tasks two at a time (zj_door_eval_pair, tier cfg pairs): six
   tasks, three pairs per evaluation, the same fitnesses and generator. */
Test (tier, evaluator_native_pairs, .timeout = 60)
{
  evaluator_switches (false, true);
}

Test (tier, evaluator_native_pairs_random_setup, .timeout = 60)
{
  evaluator_switches (true, true);
}

/* A program whose matrix-vector product reads a matrix that Predict and
   Learn never write runs per task in the lane interpreter on AVX-512
   builds (zj_lmatvec_tasks_plan), and so in the baseline tier's kernels:
   --jit=baseline makes one, and both it and --jit=auto (which may) give
   the plain evaluator's fitness. */
static long
matvec_kernels (zj_tier_mode mode)
{
  zj_task_collection coll = { 0 };
  zj_error err;
  const char *text =
    "tasks { scalar_linear_regression_task {} features_size: 16 "
    "num_train_examples: 1200 num_valid_examples: 50 num_tasks: 10 "
    "eval_type: RMS_ERROR }";
  cr_assert_eq (zj_task_collection_parse (text, "t", &coll, &err), 0);
  warm_stencils (16, 10);
  zj_task *ts;
  int n;
  cr_assert_eq (zj_tasks_generate (&coll, &ts, &n, &err), 0);
  const zj_shape shape = { 16, 4, 3, 2 };
  zj_program p;
  zj_program_init (&p);
  zj_instr k = zj_test_ins (ZJ_MATRIX_CONST_SET_OP, 0, 0, 1);
  k.fd[0] = 0.25f;
  k.fd[1] = 0.5f;
  k.fd[2] = 0.125f;
  zj_fn_push (&p.fn[ZJ_SETUP], k);
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_MATRIX_VECTOR_PRODUCT_OP, 1, 0, 2));
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_VECTOR_INNER_PRODUCT_OP, 1, 2, 1));
  zj_fn_push (&p.fn[ZJ_LEARN], zj_test_ins (ZJ_SCALAR_DIFF_OP, 0, 1, 2));
  zj_fn_push (&p.fn[ZJ_LEARN], zj_test_ins (ZJ_SCALAR_VECTOR_PRODUCT_OP, 2, 0, 2));
  zj_fn_push (&p.fn[ZJ_LEARN], zj_test_ins (ZJ_VECTOR_SUM_OP, 1, 2, 1));
  zj_layout lay4, lay16;
  const zj_shape shape4 = { 4, 4, 3, 2 };
  zj_layout_init (&lay4, &shape4);
  zj_layout_init (&lay16, &shape);
  cr_assert_eq (zj_lmatvec_tasks_plan (&p, &lay4, 10, 16), 0);
  zj_evaluator_cfg cfg;
  zj_evaluator_cfg_default (&cfg);
  zj_tier_cfg tc;
  zj_tier_cfg_default (&tc);
  tc.mode = mode;
  zj_tier *tier = zj_tier_new (&tc, &err);
  cr_assert_not_null (tier, "%s", err.msg);
  zj_rng r1, r2;
  zj_rng_seed (&r1, 6);
  zj_rng_seed (&r2, 6);
  zj_evaluator *plain = zj_evaluator_new (&cfg, ts, n, &shape, NULL, &r1, &err);
  zj_evaluator *tiered = zj_evaluator_new (&cfg, ts, n, &shape, NULL, &r2, &err);
  zj_evaluator_set_tier (tiered, tier);
  for (int round = 0; round < 30; round++)
    {
      const double a = zj_evaluator_eval (plain, &p);
      const double b = zj_evaluator_eval (tiered, &p);
      cr_assert_eq (memcmp (&a, &b, sizeof a), 0, "round %d: %a vs %a",
                    round, a, b);
    }
  zj_tier_stats st = { 0 };
  cr_assert (zj_evaluator_tier_stats (tiered, &st));
  const bool task_kernel = zj_lmatvec_tasks_plan (&p, &lay16, 10, 16) == 1u << 1;
  zj_evaluator_free (plain);
  zj_evaluator_free (tiered);
  zj_tier_free (tier);
  zj_program_free (&p);
  zj_tasks_free (ts, n);
  zj_task_collection_free (&coll);
  return task_kernel ? st.base_kernels : -1;
}

Test (tier, read_only_matvec_equal_in_baseline_and_auto, .timeout = 60)
{
  const long forced = matvec_kernels (ZJ_TIER_BASELINE);
  if (forced < 0)
    cr_skip_test ("no per-task matrix-vector kernel in this build");
  cr_assert_gt (forced, 0);
  cr_assert_geq (matvec_kernels (ZJ_TIER_AUTO), 0);
}
