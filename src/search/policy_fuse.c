/* policy_fuse.c -- the fused step kernels' economics (policy.h,
 * jit/fused.h): compile ms and saving ns per work unit, learned online
 * from the priors, and whether and after how many uses fusing a
 * structure pays.  Asked by each door under --jit=auto
 * (jit/tier_door.c).
 *
 * Arithmetic only, like policy.c (tests/test_policy.c).
 */
#include "policy.h"
#include <limits.h>
#include <math.h>
#include <string.h>

void
zj_fuse_model_init (zj_fuse_model *m)
{
  memset (m, 0, sizeof *m);
}

void
zj_fuse_model_add_compile (zj_fuse_model *m, int n, double work, double ms)
{
  if (n < 1 || !(work > 0.0) || !(ms > 0.0) || !isfinite (work)
      || !isfinite (ms))
    return;
  m->ms_excess += ms - n * ZJ_FUSE_FIXED_MS;
  m->work += work;
  m->compiles += n;
}

void
zj_fuse_model_add_saving (zj_fuse_model *m, double work, double stencil_ns,
                          double fused_ns)
{
  if (!(work > 0.0) || !(stencil_ns > 0.0) || !(fused_ns > 0.0)
      || !isfinite (work) || !isfinite (stencil_ns) || !isfinite (fused_ns))
    return;
  m->saving_sum += (stencil_ns - fused_ns) / work;
  m->savings++;
}

/* prior, moved towards measured as n samples add to ZJ_FUSE_PRIOR_N. */
static double
blend (double prior, double measured, long n)
{
  return (ZJ_FUSE_PRIOR_N * prior + n * measured) / (ZJ_FUSE_PRIOR_N + n);
}

double
zj_fuse_model_ms_per_unit (const zj_fuse_model *m)
{
  if (m->compiles == 0)
    return ZJ_FUSE_PRIOR_MS_PER_UNIT;
  /* A kernel cheaper than the fixed cost says "no per-unit cost", not a
     negative one. */
  const double measured = fmax (0.0, m->ms_excess / m->work);
  return blend (ZJ_FUSE_PRIOR_MS_PER_UNIT, measured, m->compiles);
}

double
zj_fuse_model_ns_per_unit (const zj_fuse_model *m)
{
  if (m->savings == 0)
    return ZJ_FUSE_PRIOR_NS_PER_UNIT;
  return blend (ZJ_FUSE_PRIOR_NS_PER_UNIT, m->saving_sum / m->savings,
                m->savings);
}

double
zj_fuse_model_compile_ms (const zj_fuse_model *m, double work)
{
  return ZJ_FUSE_FIXED_MS + zj_fuse_model_ms_per_unit (m) * work;
}

/* ms saved by `uses` evaluations of `examples` examples. */
static double
fuse_saved_ms (const zj_fuse_model *m, double work, double examples,
               long uses)
{
  return (double) uses * examples * zj_fuse_model_ns_per_unit (m) * 1e-6
         * work;
}

double
zj_fuse_model_net_ms (const zj_fuse_model *m, double work, double examples,
                      long uses)
{
  return fuse_saved_ms (m, work, examples, uses)
         - zj_fuse_model_compile_ms (m, work);
}

bool
zj_fuse_model_pays (const zj_fuse_model *m, double work, double examples,
                    long uses)
{
  const double saved = fuse_saved_ms (m, work, examples, uses);
  return saved > 0.0
         && saved >= ZJ_FUSE_MARGIN * zj_fuse_model_compile_ms (m, work);
}

long
zj_fuse_model_uses (const zj_fuse_model *m, double work, double examples)
{
  const double per_use = fuse_saved_ms (m, work, examples, 1);
  if (!(per_use > 0.0))
    return LONG_MAX;
  const double u = ceil (ZJ_FUSE_MARGIN * zj_fuse_model_compile_ms (m, work)
                         / per_use);
  if (!(u < 1e15))
    return LONG_MAX;
  long n = u < 1.0 ? 1 : (long) u;
  /* The rounding of the division and of pays' product may differ by one. */
  while (!zj_fuse_model_pays (m, work, examples, n))
    n++;
  while (n > 1 && zj_fuse_model_pays (m, work, examples, n - 1))
    n--;
  return n;
}
