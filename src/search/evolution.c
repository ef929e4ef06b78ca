/* evolution.c -- regularized evolution with in-place cyclic replacement.
 *
 * Slots are overwritten in index order, so slot i always holds the oldest
 * individual when it is replaced: that is the aging of the original, whose
 * tournament may still pick the individual being replaced.
 *
 * For the tiered evaluator the population reports each new individual's
 * rank (how many children it can expect) and whether a child kept its
 * parent's code structure; neither affects the search itself.
 */
#include "internal.h"
#include "evolution.h"
#include "ckpt.h"
#include <assert.h>
#include <math.h>
#include <string.h>
#include <time.h>

struct zj_population {
  zj_evolution_cfg cfg;
  const zj_search_space *sp;
  zj_evaluator *ev;
  zj_rng *rng;
  int P;
  zj_program *progs;
  double *fit;
  uint64_t *shash;              /* structure hash per slot, 0 unknown */
  int filled;                   /* slots evaluated at least once */
  long num_individuals;
  long last_printed;
  bool printed;
  double start;                 /* seconds, monotonic */
  zj_program hof;
  double hof_fit;
  bool have_hof;
};

zj_population *
zj_population_new (const zj_evolution_cfg *cfg, const zj_search_space *sp,
                   zj_evaluator *ev, zj_rng *rng)
{
  zj_population *pop = zj_xcalloc (1, sizeof *pop);
  pop->cfg = *cfg;
  pop->sp = sp;
  pop->ev = ev;
  pop->rng = rng;
  pop->P = cfg->population_size;
  pop->progs = zj_xcalloc ((size_t) pop->P, sizeof (zj_program));
  pop->fit = zj_xcalloc ((size_t) pop->P, sizeof (double));
  pop->shash = zj_xcalloc ((size_t) pop->P, sizeof (uint64_t));
  for (int i = 0; i < pop->P; i++)
    zj_program_init (&pop->progs[i]);
  zj_program_init (&pop->hof);
  pop->start = zj_now_s ();
  return pop;
}

void
zj_population_free (zj_population *pop)
{
  if (!pop)
    return;
  for (int i = 0; i < pop->P; i++)
    zj_program_free (&pop->progs[i]);
  zj_program_free (&pop->hof);
  free (pop->progs);
  free (pop->fit);
  free (pop->shash);
  free (pop);
}

/* Lifetime signals for the tier: the rank among the n filled slots
   (scaled to the population) gives the expected tournament wins. */
static void
tier_signals (zj_population *pop, int i, int n, uint64_t parent)
{
  const uint64_t h = zj_evaluator_last_structure (pop->ev);
  pop->shash[i] = h;
  if (h && parent)
    zj_evaluator_note_child (pop->ev, h == parent);
  if (!zj_evaluator_wants_rank (pop->ev))
    return;
  int better = 0;
  for (int j = 0; j < n; j++)
    better += pop->fit[j] > pop->fit[i];
  const int rank = (int) ((long) better * pop->P / n);
  zj_evaluator_promote (pop->ev, zj_policy_children (rank, pop->P,
                                                     pop->cfg.tournament_size));
}

static void
evaluate_slot (zj_population *pop, int i, int n, uint64_t parent)
{
  pop->fit[i] = zj_evaluator_eval (pop->ev, &pop->progs[i]);
  tier_signals (pop, i, n, parent);
  pop->num_individuals++;
  if (!pop->have_hof || pop->fit[i] > pop->hof_fit)
    {
      zj_program_copy (&pop->hof, &pop->progs[i]);
      pop->hof_fit = pop->fit[i];
      pop->have_hof = true;
      if (pop->cfg.live)
        atomic_store_explicit (&pop->cfg.live->best, pop->hof_fit,
                               memory_order_relaxed);
    }
  if (pop->cfg.live)
    {
      atomic_store_explicit (&pop->cfg.live->individuals, pop->num_individuals,
                             memory_order_relaxed);
      atomic_store_explicit (&pop->cfg.live->train_steps,
                             zj_evaluator_train_steps (pop->ev),
                             memory_order_relaxed);
    }
}

static bool
stopped (const zj_population *pop)
{
  const int why = zj_stop_reason (pop->cfg.interrupt);
  return zj_stop_requested (pop->cfg.cancel)
         || (why != 0 && why != pop->cfg.park_reason);
}

static void
print_progress (zj_population *pop)
{
  if (pop->printed
      && pop->num_individuals < pop->last_printed + pop->cfg.progress_every)
    return;
  pop->printed = true;
  pop->last_printed = pop->num_individuals;
  const int n = pop->filled > 0 ? pop->filled : 1;
  double sum = 0.0, sq = 0.0, best = pop->fit[0];
  for (int i = 0; i < n; i++)
    {
      sum += pop->fit[i];
      sq += pop->fit[i] * pop->fit[i];
      if (pop->fit[i] > best)
        best = pop->fit[i];
    }
  const double mean = sum / n;
  const double var = sq / n - mean * mean;
  const double sd = sqrt (var > 0.0 ? var : 0.0);
  const double elapsed = zj_now_s () - pop->start;
  zj_tier_stats ts;
  const bool tiered = zj_evaluator_tier_stats (pop->ev, &ts)
                      && ts.mode != ZJ_TIER_OFF;
  if (pop->cfg.progress_out)
    {
      fprintf (pop->cfg.progress_out,
               "indivs=%ld, elapsed_secs=%ld, mean=%.6f, stdev=%.6f, best fit=%.6f,",
               pop->num_individuals, (long) elapsed, mean, sd, best);
      if (tiered && pop->cfg.tier_fields)
        zj_tier_stats_print (&ts, false, pop->cfg.progress_out);
      fputc ('\n', pop->cfg.progress_out);
      fflush (pop->cfg.progress_out);
    }
  if (pop->cfg.log_line)
    {
      zj_eval_counters c = zj_evaluator_counters (pop->ev);
      const long fec_total = c.fec_hits + c.fec_misses;
      char *line = NULL;
      size_t len = 0;
      FILE *f = open_memstream (&line, &len);
      fprintf (f, "\"individuals\": %ld, \"elapsed\": %.3f, \"mean\": %.6f, "
               "\"stdev\": %.6f, \"best\": %.6f, \"hall_of_fame\": %.6f, "
               "\"evals_per_sec\": %.1f, \"train_steps\": %ld, "
               "\"fec_hit_rate\": %.4f, \"dedup_hit_rate\": %.4f",
               pop->num_individuals, elapsed, mean, sd, best, pop->hof_fit,
               elapsed > 0 ? (double) pop->num_individuals / elapsed : 0.0,
               zj_evaluator_train_steps (pop->ev),
               fec_total ? (double) c.fec_hits / (double) fec_total : 0.0,
               c.evaluations ? (double) c.dedup_hits / (double) c.evaluations : 0.0);
      if (c.hurdled)
        fprintf (f, ", \"hurdled\": %ld", c.hurdled);
      if (c.lane_evals)
        fprintf (f, ", \"lane_evals\": %ld, \"shortcut_eligible\": %ld, "
                 "\"shortcuts\": %ld", c.lane_evals, c.sc_eligible,
                 c.shortcuts);
      if (pop->cfg.tag_island)
        fprintf (f, ", \"island\": %d", pop->cfg.island);
      if (tiered)
        {
          fputs (", ", f);
          zj_tier_stats_print (&ts, true, f);
        }
      fclose (f);
      pop->cfg.log_line (pop->cfg.log_ctx, line);
      free (line);
    }
}

int
zj_population_init (zj_population *pop, zj_error *err)
{
  for (int i = 0; i < pop->P; i++)
    {
      if (zj_generate_algorithm (pop->cfg.initial_population, pop->sp, pop->rng,
                                 &pop->progs[i], err) != 0)
        return -1;
      zj_mutate (pop->sp, pop->rng, 0, &pop->progs[i]);
      if (stopped (pop))
        break;
      evaluate_slot (pop, i, i + 1, 0);
      pop->filled = i + 1;
    }
  if (pop->filled > 0)
    print_progress (pop);
  return 0;
}

/* Which draw wins is a coin toss to the branch predictor (every child
   runs one tournament of ten), so the winner is selected, not branched
   to: the first draw, then any later one strictly fitter. */
int
zj_tournament_pick (const double *fit, int P, int size, zj_rng *rng)
{
  if (size < 1)
    return -1;
  int best = (int) zj_rng_below (rng, (uint32_t) P);
  double fb = fit[best];
  for (int k = 1; k < size; k++)
    {
      const int c = (int) zj_rng_below (rng, (uint32_t) P);
      const double fc = fit[c];
      const bool better = fc > fb;
      best = better ? c : best;
      fb = better ? fc : fb;
    }
  return best;
}

static int
tournament (zj_population *pop)
{
  return zj_tournament_pick (pop->fit, pop->P, pop->cfg.tournament_size,
                             pop->rng);
}

void
zj_population_run (zj_population *pop, int64_t max_train_steps,
                   int64_t max_individuals)
{
  const long start_steps = zj_evaluator_train_steps (pop->ev);
  for (;;)
    {
      /* A population cut short while being filled is no state to save. */
      if (stopped (pop) || pop->filled < pop->P)
        break;
      if (pop->cfg.boundary && pop->cfg.boundary (pop->cfg.boundary_ctx))
        break;
      if (zj_evaluator_train_steps (pop->ev) - start_steps >= max_train_steps)
        break;
      if (max_individuals > 0 && pop->num_individuals >= max_individuals)
        break;
      for (int i = 0; i < pop->P; i++)
        {
          /* Between evaluations: the population stays whole, every slot
             keeps a program and its fitness. */
          if (stopped (pop))
            return;
          int w = tournament (pop);
          const uint64_t parent = pop->shash[w];
          zj_program_copy (&pop->progs[i], &pop->progs[w]);
          zj_mutate (pop->sp, pop->rng, 1, &pop->progs[i]);
          evaluate_slot (pop, i, pop->P, parent);
        }
      print_progress (pop);
    }
}

int
zj_population_size (const zj_population *pop)
{
  return pop->P;
}

const zj_program *
zj_population_slot (const zj_population *pop, int i, double *fitness)
{
  assert (i >= 0 && i < pop->P);
  if (fitness)
    *fitness = pop->fit[i];
  return &pop->progs[i];
}

void
zj_population_replace (zj_population *pop, int i, const zj_program *p,
                       double fitness)
{
  assert (i >= 0 && i < pop->P);
  zj_program_copy (&pop->progs[i], p);
  pop->fit[i] = fitness;
  pop->shash[i] = 0;           /* structure unknown here: tier hint only */
}

void
zj_population_take (zj_population *pop, int i, zj_program *p, double fitness)
{
  assert (i >= 0 && i < pop->P);
  const zj_program t = pop->progs[i];
  pop->progs[i] = *p;
  *p = t;
  pop->fit[i] = fitness;
  pop->shash[i] = 0;           /* as zj_population_replace */
}

void
zj_population_swap (zj_population *pop, int i, zj_program *p, double *fitness)
{
  assert (i >= 0 && i < pop->P);
  const zj_program t = pop->progs[i];
  pop->progs[i] = *p;
  *p = t;
  const double f = pop->fit[i];
  pop->fit[i] = *fitness;
  *fitness = f;
}

long
zj_population_individuals (const zj_population *pop)
{
  return pop->num_individuals;
}

const zj_program *
zj_population_best (const zj_population *pop, double *fitness)
{
  int b = 0;
  for (int i = 1; i < pop->filled; i++)
    if (pop->fit[i] > pop->fit[b])
      b = i;
  if (fitness)
    *fitness = pop->fit[b];
  return &pop->progs[b];
}

const zj_program *
zj_population_hall_of_fame (const zj_population *pop, double *fitness)
{
  if (fitness)
    *fitness = pop->hof_fit;
  return &pop->hof;
}

/* ---------------------------------------------------------- checkpoint */
void
zj_population_export (const zj_population *pop, zj_ckpt_pop *x)
{
  memset (x, 0, sizeof *x);
  x->P = pop->P;
  x->progs = zj_xcalloc ((size_t) pop->P, sizeof (zj_program));
  x->fit = zj_xcalloc ((size_t) pop->P, sizeof (double));
  x->shash = zj_xcalloc ((size_t) pop->P, sizeof (uint64_t));
  for (int i = 0; i < pop->P; i++)
    {
      zj_program_init (&x->progs[i]);
      zj_program_copy (&x->progs[i], &pop->progs[i]);
    }
  memcpy (x->fit, pop->fit, (size_t) pop->P * sizeof (double));
  memcpy (x->shash, pop->shash, (size_t) pop->P * sizeof (uint64_t));
  x->individuals = pop->num_individuals;
  x->last_printed = pop->last_printed;
  x->printed = pop->printed;
  x->elapsed = zj_now_s () - pop->start;
  zj_program_init (&x->hof);
  zj_program_copy (&x->hof, &pop->hof);
  x->hof_fit = pop->hof_fit;
  x->have_hof = pop->have_hof;
}

int
zj_population_import (zj_population *pop, const zj_ckpt_pop *x,
                      const zj_shape *shape, zj_error *err)
{
  if (x->P != pop->P)
    {
      zj_error_set (err, "population of %d, the spec asks for %d", x->P, pop->P);
      return -1;
    }
  for (int i = 0; i < pop->P; i++)
    if (zj_program_check (&x->progs[i], shape, err) != 0)
      return -1;
  if (zj_program_check (&x->hof, shape, err) != 0)
    return -1;
  for (int i = 0; i < pop->P; i++)
    zj_program_copy (&pop->progs[i], &x->progs[i]);
  memcpy (pop->fit, x->fit, (size_t) pop->P * sizeof (double));
  memcpy (pop->shash, x->shash, (size_t) pop->P * sizeof (uint64_t));
  pop->filled = pop->P;
  pop->num_individuals = x->individuals;
  pop->last_printed = x->last_printed;
  pop->printed = x->printed;
  pop->start = zj_now_s () - x->elapsed;
  zj_program_copy (&pop->hof, &x->hof);
  pop->hof_fit = x->hof_fit;
  pop->have_hof = x->have_hof;
  return 0;
}
