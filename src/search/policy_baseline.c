/* policy_baseline.c -- the baseline tier's economics (policy.h): probes
 * and paired probes of a structure on its kernel and interpreted, the
 * sampling rate of timed lane evaluations, kernel reuse, the A/B test
 * that scales the margin, and the choice to make, use or skip a kernel
 * (zj_policy_base_choice).  Fed online by each evaluator's door
 * (jit/tier_door.c); the tiers' cost model is in policy.c.
 *
 * Arithmetic only, like policy.c: the same inputs always give the same
 * choice (tests/test_policy.c).
 */
#include "policy.h"
#include "policy_internal.h"
#include <math.h>
#include <string.h>

/* Probes needed on each side before their ratio replaces the prior. */
#define BASE_MIN_PROBES 8
/* A lookup decodes and hashes Predict and Learn: ~0.2-0.5 us measured on
   the demo (callgrind); the prior until timed. */
#define PRIOR_LOOKUP_NS 300.0
#define PRIOR_BASE_INTERP_NS 2.0
#define PRIOR_FIRST_NS 2000.0
#define PROBE_DECAY 0.99
/* Saving per example the probes must show beyond noise before a kernel
   is made: on the paper setting the baseline runs at ~1.0x the lane
   interpreter and the probes' ratio wanders 0.95-1.13 around it. */
#define PROBE_SLACK 0.02
#define KERNEL_DECAY 0.999

void
zj_base_model_init (zj_base_model *m)
{
  memset (m, 0, sizeof *m);
  m->ready_ns = PRIOR_READY_NS;
  m->lookup_ns = PRIOR_LOOKUP_NS;
  m->first_ns = PRIOR_FIRST_NS;
  m->margin_scale = 1.0;
}

/* The door's clock is wall time, and on a shared machine a run that was
   preempted costs milliseconds: a measurement above OUTLIER times the
   current estimate is clipped to it, so one preemption cannot move the
   model (a real shift still moves it, OUTLIER-fold per sample). */
#define OUTLIER 3.0

static double
clip (double x, double ref)
{
  return ref > 0.0 && x > OUTLIER * ref ? OUTLIER * ref : x;
}

void
zj_base_model_add_probe (zj_base_model *m, bool native, double examples,
                         double ns)
{
  if (!(examples > 0.0) || !(ns > 0.0))
    return;
  const int i = native ? 1 : 0;
  /* Reference: this side's mean once it has some probes, else the other
     side's, else every timed interpreted run's. */
  const double ref = m->probes[i] >= BASE_MIN_PROBES ? m->ns[i] / m->ex[i]
                     : m->probes[1 - i] >= BASE_MIN_PROBES
                       ? m->ns[1 - i] / m->ex[1 - i]
                     : m->ex_all > 0.0 ? m->ns_all / m->ex_all : 0.0;
  ns = clip (ns / examples, ref) * examples;
  m->ex[i] = m->ex[i] * PROBE_DECAY + examples;
  m->ns[i] = m->ns[i] * PROBE_DECAY + ns;
  m->probes[i]++;
}

/* Starts from the prior, to which the first sample is clipped too. */
static void
ewma (double *v, long *n, double x, double rate)
{
  x = clip (x, *v);
  *v += (*n == 0 ? 1.0 : rate) * (x - *v);
  (*n)++;
}

void
zj_base_model_add_ready (zj_base_model *m, double ns)
{
  if (ns >= 0.0)
    ewma (&m->ready_ns, &m->readies, ns, 0.05);
}

void
zj_base_model_add_lookup (zj_base_model *m, double ns)
{
  if (ns >= 0.0)
    ewma (&m->lookup_ns, &m->lookups, ns, 0.05);
}

void
zj_base_model_add_first (zj_base_model *m, double extra_ns)
{
  /* Compared with the same kernel's later run: the search-wide mean
     cost per example, used before, differs from one structure's by up
     to 100x, and the paper setting's estimate climbed to 1.5 ms (a
     kernel's time to ready is ~10 us), closing the gate. */
  if (!isfinite (extra_ns))
    return;
  m->first_ns += (m->firsts == 0 ? 1.0 : 0.05) * (extra_ns - m->first_ns);
  m->firsts++;
}

void
zj_base_model_add_kernel (zj_base_model *m)
{
  m->kernels = m->kernels * KERNEL_DECAY + 1.0;
  m->reuse_ex *= KERNEL_DECAY;
}

void
zj_base_model_add_consult (zj_base_model *m, bool hit, double examples)
{
  m->consults = m->consults * KERNEL_DECAY + 1.0;
  m->hits *= KERNEL_DECAY;
  if (hit)
    {
      m->hits += 1.0;
      m->reuse_ex += examples;
    }
}

void
zj_base_model_add_interp (zj_base_model *m, double examples, double ns)
{
  if (!(examples > 0.0) || !(ns > 0.0))
    return;
  if (m->ex_all > 0.0)
    ns = clip (ns / examples, m->ns_all / m->ex_all) * examples;
  m->ex_all = m->ex_all * PROBE_DECAY + examples;
  m->ns_all = m->ns_all * PROBE_DECAY + ns;
}

void
zj_base_model_add_time (zj_base_model *m, double run_ns, double explore_ns)
{
  if (run_ns > 0.0)
    m->run_ns += run_ns;
  if (explore_ns > 0.0)
    m->explore_ns += explore_ns;
}

#define AB_WINDOW 64
#define AB_SCALE_MAX 64.0

void
zj_base_model_add_ab (zj_base_model *m, bool policy, double examples,
                      double ns)
{
  if (!(examples > 0.0) || !(ns > 0.0))
    return;
  const int i = policy ? 1 : 0;
  const double ref = m->ab_ex[i] > 0.0 ? m->ab_ns[i] / m->ab_ex[i]
                     : m->ex_all > 0.0 ? m->ns_all / m->ex_all : 0.0;
  m->ab_ns[i] += clip (ns / examples, ref) * examples;
  m->ab_ex[i] += examples;
  m->ab_n[i]++;
  if (m->ab_n[0] < AB_WINDOW || m->ab_n[1] < AB_WINDOW)
    return;
  const double r = (m->ab_ns[1] / m->ab_ex[1]) / (m->ab_ns[0] / m->ab_ex[0]);
  if (r > 1.0)
    m->margin_scale = m->margin_scale * 1.5 < AB_SCALE_MAX
                      ? m->margin_scale * 1.5 : AB_SCALE_MAX;
  else if (r < 0.98)
    m->margin_scale = m->margin_scale / 1.1 > 1.0 ? m->margin_scale / 1.1 : 1.0;
  memset (m->ab_ex, 0, sizeof m->ab_ex);
  memset (m->ab_ns, 0, sizeof m->ab_ns);
  memset (m->ab_n, 0, sizeof m->ab_n);
}

/* Native code runs bench/layout's programs at 0.62-1.0x the lane
   interpreter (bench/RESULTS.md; fused matvec_learn the fastest): a pair
   further apart than PAIR_OUTLIER is a preempted run, not a kernel. */
#define PAIR_OUTLIER 1.7

static double
pair_ratio (const zj_base_model *m)
{
  return m->pair_ns[1] / m->pair_ns[0];
}

void
zj_base_model_add_pair (zj_base_model *m, double examples,
                        double native_per_ex, double interp_ns)
{
  if (!(examples > 0.0) || !(native_per_ex > 0.0) || !(interp_ns > 0.0)
      || !isfinite (examples) || !isfinite (native_per_ex)
      || !isfinite (interp_ns))
    return;
  /* A preempted run on either side is clipped against the other, so a
     pair's ratio stays within [1/PAIR_OUTLIER, PAIR_OUTLIER]: pairs are
     few and weighted by time, and on the wall clock one 6 ms run
     preempted to twice its length moved the ratio of 40 pairs from 0.9
     to 0.6.  (The door times pairs on the thread's CPU clock now, which
     preemption does not inflate, but a run can still be slowed by a
     neighbour's cache traffic.) */
  double ip = interp_ns / examples;
  const double np = fmin (native_per_ex, PAIR_OUTLIER * ip);
  ip = fmin (ip, PAIR_OUTLIER * np);
  m->pair_ex = m->pair_ex * PROBE_DECAY + examples;
  m->pair_ns[0] = m->pair_ns[0] * PROBE_DECAY + ip * examples;
  m->pair_ns[1] = m->pair_ns[1] * PROBE_DECAY + np * examples;
  m->pairs++;
  if (m->pairs < ZJ_BASE_WARM_PAIRS)
    return;
  const double r = pair_ratio (m);
  if (r < ZJ_BASE_SETTLE_RATIO)
    m->settled = true;
  else if (r > ZJ_BASE_UNSETTLE_RATIO)
    m->settled = false;
}

unsigned
zj_base_model_sample_every (const zj_base_model *m)
{
  if (m->pairs < ZJ_BASE_WARM_PAIRS)
    return 1;
  return m->settled ? ZJ_BASE_SAMPLE_SETTLED : ZJ_BASE_SAMPLE_WARM;
}

double
zj_base_model_ratio (const zj_base_model *m, bool *measured)
{
  if (m->pairs >= BASE_MIN_PROBES && m->pair_ns[0] > 0.0)
    {
      *measured = true;
      return pair_ratio (m);
    }
  *measured = !(m->probes[0] < BASE_MIN_PROBES || m->probes[1] < BASE_MIN_PROBES
                || !(m->ex[0] > 0.0) || !(m->ex[1] > 0.0) || !(m->ns[0] > 0.0));
  if (!*measured)
    return PRIOR_BASE_RATIO;
  return (m->ns[1] / m->ex[1]) / (m->ns[0] / m->ex[0]);
}

double
zj_base_model_interp_ns (const zj_base_model *m)
{
  if (m->pairs >= BASE_MIN_PROBES && m->pair_ex > 0.0)
    return m->pair_ns[0] / m->pair_ex;
  if (m->probes[0] >= BASE_MIN_PROBES && m->ex[0] > 0.0)
    return m->ns[0] / m->ex[0];
  if (m->ex_all > 0.0)
    return m->ns_all / m->ex_all;
  return PRIOR_BASE_INTERP_NS;
}

double
zj_base_model_reuse (const zj_base_model *m)
{
  return m->kernels >= 1.0 ? m->reuse_ex / m->kernels : 0.0;
}

zj_base_choice
zj_policy_base_choice (const zj_policy_knobs *k, const zj_base_model *m,
                       double examples, bool forced)
{
  if (forced)
    return ZJ_BASE_MAKE;
  /* ns saved per example on a kernel, as the probes measured it.
     Settled (zj_base_model_sample_every), the ratio counts as at most
     the settling one: a few noisy pairs between it and the unsettling
     one must not close the gate. */
  bool measured;
  double r = zj_base_model_ratio (m, &measured);
  if (m->settled && r > ZJ_BASE_SETTLE_RATIO)
    r = ZJ_BASE_SETTLE_RATIO;
  const double gain = (1.0 - PROBE_SLACK - r) * zj_base_model_interp_ns (m);
  if (gain > 0.0 && examples > 0.0)
    {
      const double life = examples + zj_base_model_reuse (m);
      const double margin = k->base_margin * m->margin_scale;
      const double first = m->first_ns > 0.0 ? m->first_ns : 0.0;
      if (gain * life > margin * (m->ready_ns + first + m->lookup_ns))
        return ZJ_BASE_MAKE;
      /* A lookup pays when a hit is likely enough to save more than it. */
      const double p_hit = m->consults >= 1.0 ? m->hits / m->consults : 0.5;
      if (p_hit * gain * examples > m->margin_scale * m->lookup_ns)
        return ZJ_BASE_USE;
    }
  return m->explore_ns < k->explore_frac * m->run_ns ? ZJ_BASE_EXPLORE
                                                       : ZJ_BASE_SKIP;
}
