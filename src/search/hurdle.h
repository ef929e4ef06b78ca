/* hurdle.h -- progressive hurdles: a candidate whose score on the first
 * tasks is below a percentile of recent candidates' scores stops there.
 */
#ifndef ZJ_HURDLE_H
#define ZJ_HURDLE_H
#include <stdbool.h>

typedef struct zj_hurdle {
  long window;                 /* recent scores considered (>= 4) */
  double percentile;           /* of those, the threshold (0..100) */
  double *ring, *sorted;       /* the window's scores; scratch */
  long count;                  /* scores seen */
  double threshold;
} zj_hurdle;

void zj_hurdle_init (zj_hurdle *h, int window, double percentile);
void zj_hurdle_free (zj_hurdle *h);
/* Records score; true if the candidate passes (always until a quarter of
   the window is filled). */
bool zj_hurdle_pass (zj_hurdle *h, double score);
#endif
