/* fitness.c -- fitness formulas (RMS error, accuracy's sigmoid) and
 * combining the fitnesses of several tasks into one. */
#include "internal.h"
#include <math.h>
#include "sigmoid.h"

double
zj_rms_fitness (double loss, int n)
{
  const double rms = sqrt (loss / n);
  if (!isfinite (rms))
    return 0.0;
  return 1.0 - (2.0 / M_PI) * atan (rms);
}

/* One live lane of the lane sigmoid (sigmoid.h): the single-task
   interpreter and native code (which calls this function) use the same
   SLEEF entry point as the lane interpreter, so all tiers agree bit for
   bit. */
double
zj_sigmoid (double x)
{
  return zj_lsigmoid (zj_lsplat (x))[0];
}

double
zj_combine_fitness (const double *f, int n, zj_combination mode)
{
  if (n <= 0)
    return 0.0;
  if (mode == ZJ_COMBINE_MEDIAN)
    {
      double *tmp = zj_xmalloc ((size_t) n * sizeof *tmp);
      for (int i = 0; i < n; i++)
        tmp[i] = f[i];
      zj_sort_doubles (tmp, (size_t) n);
      double m = tmp[n / 2];
      free (tmp);
      return m;
    }
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += f[i];
  return s / n;
}
