/* hurdle.c -- progressive hurdles (see hurdle.h). */
#include "internal.h"
#include "hurdle.h"
#include <string.h>

#define HURDLE_REFRESH 64        /* recompute the threshold at most this often */

void
zj_hurdle_init (zj_hurdle *h, int window, double percentile)
{
  memset (h, 0, sizeof *h);
  h->window = window < 4 ? 4 : window;
  h->percentile = percentile;
  h->ring = zj_xcalloc ((size_t) h->window, sizeof (double));
  h->sorted = zj_xcalloc ((size_t) h->window, sizeof (double));
}

void
zj_hurdle_free (zj_hurdle *h)
{
  free (h->ring);
  free (h->sorted);
  h->ring = h->sorted = NULL;
}

/* The threshold is refreshed every quarter window (at most
   HURDLE_REFRESH) scores: sorting per candidate would cost more than a
   demo evaluation. */
bool
zj_hurdle_pass (zj_hurdle *h, double score)
{
  const long W = h->window;
  const long n = h->count < W ? h->count : W;
  const bool ready = n >= (W + 3) / 4;
  const bool pass = !ready || score >= h->threshold;
  h->ring[h->count++ % W] = score;
  const long refresh = W / 4 < HURDLE_REFRESH ? (W + 3) / 4 : HURDLE_REFRESH;
  if (h->count % refresh == 0)
    {
      const long m = h->count < W ? h->count : W;
      memcpy (h->sorted, h->ring, (size_t) m * sizeof (double));
      zj_sort_doubles (h->sorted, (size_t) m);
      long k = (long) (h->percentile / 100.0 * (double) (m - 1));
      k = k < 0 ? 0 : k >= m ? m - 1 : k;
      h->threshold = h->sorted[k];
    }
  return pass;
}
