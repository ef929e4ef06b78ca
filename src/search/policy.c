/* policy.c -- cost model and compile decision of the tiered evaluator:
 * the tier modes and knobs, the tiers' online cost model (compile time,
 * ns per example of each tier, the keep rate of children), the compile
 * decision (zj_policy_decide) and the tier's counters line.  The baseline
 * tier's probe and sampling model is in policy_baseline.c, the fused
 * kernels' model in policy_fuse.c (all declared in policy.h).
 *
 * Everything is arithmetic on measured or synthetic numbers: no clock, no
 * libgccjit, no global state, so the same inputs always give the same
 * decision (tests/test_policy.c).
 */
#include "policy.h"
#include "policy_internal.h"
#include <math.h>
#include <string.h>

/* Priors until measurements arrive.  Our lowering emits a whole task
   evaluation per program, and `zerojit bench` measures 110-215 ms for
   5-19 live instructions at -O1 on a quiet machine (bench/RESULTS.md), far
   above the ~18 ms floor of any libgccjit compile; an optimistic prior made
   short runs start a compile they never used and then wait for it at exit.
   The interpreter ~1 ns per example per work unit, native code twice as
   fast. */
#define PRIOR_FIXED_MS 100.0
#define PRIOR_INSTR_MS 5.0
#define PRIOR_INTERP_NS 1.0
#define PRIOR_JIT_RATIO 0.5
#define MIN_RUN_EXAMPLES 1000.0
#define RUN_OUTLIER 3.0
#define DECAY 0.98               /* weight of older compile measurements */
#define RUN_DECAY 0.995
#define KEEP_DECAY 0.999
#define KEEP_MIN_CHILDREN 20.0

static const char *const mode_names[] = {
  "off", "auto", "always", "baseline", "optimized", "optimized-all"
};
#define N_MODES (int) (sizeof mode_names / sizeof mode_names[0])

int
zj_tier_mode_parse (const char *s, zj_tier_mode *m)
{
  for (int i = 0; i < N_MODES; i++)
    if (s && !strcmp (s, mode_names[i]))
      {
        *m = (zj_tier_mode) i;
        return 0;
      }
  return -1;
}

const char *
zj_tier_mode_name (zj_tier_mode m)
{
  return (unsigned) m < (unsigned) N_MODES ? mode_names[m] : "?";
}

void
zj_policy_knobs_default (zj_policy_knobs *k)
{
  /* "hits" (a structure seen k times will be seen ~k more times) made
     auto compile far too much in bench/bench_tiering.sh's mixed spec:
     clones and FEC hits inflate the count.  Off unless asked for. */
  k->signals = ZJ_SIG_STAGE | ZJ_SIG_RANK | ZJ_SIG_KEEP;
  k->margin = 1.5;
  k->compile_weight = 1.0;
  k->batch_max = 8;
  k->keep_prior = 0.25;
  k->base_margin = 1.2;
  k->explore_frac = 0.002;
}

void
zj_cost_model_init (zj_cost_model *m)
{
  memset (m, 0, sizeof *m);
  m->interp_ns = PRIOR_INTERP_NS;
  m->jit_ns = PRIOR_INTERP_NS * PRIOR_JIT_RATIO;
  m->base_ns = PRIOR_INTERP_NS * PRIOR_BASE_RATIO;
}

void
zj_cost_model_add_compile (zj_cost_model *m, int n, double instrs, double ms)
{
  if (n <= 0 || !(ms >= 0.0))
    return;
  for (int i = 0; i < 5; i++)
    m->cs[i] *= DECAY;
  m->cs[0] += 1.0;
  m->cs[1] += instrs;
  m->cs[2] += ms;
  m->cs[3] += instrs * instrs;
  m->cs[4] += instrs * ms;
  m->compiles++;
}

/* Fixed ms per batch and ms per instruction: least squares when the
   measured sizes spread enough, else the prior slope through the mean. */
static void
compile_fit (const zj_cost_model *m, double *fixed, double *per_instr)
{
  const double n = m->cs[0];
  if (m->compiles == 0 || n <= 0.0)
    {
      *fixed = PRIOR_FIXED_MS;
      *per_instr = PRIOR_INSTR_MS;
      return;
    }
  const double mx = m->cs[1] / n, my = m->cs[2] / n;
  const double vx = m->cs[3] / n - mx * mx;
  double b = PRIOR_INSTR_MS;
  if (m->compiles >= 3 && vx > 1.0)
    b = (m->cs[4] / n - mx * my) / vx;
  if (b < 0.0)
    b = 0.0;
  double a = my - b * mx;
  if (a < 0.0)
    {
      a = 0.0;
      b = mx > 0.0 ? my / mx : PRIOR_INSTR_MS;
    }
  *fixed = a;
  *per_instr = b;
}

double
zj_cost_model_compile_ms (const zj_cost_model *m, double instrs, int n)
{
  double a, b;
  compile_fit (m, &a, &b);
  return a / (n > 0 ? n : 1) + b * instrs;
}

void
zj_cost_model_add_run (zj_cost_model *m, int tier, double examples,
                       double work, double ns)
{
  const double units = examples * (work > 1.0 ? work : 1.0);
  /* A run's fixed cost (Setup, decoding, clearing memory) spread over a
     few examples would read as a per-example cost many times the real
     one: FEC mini-runs (20 examples a task) made the NN search's
     interpreter look ~100x slower per example than it is, and the
     policy compile for savings that were not there. */
  if (examples < MIN_RUN_EXAMPLES || units <= 0.0 || !(ns > 0.0))
    return;
  /* A preempted run (the clock is wall time) is clipped to RUN_OUTLIER
     times what the model expects for its work. */
  const long *seen = tier == ZJ_RUN_OPTIMIZED ? &m->jit_runs
                     : tier == ZJ_RUN_BASELINE ? &m->base_runs : &m->interp_runs;
  if (*seen >= 4)
    {
      const double cap = RUN_OUTLIER * zj_cost_model_ns_at (m, tier, work)
                         * examples;
      if (ns > cap)
        ns = cap;
    }
  const double x = ns / units;
  /* Weighted by the run's size so that tiny runs (timer noise) count
     little; a running ratio of decayed sums. */
  double *v = tier == ZJ_RUN_OPTIMIZED ? &m->jit_ns
              : tier == ZJ_RUN_BASELINE ? &m->base_ns : &m->interp_ns;
  long *cnt = tier == ZJ_RUN_OPTIMIZED ? &m->jit_runs
              : tier == ZJ_RUN_BASELINE ? &m->base_runs : &m->interp_runs;
  const double w = units / (units + 1e4);
  const double a = *cnt == 0 ? 1.0 : (1.0 - RUN_DECAY) * (1.0 + 20.0 * w);
  *v += (a > 1.0 ? 1.0 : a) * (x - *v);
  (*cnt)++;
  /* The line: one point per run, weighted like the ratio above. */
  const int t = tier == ZJ_RUN_OPTIMIZED ? 1 : tier == ZJ_RUN_BASELINE ? 2 : 0;
  double *f = m->fit[t];
  const double wx = work > 1.0 ? work : 1.0, y = ns / examples;
  const double wt = 0.05 + w;
  for (int i = 0; i < 5; i++)
    f[i] *= RUN_DECAY;
  f[0] += wt;
  f[1] += wt * wx;
  f[2] += wt * y;
  f[3] += wt * wx * wx;
  f[4] += wt * wx * y;
  m->fit_runs[t]++;
}

/* a + b * work from tier t's sums; false when too few runs or works too
   alike to separate a fixed cost from a per-unit one. */
static bool
line_of (const zj_cost_model *m, int t, double *a, double *b)
{
  const double *f = m->fit[t];
  if (m->fit_runs[t] < 4 || !(f[0] > 0.0))
    return false;
  const double mx = f[1] / f[0], my = f[2] / f[0];
  const double vx = f[3] / f[0] - mx * mx;
  if (!(vx > 0.01 * mx * mx) || !(vx > 1.0))
    return false;
  *b = (f[4] / f[0] - mx * my) / vx;
  if (*b < 0.0)
    *b = 0.0;
  *a = my - *b * mx;
  if (*a < 0.0)
    {
      *a = 0.0;
      *b = mx > 0.0 ? my / mx : *b;
    }
  return true;
}

void
zj_cost_model_line (const zj_cost_model *m, double *a, double *b)
{
  if (!line_of (m, 0, a, b))
    {
      *a = 0.0;
      *b = zj_cost_model_ns (m, ZJ_RUN_INTERP);
    }
}

double
zj_cost_model_ns_at (const zj_cost_model *m, int tier, double work)
{
  const double w = work > 1.0 ? work : 1.0;
  double a, b;
  if (tier == ZJ_RUN_OPTIMIZED && m->jit_runs == 0)
    return PRIOR_JIT_RATIO * zj_cost_model_ns_at (m, ZJ_RUN_INTERP, work);
  const int t = tier == ZJ_RUN_OPTIMIZED ? 1 : tier == ZJ_RUN_BASELINE ? 2 : 0;
  if (line_of (m, t, &a, &b))
    return a + b * w;
  return w * zj_cost_model_ns (m, tier);
}

double
zj_cost_model_ns (const zj_cost_model *m, int tier)
{
  /* Before a tier has run, assume its prior ratio to the interpreter as
     measured. */
  if (tier == ZJ_RUN_OPTIMIZED)
    return m->jit_runs ? m->jit_ns : m->interp_ns * PRIOR_JIT_RATIO;
  if (tier == ZJ_RUN_BASELINE)
    return m->base_runs ? m->base_ns : m->interp_ns * PRIOR_BASE_RATIO;
  return m->interp_ns;
}

void
zj_cost_model_set_base_ratio (zj_cost_model *m, double ratio)
{
  if (ratio > 0.0)
    m->base_ratio = ratio;
}

/* ns per example per work unit of what runs when nothing is compiled:
   the interpreter, or the baseline when it was measured faster. */
double
zj_cost_model_fallback_at (const zj_cost_model *m, double work)
{
  const double ip = zj_cost_model_ns_at (m, ZJ_RUN_INTERP, work);
  return m->base_ratio > 0.0 && m->base_ratio < 1.0 ? ip * m->base_ratio : ip;
}

double
zj_cost_model_fallback_ns (const zj_cost_model *m)
{
  const double ip = zj_cost_model_ns (m, ZJ_RUN_INTERP);
  return m->base_ratio > 0.0 && m->base_ratio < 1.0 ? ip * m->base_ratio : ip;
}

void
zj_cost_model_add_child (zj_cost_model *m, bool kept)
{
  m->children = m->children * KEEP_DECAY + 1.0;
  m->kept = m->kept * KEEP_DECAY + (kept ? 1.0 : 0.0);
}

double
zj_cost_model_keep_rate (const zj_cost_model *m)
{
  return m->children >= KEEP_MIN_CHILDREN ? m->kept / m->children : -1.0;
}

double
zj_policy_children (int rank, int P, int T)
{
  if (P <= 0 || T <= 0 || rank < 0 || rank >= P)
    return 0.0;
  const double above = (double) (P - rank) / P;      /* P(pick <= rank) */
  const double below = (double) (P - rank - 1) / P;
  return P * (pow (above, T) - pow (below, T));
}

zj_decision
zj_policy_decide (const zj_policy_knobs *k, const zj_cost_model *m,
                  const zj_candidate *c)
{
  zj_decision d = { 0 };
  /* What runs when nothing is compiled: the faster of the interpreter
     and the baseline, once the baseline has been measured. */
  /* ns per example of this candidate's work, tier by tier. */
  double ip = zj_cost_model_fallback_at (m, c->work);
  double jp = zj_cost_model_ns_at (m, ZJ_RUN_OPTIMIZED, c->work);
  /* A select/final evaluation (no future evaluations) is one long run of
     one structure whose work may lie far beyond the search's: the line
     fitted on search programs and the per-unit ratio bracket its cost,
     and the stage takes the higher.  A wrong guess costs one compile per
     selected candidate; a missed one leaves the longest evaluations of a
     search interpreted (bench/tiering's mixed spec: 1.2x with it). */
  if (c->examples_per_eval <= 0.0)
    {
      const double r = c->work * zj_cost_model_ns (m, ZJ_RUN_INTERP);
      if (r > ip)
        {
          jp *= r / ip;
          ip = r;
        }
    }
  const int bmax = k->batch_max > 0 ? k->batch_max : 1;
  const int batch = c->queued + 1 < bmax ? c->queued + 1 : bmax;
  const double compile = zj_cost_model_compile_ms (m, c->instrs, batch);
  d.cost_ms = compile * k->compile_weight;
  if (jp >= ip || c->work <= 0.0)
    return d;
  const double gain_ms = (ip - jp) * 1e-6;   /* per example */
  /* Stage: this evaluation's remaining examples.  Without the signal the
     policy cannot tell a select/final evaluation from a search one. */
  double now = c->examples_now;
  if (!(k->signals & ZJ_SIG_STAGE) && now > c->examples_per_eval)
    now = c->examples_per_eval;
  /* The interpreter keeps going while the compile (behind the queue) is
     pending; only the examples left after it arrives run natively. */
  const double latency = compile * (1.0 + (double) c->queued / bmax);
  const double interp_ms = now * ip * 1e-6;
  const double now_saving = interp_ms > latency
                            ? (interp_ms - latency) * (1.0 - jp / ip) : 0.0;
  double keep = k->keep_prior;
  if (k->signals & ZJ_SIG_KEEP)
    {
      const double r = zj_cost_model_keep_rate (m);
      if (r >= 0.0)
        keep = r;
    }
  const double children = (k->signals & ZJ_SIG_RANK) && c->children >= 0.0
                          ? c->children : 1.0;
  d.future_evals = children * keep;
  if (k->signals & ZJ_SIG_HITS)
    d.future_evals += c->repeats;
  d.saving_ms = now_saving + d.future_evals * c->examples_per_eval * gain_ms;
  d.compile = d.saving_ms > k->margin * d.cost_ms;
  return d;
}

void
zj_tier_stats_print (const zj_tier_stats *s, bool json, FILE *out)
{
  const double ex = s->examples_native + s->examples_interp;
  const double hit = s->lookups ? (double) s->native_evals / s->lookups : 0.0;
  const double batch = s->batches ? (double) s->compiles / s->batches : 0.0;
  const double share = ex > 0 ? s->examples_native / ex : 0.0;
  if (json)
    fprintf (out, "\"jit\": \"%s\", \"compiles\": %ld, \"compile_batches\": %ld, "
             "\"mean_batch\": %.2f, \"compile_requests\": %ld, "
             "\"compile_failures\": %ld, \"code_cache_hit_rate\": %.4f, "
             "\"switched_to_native\": %ld, \"native_share\": %.4f, "
             "\"compile_ms\": %.1f",
             zj_tier_mode_name (s->mode), s->compiles, s->batches, batch,
             s->requests, s->failures, hit, s->switched, share, s->compile_ms);
  else
    fprintf (out, " jit=%s, compiles=%ld, batch=%.1f, cache_hit=%.3f, "
             "native=%.3f, compile_ms=%.0f,",
             zj_tier_mode_name (s->mode), s->compiles, batch, hit, share,
             s->compile_ms);
  /* The baseline tier's figures (its examples also count as interpreted
     above: it runs inside the lane evaluation). */
  if (s->base_kernels || s->base_hits || s->base_skips || s->base_failures
      || s->base_fallbacks)
    {
      const double bshare = ex > 0 ? s->examples_base / ex : 0.0;
      if (json)
        fprintf (out, ", \"baseline_kernels\": %ld, \"baseline_hits\": %ld, "
                 "\"baseline_skips\": %ld, \"baseline_failures\": %ld, "
                 "\"baseline_ready_ms\": %.2f, \"baseline_share\": %.4f, "
                 "\"baseline_ratio\": %.3f, \"baseline_fallbacks\": %ld, "
                 "\"baseline_waits\": %ld",
                 s->base_kernels, s->base_hits, s->base_skips,
                 s->base_failures, s->base_ready_ms, bshare, s->base_ratio,
                 s->base_fallbacks, s->base_waits);
      else
        fprintf (out, " baseline_kernels=%ld, baseline_hits=%ld, "
                 "baseline_ready_ms=%.1f, baseline=%.3f, baseline_ratio=%.3f,",
                 s->base_kernels, s->base_hits, s->base_ready_ms, bshare,
                 s->base_ratio);
      if (s->base_margin > 0.0)
        fprintf (out, json ? ", \"baseline_margin\": %.2f"
                           : " baseline_margin=%.2f,", s->base_margin);
      /* Only when there were any (a build in the background, a failed
         one): the lines of a search with its stencils cached stay as
         they were. */
      if (!json && (s->base_fallbacks || s->base_failures))
        fprintf (out, " baseline_fallbacks=%ld, baseline_waits=%ld, "
                 "baseline_failures=%ld,", s->base_fallbacks, s->base_waits,
                 s->base_failures);
    }
  /* Fused step kernels (jit/fused.h): their examples count as baseline
     examples too. */
  if (s->fused_requests || s->fused_hits)
    {
      const double fshare = ex > 0 ? s->examples_fused / ex : 0.0;
      if (json)
        {
          fprintf (out, ", \"fused_requests\": %ld, \"fused_kernels\": %ld, "
                   "\"fused_failures\": %ld, \"fused_ms\": %.1f, "
                   "\"fused_hits\": %ld, \"fused_share\": %.4f",
                   s->fused_requests, s->fused_compiles, s->fused_failures,
                   s->fused_ms, s->fused_hits, fshare);
          /* What the fusing policy has learned (zj_fuse_model), in the
             JSON log only. */
          if (s->fused_requests)
            fprintf (out, ", \"fused_compile_ms_per_unit\": %.4f, "
                     "\"fused_saving_ns_per_unit\": %.5f",
                     s->fused_ms_per_unit, s->fused_ns_per_unit);
        }
      else
        fprintf (out, " fused_kernels=%ld, fused_failures=%ld, fused_ms=%.0f, "
                 "fused_hits=%ld, fused=%.3f,",
                 s->fused_compiles, s->fused_failures, s->fused_ms,
                 s->fused_hits, fshare);
    }
  /* Per-task stencils (jit/ptask.h): their examples count as
     interpreted above (they run inside the single-task evaluation). */
  if (s->ptask_kernels || s->ptask_hits || s->ptask_failures)
    {
      const double pshare = ex > 0 ? s->examples_ptask / ex : 0.0;
      if (json)
        fprintf (out, ", \"ptask_kernels\": %ld, \"ptask_hits\": %ld, "
                 "\"ptask_failures\": %ld, \"ptask_ready_ms\": %.2f, "
                 "\"ptask_share\": %.4f",
                 s->ptask_kernels, s->ptask_hits, s->ptask_failures,
                 s->ptask_ready_ms, pshare);
      else
        fprintf (out, " ptask_kernels=%ld, ptask_hits=%ld, ptask_ready_ms=%.1f, "
                 "ptask=%.3f,", s->ptask_kernels, s->ptask_hits,
                 s->ptask_ready_ms, pshare);
    }
  if (s->split_evals)
    {
      if (json)
        fprintf (out, ", \"split_evals\": %ld", s->split_evals);
      else
        fprintf (out, " split_evals=%ld,", s->split_evals);
    }
  /* Candidates the doors let pass quietly (jit/tier_door.c): only when
     there were any. */
  if (s->quiet)
    fprintf (out, json ? ", \"quiet\": %ld" : " quiet=%ld,", s->quiet);
}
