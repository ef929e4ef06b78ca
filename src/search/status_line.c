/* status_line.c -- the live status line of a running search.
 *
 * Formats, from the pool's live counters, the one line the driver redraws
 * on a terminal: experiments running and done, individuals and their rate,
 * best fitness and the lowest running experiment's progress and ETA.
 * An experiment with islands counts all of this rank's islands, and its
 * progress is that of its slowest island (it ends when all are done).
 */
#include "config.h"
#include "experiment_internal.h"

static void
human (double x, char *buf, size_t n)
{
  if (x >= 1e9)
    snprintf (buf, n, "%.2fG", x / 1e9);
  else if (x >= 1e6)
    snprintf (buf, n, "%.2fM", x / 1e6);
  else if (x >= 1e4)
    snprintf (buf, n, "%.1fk", x / 1e3);
  else
    snprintf (buf, n, "%.0f", x);
}

/* What a worker's experiment has done: individuals, best fitness and the
   fraction of the budget spent (-1 unknown); *islands is the number of
   islands (0 without), *here how many of them are on this rank. */
static void
live_of (const exp_live *s, const zj_search_spec *sp, long *ind, double *best,
         double *frac, int *islands, int *here)
{
  const exp_run *g = s->run;
  const int ph = atomic_load (&s->phase);
  const bool budget_known = ph == PH_EVOLVE || ph == PH_INIT;
  *islands = *here = 0;
  if (!g || g->n <= 1)
    {
      const zj_live_stats *l = &s->stats;
      *ind = atomic_load_explicit (&l->individuals, memory_order_relaxed);
      *best = atomic_load_explicit (&l->best, memory_order_relaxed);
      *frac = !budget_known ? -1.0
              : sp->max_individuals > 0
              ? (double) *ind / (double) sp->max_individuals
              : (double) atomic_load (&l->train_steps) / (double) sp->max_train_steps;
      return;
    }
  *islands = g->n;
  *here = g->n_own;
  *ind = 0;
  *best = 0.0;
  *frac = budget_known ? 2.0 : -1.0;
  for (int o = 0; o < g->n_own; o++)
    {
      const zj_live_stats *l = &g->isl[g->own[o]].live;
      const long n = atomic_load_explicit (&l->individuals, memory_order_relaxed);
      const double b = atomic_load_explicit (&l->best, memory_order_relaxed);
      *ind += n;
      if (o == 0 || b > *best)
        *best = b;
      if (budget_known)
        {
          const double f = sp->max_individuals > 0
            ? (double) n / (double) sp->max_individuals
            : (double) atomic_load (&l->train_steps) / (double) sp->max_train_steps;
          if (f < *frac)
            *frac = f;
        }
    }
  if (*frac > 1.0)
    *frac = 1.0;
}

/* The status line: experiments running, individuals, rate, best fitness,
   and the lowest running experiment's progress against its budget.
   Called by the driver with the pool lock held. */
void
zj_exp_status_line (exp_pool *pl, int n_workers, int64_t consumed, double t0,
             char *buf, size_t n)
{
  static const char *const phase_name[] = { "building tasks", "initial population",
                                            "evolving", "select evaluation" };
  const zj_search_spec *sp = &pl->cfg->spec;
  long indivs = pl->done_indivs;
  double best = pl->done_best;
  int running = 0;
  const exp_live *low = NULL;
  double low_frac = -1.0;
  int low_islands = 0, low_here = 0;
  for (int w = 0; w < n_workers; w++)
    {
      const exp_live *s = &pl->live[w];
      if (!s->pl || s->k < 0)
        continue;
      running++;
      long i;
      double b, f;
      int ni, nh;
      live_of (s, sp, &i, &b, &f, &ni, &nh);
      indivs += i;
      if (b > best)
        best = b;
      if (!low || s->k < low->k)
        {
          low = s;
          low_frac = f;
          low_islands = ni;
          low_here = nh;
        }
    }
  const double now = zj_now_s (), secs = now - t0;
  char ind[32], rate[32];
  human ((double) indivs, ind, sizeof ind);
  human (secs > 0 ? indivs / secs : 0.0, rate, sizeof rate);
  int len = snprintf (buf, n, "[zerojit] %d running, %lld done | %s indivs, %s/s | best %.6f",
                      running, (long long) consumed, ind, rate, best);
  if (len < 0 || (size_t) len >= n)
    return;
  if (atomic_load (&pl->building) > 0)
    {
      snprintf (buf + len, n - (size_t) len,
                " | building native stencils in the background (one-time, cached)");
      return;
    }
  if (!low)
    return;
  const int ph = atomic_load (&low->phase);
  char isl[64] = "";
  if (low_islands > 1 && low_here < low_islands)
    snprintf (isl, sizeof isl, " (%d islands, %d on this rank)", low_islands, low_here);
  else if (low_islands > 1)
    snprintf (isl, sizeof isl, " (%d islands)", low_islands);
  if (low_frac < 0.0 || low_frac > 1.0)
    snprintf (buf + len, n - (size_t) len, " | exp %lld%s: %s", (long long) low->k,
              isl, phase_name[ph]);
  else
    {
      const double el = now - low->start;
      const double eta = low_frac > 0.001 ? el * (1.0 - low_frac) / low_frac : -1.0;
      snprintf (buf + len, n - (size_t) len, " | exp %lld%s: %.0f%% of %s%s, ETA %s%.0fs",
                (long long) low->k, isl, 100.0 * low_frac,
                sp->max_individuals > 0 ? "max_individuals" : "max_train_steps",
                low_islands > 1 ? " (slowest island)" : "",
                eta < 0 ? "?" : "", eta < 0 ? 0.0 : eta);
    }
}
