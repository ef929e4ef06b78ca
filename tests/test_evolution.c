/* test_evolution.c -- regularized evolution (src/search/evolution.c):
 * determinism, hall of fame, progress output. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include "testutil.h"
#include "evaluator.h"
#include "evolution.h"

#include "evalutil.h"

struct run_result {
  double best, hof;
  long individuals, steps;
  zj_program best_prog;
};

static void
run_search_memo (uint64_t seed, long max_indiv, struct run_result *out,
                 FILE *log, bool no_memo, long *memo_prunes, int dedup_slots)
{
  zj_task *ts = linear_tasks (3, 9);
  zj_rng rng;
  zj_rng_seed (&rng, seed);
  zj_evaluator *e = make_eval_slots (ts, 3, true, true, dedup_slots, &rng);
  zj_search_space sp;
  demo_space (&sp);
  zj_evolution_cfg vc = {
    .population_size = 50, .tournament_size = 10,
    .initial_population = ZJ_ALG_RANDOM, .progress_every = 100,
    .progress_out = log, .no_prune_memo = no_memo,
  };
  zj_population *pop = zj_population_new (&vc, &sp, e, &rng);
  zj_error err;
  cr_assert_eq (zj_population_init (pop, &err), 0, "%s", err.msg);
  zj_population_run (pop, INT64_MAX, max_indiv);
  zj_program_init (&out->best_prog);
  zj_program_copy (&out->best_prog, zj_population_best (pop, &out->best));
  zj_population_hall_of_fame (pop, &out->hof);
  out->individuals = zj_population_individuals (pop);
  out->steps = zj_evaluator_train_steps (e);
  if (memo_prunes)
    *memo_prunes = zj_evaluator_memo_prunes (e);
  zj_population_free (pop);
  zj_evaluator_free (e);
  free_tasks (ts, 3);
}

static void
run_search (uint64_t seed, long max_indiv, struct run_result *out, FILE *log)
{
  run_search_memo (seed, max_indiv, out, log, false, NULL, 0);
}

/* Children pruned from their parent's memo (zj_prune_reuse), found in
   the duplicate cache by its tag, or pruned and looked up in full give
   the same search, bit for bit: the same progress lines (fitness
   statistics after every generation), best program and steps.  A small
   duplicate cache has its slots overwritten often (tags gone stale). */
static void
memo_same_search (int dedup_slots)
{
  struct run_result a, b;
  char *la = NULL, *lb = NULL;
  size_t na = 0, nb = 0;
  FILE *fa = open_memstream (&la, &na), *fb = open_memstream (&lb, &nb);
  long memo_a = -1, memo_b = -1;
  run_search_memo (21, 3000, &a, fa, false, &memo_a, dedup_slots);
  run_search_memo (21, 3000, &b, fb, true, &memo_b, dedup_slots);
  fclose (fa);
  fclose (fb);
  cr_assert_gt (memo_a, 500);      /* the memo did serve */
  cr_assert_eq (memo_b, 0);
  cr_assert_eq (a.best, b.best);
  cr_assert_eq (a.hof, b.hof);
  cr_assert_eq (a.steps, b.steps);
  cr_assert (zj_program_equal (&a.best_prog, &b.best_prog));
  /* Progress lines without the elapsed seconds. */
  for (char *l = la; (l = strstr (l, "elapsed_secs=")); )
    for (l += 13; *l >= '0' && *l <= '9'; l++)
      *l = '0';
  for (char *l = lb; (l = strstr (l, "elapsed_secs=")); )
    for (l += 13; *l >= '0' && *l <= '9'; l++)
      *l = '0';
  cr_assert_gt (na, 100);
  cr_assert_str_eq (la, lb);
  free (la);
  free (lb);
  zj_program_free (&a.best_prog);
  zj_program_free (&b.best_prog);
}

Test (evolution, prune_memo_changes_nothing)
{
  memo_same_search (0);
  memo_same_search (8);
}

Test (evolution, same_seed_same_trajectory)
{
  struct run_result a, b, c;
  run_search (11, 500, &a, NULL);
  run_search (11, 500, &b, NULL);
  run_search (12, 500, &c, NULL);
  cr_assert_eq (a.individuals, 500);       /* whole generations of 50 */
  cr_assert_eq (a.best, b.best);
  cr_assert_eq (a.steps, b.steps);
  cr_assert (zj_program_equal (&a.best_prog, &b.best_prog));
  cr_assert (a.steps != c.steps || !zj_program_equal (&a.best_prog, &c.best_prog));
  cr_assert_geq (a.hof, a.best);
  zj_program_free (&a.best_prog);
  zj_program_free (&b.best_prog);
  zj_program_free (&c.best_prog);
}

Test (evolution, progress_lines_have_the_original_format)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);
  struct run_result a;
  run_search (13, 300, &a, f);
  fclose (f);
  /* init (50), then every >= 100 individuals: 50, 150, 250. */
  int lines = 0;
  for (char *s = buf; (s = strstr (s, "indivs=")); s++)
    lines++;
  cr_assert_eq (lines, 3, "%s", buf);
  long n;
  double m, sd, best;
  int elapsed;
  cr_assert_eq (sscanf (buf, "indivs=%ld, elapsed_secs=%d, mean=%lf, stdev=%lf, best fit=%lf,",
                        &n, &elapsed, &m, &sd, &best), 5, "%s", buf);
  cr_assert_eq (n, 50);
  cr_assert (best >= m && m >= 0.0 && sd >= 0.0);
  cr_assert_not_null (strstr (buf, "indivs=250, "));
  free (buf);
  zj_program_free (&a.best_prog);
}

/* The tournament picks what the plain rule picks (first draw, replaced
   by any strictly fitter later one) and draws the same numbers: ties,
   NaN fitness and repeated draws included. */
Test (evolution, tournament_pick_is_the_first_of_the_fittest)
{
  enum { P = 37 };
  double fit[P];
  zj_rng g, a, b;
  zj_rng_seed (&g, 99);
  int ties = 0;
  for (int round = 0; round < 3000; round++)
    {
      for (int i = 0; i < P; i++)
        {
          /* Few distinct values, so ties are common; some NaN. */
          const uint32_t k = zj_rng_below (&g, 6);
          fit[i] = k == 5 ? NAN : (double) k * 0.25;
        }
      const int size = 1 + (int) zj_rng_below (&g, 12);
      zj_rng_seed (&a, (uint64_t) round);
      zj_rng_seed (&b, (uint64_t) round);
      int want = -1;
      for (int k = 0; k < size; k++)
        {
          const int c = (int) zj_rng_below (&a, P);
          if (want >= 0 && fit[c] == fit[want] && c != want)
            ties++;
          if (want < 0 || fit[c] > fit[want])
            want = c;
        }
      cr_assert_eq (zj_tournament_pick (fit, P, size, &b), want,
                    "round %d size %d", round, size);
      cr_assert (memcmp (&a, &b, sizeof a) == 0, "round %d: draws", round);
    }
  cr_assert_gt (ties, 1000);
  zj_rng_seed (&b, 1);
  cr_assert_eq (zj_tournament_pick (fit, P, 0, &b), -1);
}
