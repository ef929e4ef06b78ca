/* test_tier_quiet.c -- quiet candidates (jit/tier_door.c): on a search
 * where native code cannot pay (the demo's scale: evaluations of a few
 * microseconds) --jit=auto lets most candidates pass without the door's
 * work, and the search prints what --jit=off prints; where compiles pay
 * (margin 0) no candidate passes quietly; ZEROJIT_QUIET=0 turns it off. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "internal.h"
#include "experiment.h"

#define OPS "[SCALAR_CONST_SET_OP, VECTOR_INNER_PRODUCT_OP, SCALAR_DIFF_OP, " \
            "SCALAR_PRODUCT_OP, SCALAR_VECTOR_PRODUCT_OP, VECTOR_SUM_OP]"

static const char *tasks_text =
  "tasks { scalar_linear_regression_task {} features_size: 4 "
  "num_train_examples: 60 num_valid_examples: 20 num_tasks: 3 "
  "eval_type: RMS_ERROR }";

typedef struct {
  long individuals, quiet, compiles;
} tally;

/* A field "name=N" of the Tier summary line, or 0. */
static long
field (const char *line, const char *name)
{
  char key[64];
  snprintf (key, sizeof key, " %s=", name);
  const char *p = strstr (line, key);
  return p ? atol (p + strlen (key)) : 0;
}

/* The demo's search at a small budget (~4000 candidates); margin0: every
   compile counts as paying; big: tasks of 2,000 examples (above
   QUIET_MAX_EXAMPLES in all), ~300 candidates.  Returns the output
   without the lines that carry times or tier counts. */
static char *
run_big (zj_tier_mode mode, bool margin0, bool big, tally *t)
{
  char spec[4096];
  snprintf (spec, sizeof spec,
            "search_tasks { tasks { scalar_linear_regression_task {} "
            "features_size: 4 num_train_examples: %d num_valid_examples: 100 "
            "num_tasks: 10 eval_type: RMS_ERROR } }\n"
            "setup_ops: %s predict_ops: %s learn_ops: %s\n"
            "setup_size_init: 10 predict_size_init: 2 learn_size_init: 8\n"
            "fec { num_train_examples: 10 num_valid_examples: 10 }\n"
            "population_size: 100 tournament_size: 10 "
            "initial_population: RANDOM_ALGORITHM max_train_steps: %d "
            "allowed_mutation_types { mutation_types: [ALTER_PARAM_MUTATION_TYPE, "
            "RANDOMIZE_INSTRUCTION_MUTATION_TYPE, "
            "RANDOMIZE_COMPONENT_FUNCTION_MUTATION_TYPE] } mutate_prob: 0.9 "
            "progress_every: 1000\n", big ? 1900 : 100, OPS, OPS, OPS,
            margin0 ? 300000 : big ? 6000000 : 3000000);
  zj_experiment_cfg cfg;
  zj_experiment_cfg_init (&cfg);
  zj_error err;
  cr_assert_eq (zj_search_spec_parse (spec, "spec", &cfg.spec, &err), 0, "%s", err.msg);
  cr_assert_eq (zj_task_collection_parse (tasks_text, "sel", &cfg.select_tasks, &err), 0);
  cr_assert_eq (zj_task_collection_parse (tasks_text, "fin", &cfg.final_tasks, &err), 0);
  cfg.random_seed = 3;
  cfg.ns = 4;
  cfg.nv = 3;
  cfg.nm = 1;
  cfg.jit = mode;
  cfg.jit_opt_level = 0;
  if (margin0)
    {
      cfg.jit_knobs.margin = 0.0;
      cfg.jit_knobs.compile_weight = 0.0;
    }
  char *buf = NULL;
  size_t len = 0;
  FILE *out = open_memstream (&buf, &len);
  zj_experiment_summary sum;
  cr_assert_eq (zj_run_experiments (&cfg, out, &sum, &err), 0, "%s", err.msg);
  fclose (out);
  zj_program_free (&sum.best);
  zj_experiment_cfg_free (&cfg);
  memset (t, 0, sizeof *t);
  t->individuals = sum.individuals;
  char *clean = calloc (len + 1, 1);
  size_t n = 0;
  for (char *line = strtok (buf, "\n"); line; line = strtok (NULL, "\n"))
    {
      if (!strncmp (line, "Tier summary:", 13))
        {
          t->quiet = field (line, "quiet");
          t->compiles = field (line, "compiles") + field (line, "requests");
          continue;
        }
      if (!strncmp (line, "Summary:", 8))
        continue;
      char *cut = strstr (line, "elapsed_secs=");
      if (cut)
        {
          char *fit = strstr (line, ", mean=");
          n += (size_t) sprintf (clean + n, "%.*s%s\n", (int) (cut - line),
                                 line, fit ? fit : "");
        }
      else
        n += (size_t) sprintf (clean + n, "%s\n", line);
    }
  free (buf);
  return clean;
}

static char *
run (zj_tier_mode mode, bool margin0, tally *t)
{
  return run_big (mode, margin0, false, t);
}

Test (tier_quiet, cheap_search_passes_quietly_same_output, .timeout = 120)
{
  unsetenv ("ZEROJIT_QUIET");
  tally off, aut;
  char *a = run (ZJ_TIER_OFF, false, &off);
  char *b = run (ZJ_TIER_AUTO, false, &aut);
  cr_assert_gt (off.individuals, 2000);
  cr_assert_eq (off.individuals, aut.individuals);
  cr_assert_str_eq (a, b);
  cr_assert_eq (off.quiet, 0);
  /* After QUIET_CALM (64) calm candidates, 15 in 16 pass quietly: more
     than half of the evaluated candidates (dedup and FEC hits aside). */
  cr_assert_gt (aut.quiet, aut.individuals / 2, "quiet=%ld of %ld",
                aut.quiet, aut.individuals);
  cr_assert_eq (aut.compiles, 0);
  free (a);
  free (b);
}

Test (tier_quiet, env_turns_it_off, .timeout = 120)
{
  setenv ("ZEROJIT_QUIET", "0", 1);
  tally off, aut;
  char *a = run (ZJ_TIER_OFF, false, &off);
  char *b = run (ZJ_TIER_AUTO, false, &aut);
  unsetenv ("ZEROJIT_QUIET");
  cr_assert_str_eq (a, b);
  cr_assert_eq (aut.quiet, 0);
  free (a);
  free (b);
}

/* Where every compile pays, the tier wants each candidate: none may pass
   quietly, and compiles happen as before. */
Test (tier_quiet, paying_search_never_quiet, .timeout = 240)
{
  unsetenv ("ZEROJIT_QUIET");
  tally off, aut;
  char *a = run (ZJ_TIER_OFF, true, &off);
  char *b = run (ZJ_TIER_AUTO, true, &aut);
  cr_assert_str_eq (a, b);
  cr_assert_gt (aut.compiles, 0);
  cr_assert_eq (aut.quiet, 0);
  free (a);
  free (b);
}

/* Long evaluations never pass quietly, even where nothing pays. */
Test (tier_quiet, long_evaluations_never_quiet, .timeout = 120)
{
  unsetenv ("ZEROJIT_QUIET");
  tally off, aut;
  char *a = run_big (ZJ_TIER_OFF, false, true, &off);
  char *b = run_big (ZJ_TIER_AUTO, false, true, &aut);
  cr_assert_str_eq (a, b);
  cr_assert_gt (aut.individuals, 150);
  cr_assert_eq (aut.quiet, 0);
  free (a);
  free (b);
}
