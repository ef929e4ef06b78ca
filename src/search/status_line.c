/* status_line.c -- the live status line of a running search.
 *
 * Formats, from the pool's live counters, the one line the driver redraws
 * on a terminal: experiments running and done, individuals and their rate,
 * best fitness and the lowest running experiment's progress and ETA.
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
  for (int w = 0; w < n_workers; w++)
    {
      const exp_live *s = &pl->live[w];
      if (!s->pl || s->k < 0)
        continue;
      running++;
      indivs += atomic_load_explicit (&s->stats.individuals, memory_order_relaxed);
      double b = atomic_load_explicit (&s->stats.best, memory_order_relaxed);
      if (b > best)
        best = b;
      if (!low || s->k < low->k)
        low = s;
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
                " | building native stencils (one-time, cached)");
      return;
    }
  if (!low)
    return;
  const int ph = atomic_load (&low->phase);
  double frac = -1.0;
  if (ph == PH_EVOLVE || ph == PH_INIT)
    frac = sp->max_individuals > 0
      ? (double) atomic_load (&low->stats.individuals) / (double) sp->max_individuals
      : (double) atomic_load (&low->stats.train_steps) / (double) sp->max_train_steps;
  if (frac < 0.0 || frac > 1.0)
    snprintf (buf + len, n - (size_t) len, " | exp %lld: %s", (long long) low->k,
              phase_name[ph]);
  else
    {
      const double el = now - low->start;
      const double eta = frac > 0.001 ? el * (1.0 - frac) / frac : -1.0;
      snprintf (buf + len, n - (size_t) len, " | exp %lld: %.0f%% of %s, ETA %s%.0fs",
                (long long) low->k, 100.0 * frac,
                sp->max_individuals > 0 ? "max_individuals" : "max_train_steps",
                eta < 0 ? "?" : "", eta < 0 ? 0.0 : eta);
    }
}
