/* test_policy.c -- the tiering policy with synthetic costs: the cost
 * model's fits, tournament arithmetic, and decisions that must come out
 * the same every time for the same inputs. */
#include <criterion/criterion.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "policy.h"

/* A model that has measured: compiles of 10 ms + 1 ms/instr, interpreter
   2 ns and native code 1 ns per example per work unit. */
static void
synthetic (zj_cost_model *m)
{
  zj_cost_model_init (m);
  for (int i = 0; i < 10; i++)
    {
      const double x = 10.0 + 10.0 * (i % 5);
      zj_cost_model_add_compile (m, 1, x, 10.0 + x);
    }
  zj_cost_model_add_run (m, false, 1e6, 1.0, 2e6);
  zj_cost_model_add_run (m, true, 1e6, 1.0, 1e6);
}

Test (policy, mode_names)
{
  zj_tier_mode m;
  cr_assert_eq (zj_tier_mode_parse ("auto", &m), 0);
  cr_assert_eq (m, ZJ_TIER_AUTO);
  cr_assert_eq (zj_tier_mode_parse ("always", &m), 0);
  cr_assert_eq (m, ZJ_TIER_ALWAYS);
  cr_assert_eq (zj_tier_mode_parse ("off", &m), 0);
  cr_assert_eq (m, ZJ_TIER_OFF);
  cr_assert_eq (zj_tier_mode_parse ("optimized-all", &m), 0);
  cr_assert_eq (m, ZJ_TIER_OPTIMIZED_ALL);
  cr_assert_eq (zj_tier_mode_parse ("optimized-", &m), -1);
  cr_assert_eq (zj_tier_mode_parse (NULL, &m), -1);
  cr_assert_eq (zj_tier_mode_parse ("sometimes", &m), -1);
  cr_assert_str_eq (zj_tier_mode_name (ZJ_TIER_ALWAYS), "always");
  cr_assert_str_eq (zj_tier_mode_name (ZJ_TIER_OPTIMIZED_ALL), "optimized-all");
  cr_assert_str_eq (zj_tier_mode_name ((zj_tier_mode) 6), "?");
}

Test (policy, compile_fit_recovers_line)
{
  zj_cost_model m;
  synthetic (&m);
  /* Exact line: 10 ms fixed per batch, 1 ms per instruction. */
  cr_assert_float_eq (zj_cost_model_compile_ms (&m, 20.0, 1), 30.0, 1e-9);
  cr_assert_float_eq (zj_cost_model_compile_ms (&m, 20.0, 5), 22.0, 1e-9);
  cr_assert_float_eq (zj_cost_model_ns (&m, false), 2.0, 1e-12);
  cr_assert_float_eq (zj_cost_model_ns (&m, true), 1.0, 1e-12);
}

Test (policy, priors_before_measurements)
{
  zj_cost_model m;
  zj_cost_model_init (&m);
  /* 100 ms + 5 ms per instruction; native assumed at half the
     interpreter's time until measured. */
  cr_assert_float_eq (zj_cost_model_compile_ms (&m, 10.0, 1), 150.0, 1e-9);
  zj_cost_model_add_run (&m, false, 1000.0, 2.0, 8000.0);
  cr_assert_float_eq (zj_cost_model_ns (&m, false), 4.0, 1e-12);
  /* A mini-run (an FEC fingerprint: its fixed cost over 20 examples)
     says nothing about the per-example cost. */
  zj_cost_model_add_run (&m, false, 20.0, 2.0, 8000.0);
  cr_assert_float_eq (zj_cost_model_ns (&m, false), 4.0, 1e-12);
  cr_assert_float_eq (zj_cost_model_ns (&m, true), 2.0, 1e-12);
  cr_assert_eq (zj_cost_model_keep_rate (&m), -1.0);
}

Test (policy, keep_rate)
{
  zj_cost_model m;
  zj_cost_model_init (&m);
  for (int i = 0; i < 40; i++)
    zj_cost_model_add_child (&m, i % 4 == 0);
  const double r = zj_cost_model_keep_rate (&m);
  cr_assert (r > 0.24 && r < 0.27, "keep rate %g", r);
}

Test (policy, tournament_children)
{
  /* P = 4, T = 2: P(win) of rank r = ((4-r)/4)^2 - ((3-r)/4)^2. */
  cr_assert_float_eq (zj_policy_children (0, 4, 2), 4 * (1.0 - 9.0 / 16), 1e-12);
  cr_assert_float_eq (zj_policy_children (3, 4, 2), 4 * (1.0 / 16), 1e-12);
  double sum = 0.0;
  for (int r = 0; r < 100; r++)
    sum += zj_policy_children (r, 100, 10);
  cr_assert_float_eq (sum, 100.0, 1e-9);    /* one child per tournament */
  cr_assert_eq (zj_policy_children (-1, 10, 2), 0.0);
  cr_assert_eq (zj_policy_children (10, 10, 2), 0.0);
}

/* 20 instructions, 10 work units: compile 30 ms; saving 1e-5 ms/example. */
static zj_candidate
cand (double now, double per_eval, double children, double repeats)
{
  return (zj_candidate) { .instrs = 20, .work = 10, .examples_now = now,
                          .examples_per_eval = per_eval,
                          .children = children, .repeats = repeats };
}

Test (policy, one_cheap_evaluation_interprets)
{
  zj_cost_model m;
  zj_policy_knobs k;
  synthetic (&m);
  zj_policy_knobs_default (&k);
  const zj_candidate c = cand (1000, 1000, -1, 0);
  zj_decision d = zj_policy_decide (&k, &m, &c);
  cr_assert_not (d.compile);
  cr_assert_float_eq (d.cost_ms, 30.0, 1e-9);
  /* now: 20 ms of interpretation < 30 ms latency: no saving now; future:
     1 child (unknown rank) x keep prior 0.25 x 1000 examples. */
  cr_assert_float_eq (d.future_evals, 0.25, 1e-12);
  cr_assert_float_eq (d.saving_ms, 0.25 * 1000 * 1e-5, 1e-12);
}

Test (policy, big_stage_compiles_only_with_stage_signal)
{
  zj_cost_model m;
  zj_policy_knobs k;
  synthetic (&m);
  zj_policy_knobs_default (&k);
  /* A final evaluation: 1e7 examples now (2e-5 ms each, 200 ms
     interpreted), nothing afterwards. */
  const zj_candidate c = cand (1e7, 0, 0, 0);
  zj_decision d = zj_policy_decide (&k, &m, &c);
  cr_assert (d.compile);
  /* (200 - 30) ms left after the compile arrives, run at half cost. */
  cr_assert_float_eq (d.saving_ms, 85.0, 1e-9);
  k.signals &= ~ZJ_SIG_STAGE;
  d = zj_policy_decide (&k, &m, &c);
  cr_assert_not (d.compile);
}

Test (policy, rank_keep_and_hits_add_future)
{
  zj_cost_model m;
  zj_policy_knobs k;
  synthetic (&m);
  zj_policy_knobs_default (&k);
  cr_assert_eq (k.signals, ZJ_SIG_STAGE | ZJ_SIG_RANK | ZJ_SIG_KEEP);
  k.signals = ZJ_SIG_ALL;
  /* 1e5 examples per evaluation: 1 ms saving per future evaluation;
     compile cost 30 ms x margin 1.5 = 45 future evaluations needed. */
  zj_candidate c = cand (0, 1e5, 100.0, 0);
  cr_assert_not (zj_policy_decide (&k, &m, &c).compile);  /* 100 x 0.25 */
  for (int i = 0; i < 100; i++)
    zj_cost_model_add_child (&m, true);
  zj_decision d = zj_policy_decide (&k, &m, &c);         /* keep rate 1 */
  cr_assert (d.compile);
  cr_assert_float_eq (d.future_evals, 100.0, 1e-9);
  k.signals &= ~ZJ_SIG_RANK;                               /* 1 child */
  cr_assert_not (zj_policy_decide (&k, &m, &c).compile);
  c.repeats = 50;                                          /* seen 50x */
  cr_assert (zj_policy_decide (&k, &m, &c).compile);
  k.signals &= ~ZJ_SIG_HITS;
  cr_assert_not (zj_policy_decide (&k, &m, &c).compile);
}

Test (policy, never_when_native_is_not_faster)
{
  zj_cost_model m;
  zj_policy_knobs k;
  zj_cost_model_init (&m);
  zj_policy_knobs_default (&k);
  zj_cost_model_add_run (&m, false, 1e6, 1.0, 1e6);
  zj_cost_model_add_run (&m, true, 1e6, 1.0, 1.5e6);
  const zj_candidate c = cand (1e9, 1e9, 100, 100);
  cr_assert_not (zj_policy_decide (&k, &m, &c).compile);
}

Test (policy, deterministic_and_queue_aware)
{
  zj_cost_model m;
  zj_policy_knobs k;
  synthetic (&m);
  zj_policy_knobs_default (&k);
  zj_candidate c = cand (3e6, 1e4, 5, 3);
  const zj_decision a = zj_policy_decide (&k, &m, &c);
  const zj_decision b = zj_policy_decide (&k, &m, &c);
  cr_assert_eq (a.compile, b.compile);
  cr_assert_eq (a.saving_ms, b.saving_ms);
  cr_assert_eq (a.cost_ms, b.cost_ms);
  /* Behind a queue, the share of this evaluation that can still run
     natively shrinks, while the charged cost per program falls. */
  c.queued = 7;
  const zj_decision q = zj_policy_decide (&k, &m, &c);
  cr_assert_lt (q.cost_ms, a.cost_ms);                 /* 10/8 + 20 */
  cr_assert_float_eq (q.cost_ms, 21.25, 1e-9);
  cr_assert_lt (q.saving_ms, a.saving_ms);
}

/* The five modes and the baseline tier's decision: a step kernel pays when
   the examples times the per-example saving beat margin x time to ready;
   the model learns both from measurements. */
Test (policy, baseline_tier_modes_and_decision)
{
  zj_tier_mode m;
  cr_assert_eq (zj_tier_mode_parse ("baseline", &m), 0);
  cr_assert_eq (m, ZJ_TIER_BASELINE);
  cr_assert_eq (zj_tier_mode_parse ("optimized", &m), 0);
  cr_assert_eq (m, ZJ_TIER_OPTIMIZED);
  cr_assert_str_eq (zj_tier_mode_name (ZJ_TIER_OPTIMIZED), "optimized");
  cr_assert (zj_tier_mode_baseline (ZJ_TIER_AUTO));
  cr_assert (zj_tier_mode_baseline (ZJ_TIER_BASELINE));
  cr_assert (!zj_tier_mode_baseline (ZJ_TIER_OPTIMIZED));
  cr_assert (zj_tier_mode_baseline (ZJ_TIER_ALWAYS));
  cr_assert (!zj_tier_mode_baseline (ZJ_TIER_OPTIMIZED_ALL));
  cr_assert (zj_tier_mode_optimized (ZJ_TIER_ALWAYS));
  cr_assert (zj_tier_mode_optimized (ZJ_TIER_OPTIMIZED_ALL));
  cr_assert (zj_tier_mode_async (ZJ_TIER_ALWAYS));
  cr_assert (zj_tier_mode_async (ZJ_TIER_AUTO));
  cr_assert (!zj_tier_mode_async (ZJ_TIER_OPTIMIZED_ALL));
  cr_assert (!zj_tier_mode_async (ZJ_TIER_BASELINE));
  cr_assert (zj_tier_mode_optimized (ZJ_TIER_OPTIMIZED));
  cr_assert (!zj_tier_mode_optimized (ZJ_TIER_BASELINE));
  cr_assert (!zj_tier_mode_optimized (ZJ_TIER_OFF));

  zj_policy_knobs k;
  zj_policy_knobs_default (&k);
  /* The optimized tier's saving is measured against the faster of the
     interpreter and the baseline: a fast baseline makes compiles pay
     less. */
  zj_cost_model a, b;
  zj_cost_model_init (&a);
  zj_cost_model_init (&b);
  zj_cost_model_add_run (&a, ZJ_RUN_INTERP, 1e6, 1.0, 2e6);
  zj_cost_model_add_run (&a, ZJ_RUN_OPTIMIZED, 1e6, 1.0, 0.5e6);
  b = a;
  /* Runs that happened to have a kernel do not count (other programs);
     the probes' ratio does. */
  zj_cost_model_add_run (&b, ZJ_RUN_BASELINE, 1e6, 1.0, 1e5);
  cr_assert_float_eq (zj_cost_model_fallback_ns (&b), 2.0, 1e-12);
  zj_cost_model_set_base_ratio (&b, 0.5);
  cr_assert_float_eq (zj_cost_model_fallback_ns (&b), 1.0, 1e-12);
  const zj_candidate c = { .instrs = 10, .work = 1.0, .examples_now = 1e6,
                           .examples_per_eval = 1e5, .children = 2.0 };
  const zj_decision da = zj_policy_decide (&k, &a, &c);
  const zj_decision db = zj_policy_decide (&k, &b, &c);
  cr_assert_gt (da.saving_ms, db.saving_ms);
}

/* The baseline's probes: the ratio of native to interpreted ns per
   example on structures that have a kernel, with a prior until both
   sides have 8 probes. */
Test (policy, base_model_ratio_from_probes)
{
  zj_base_model m;
  zj_base_model_init (&m);
  bool measured;
  const double prior = zj_base_model_ratio (&m, &measured);
  cr_assert (!measured);
  cr_assert (prior > 0.9 && prior < 1.0, "prior %g", prior);
  for (int i = 0; i < 7; i++)
    {
      zj_base_model_add_probe (&m, false, 1000.0, 4000.0);   /* 4 ns */
      zj_base_model_add_probe (&m, true, 2000.0, 6000.0);    /* 3 ns */
    }
  zj_base_model_ratio (&m, &measured);
  cr_assert (!measured);
  zj_base_model_add_probe (&m, false, 1000.0, 4000.0);
  zj_base_model_add_probe (&m, true, 2000.0, 6000.0);
  cr_assert_float_eq (zj_base_model_ratio (&m, &measured), 0.75, 1e-12);
  cr_assert (measured);
  cr_assert_float_eq (zj_base_model_interp_ns (&m), 4.0, 1e-12);
  /* Timer noise (no time, no examples) is ignored. */
  zj_base_model_add_probe (&m, true, 0.0, 5.0);
  zj_base_model_add_probe (&m, true, 10.0, 0.0);
  cr_assert_float_eq (zj_base_model_ratio (&m, &measured), 0.75, 1e-12);
}

/* Reuse: examples served by hits per kernel made. */
Test (policy, base_model_reuse)
{
  zj_base_model m;
  zj_base_model_init (&m);
  cr_assert_eq (zj_base_model_reuse (&m), 0.0);
  zj_base_model_add_kernel (&m);
  zj_base_model_add_consult (&m, false, 100.0);
  for (int i = 0; i < 10; i++)
    zj_base_model_add_consult (&m, true, 200.0);
  cr_assert_float_eq (zj_base_model_reuse (&m), 2000.0, 1.0);
}

/* The choice: make a kernel when its life's saving beats margin x (time
   to ready + lookup); look up without making when a hit pays for the
   lookup; else skip, exploring within explore_frac of the time seen. */
Test (policy, base_choice)
{
  zj_policy_knobs k;
  zj_policy_knobs_default (&k);
  zj_base_model m;
  zj_base_model_init (&m);
  cr_assert_eq (zj_policy_base_choice (&k, &m, 1.0, true), ZJ_BASE_MAKE);
  /* Measured: interpreter 10 ns, baseline 8 ns per example (gain 2 ns),
     ready 5 us, lookup 200 ns. */
  for (int i = 0; i < 8; i++)
    {
      zj_base_model_add_probe (&m, false, 1000.0, 10000.0);
      zj_base_model_add_probe (&m, true, 1000.0, 8000.0);
    }
  zj_base_model_add_ready (&m, 5000.0);
  zj_base_model_add_lookup (&m, 200.0);
  /* Saving 10 x (1 - 0.02 slack - 0.8) = 1.8 ns per example;
     1.8 ns x E > 1.2 x (5000 + 2000 first run, prior + 200) ns
     <=>  E > 4800. */
  cr_assert_eq (zj_policy_base_choice (&k, &m, 4900.0, false), ZJ_BASE_MAKE);
  /* Below: a hit (p = 0.5 before any lookup) must save > 200 ns: E > 223. */
  cr_assert_eq (zj_policy_base_choice (&k, &m, 4700.0, false), ZJ_BASE_USE);
  cr_assert_eq (zj_policy_base_choice (&k, &m, 150.0, false), ZJ_BASE_SKIP);
  /* Measured reuse makes small evaluations pay for a kernel. */
  zj_base_model_add_kernel (&m);
  zj_base_model_add_consult (&m, true, 5000.0);
  cr_assert_eq (zj_policy_base_choice (&k, &m, 150.0, false), ZJ_BASE_MAKE);
  /* The A/B test: a window where the policy's runs were slower than the
     control's raises the margin 1.5-fold; then 4900 examples no longer
     pay for a kernel without reuse. */
  zj_base_model m2 = m;
  m2.kernels = m2.reuse_ex = 0.0;
  cr_assert_eq (zj_policy_base_choice (&k, &m2, 4900.0, false), ZJ_BASE_MAKE);
  for (int i = 0; i < 64; i++)
    {
      zj_base_model_add_ab (&m2, false, 1000.0, 1000.0);
      zj_base_model_add_ab (&m2, true, 1000.0, 1100.0);
    }
  cr_assert_float_eq (m2.margin_scale, 1.5, 1e-12);
  cr_assert_neq (zj_policy_base_choice (&k, &m2, 4900.0, false), ZJ_BASE_MAKE);
  /* A clear win lowers it again, never below 1. */
  for (int w = 0; w < 10; w++)
    for (int i = 0; i < 64; i++)
      {
        zj_base_model_add_ab (&m2, false, 1000.0, 1000.0);
        zj_base_model_add_ab (&m2, true, 1000.0, 900.0);
      }
  cr_assert_float_eq (m2.margin_scale, 1.0, 1e-12);
  /* A baseline measured slower never pays; exploration only within its
     budget of the evaluation time seen. */
  zj_base_model s;
  zj_base_model_init (&s);
  for (int i = 0; i < 8; i++)
    {
      zj_base_model_add_probe (&s, false, 1000.0, 8000.0);
      zj_base_model_add_probe (&s, true, 1000.0, 9000.0);
    }
  cr_assert_eq (zj_policy_base_choice (&k, &s, 1e9, false), ZJ_BASE_SKIP);
  zj_base_model_add_time (&s, 1e6, 0.0);
  cr_assert_eq (zj_policy_base_choice (&k, &s, 1e9, false), ZJ_BASE_EXPLORE);
  zj_base_model_add_time (&s, 0.0, k.explore_frac * 1e6);
  cr_assert_eq (zj_policy_base_choice (&k, &s, 1e9, false), ZJ_BASE_SKIP);
}

/* ns per example against work: a fixed per-example cost is not charged
   per work unit.  Interpreter runs of 1-unit programs at 10 ns and
   100-unit ones at 20 ns per example: a 1000-unit program costs ~110 ns,
   where a ratio through the origin would say ~1000x its work. */
Test (policy, cost_line_per_work)
{
  zj_cost_model m;
  zj_cost_model_init (&m);
  for (int i = 0; i < 20; i++)
    {
      zj_cost_model_add_run (&m, ZJ_RUN_INTERP, 1e5, 1.0, 1e6);
      zj_cost_model_add_run (&m, ZJ_RUN_INTERP, 1e5, 100.0, 2e6);
    }
  double a, b;
  zj_cost_model_line (&m, &a, &b);
  cr_assert_float_eq (a, 100.0 / 11.0 + 0.0 * b, 1.0, "a = %g", a);
  cr_assert_float_eq (b, 10.0 / 99.0, 1e-6, "b = %g", b);
  cr_assert_float_eq (zj_cost_model_ns_at (&m, ZJ_RUN_INTERP, 1000.0),
                      a + 1000.0 * b, 1e-9);
  cr_assert_lt (zj_cost_model_ns_at (&m, ZJ_RUN_INTERP, 1000.0), 120.0);
  /* The optimized tier at its prior ratio until it has run. */
  cr_assert_float_eq (zj_cost_model_ns_at (&m, ZJ_RUN_OPTIMIZED, 1000.0),
                      0.5 * (a + 1000.0 * b), 1e-9);
  /* Works all alike: the ratio, as before. */
  zj_cost_model r;
  zj_cost_model_init (&r);
  for (int i = 0; i < 20; i++)
    zj_cost_model_add_run (&r, ZJ_RUN_INTERP, 1e5, 4.0, 8e5);
  cr_assert_float_eq (zj_cost_model_ns_at (&r, ZJ_RUN_INTERP, 8.0), 16.0, 1e-9);
}

/* A select/final evaluation (examples_per_eval 0) takes the higher of
   the line and the per-unit ratio for its cost: a 1000-unit program on a
   model fitted at 1-100 units is compiled for a long final evaluation,
   where the line alone would leave it interpreted. */
Test (policy, final_stage_takes_higher_estimate)
{
  zj_policy_knobs k;
  zj_policy_knobs_default (&k);
  zj_cost_model m;
  zj_cost_model_init (&m);
  for (int i = 0; i < 20; i++)
    {
      zj_cost_model_add_run (&m, ZJ_RUN_INTERP, 1e5, 1.0, 1e6);
      zj_cost_model_add_run (&m, ZJ_RUN_INTERP, 1e5, 100.0, 2e6);
    }
  /* Line: ~110 ns per example at 1000 units; compile ~200 ms. */
  zj_candidate c = { .instrs = 20, .work = 1000.0, .examples_now = 4e6,
                     .examples_per_eval = 0.0, .children = -1.0 };
  const zj_decision fin = zj_policy_decide (&k, &m, &c);
  cr_assert (fin.compile, "saving %g cost %g", fin.saving_ms, fin.cost_ms);
  /* The same examples in a search evaluation: the line only. */
  c.examples_per_eval = 4e6;
  c.children = 0.0;
  const zj_decision srch = zj_policy_decide (&k, &m, &c);
  cr_assert (!srch.compile, "saving %g cost %g", srch.saving_ms, srch.cost_ms);
  cr_assert_lt (srch.saving_ms, fin.saving_ms);
}

/* The fusing model (zj_fuse_model): a structure of W work units whose
   evaluations run EX examples, the paper setting's size. */
#define W 200.0
#define EX 90000.0

/* The fewest uses at which fusing pays, from the formula: uses x EX x
   saving x 1e-6 x W >= 1.5 x (40 + per_unit x W). */
static long
uses_by_formula (double per_unit, double saving)
{
  return (long) ceil (1.5 * (40.0 + per_unit * W) / (EX * saving * 1e-6 * W));
}

Test (policy, fuse_model_starts_at_prior)
{
  zj_fuse_model m;
  zj_fuse_model_init (&m);
  cr_assert_float_eq (zj_fuse_model_ms_per_unit (&m), 0.45, 1e-12);
  cr_assert_float_eq (zj_fuse_model_ns_per_unit (&m), 0.04, 1e-12);
  cr_assert_float_eq (zj_fuse_model_compile_ms (&m, W), 130.0, 1e-9);
  /* 1.5 x 130 ms / 0.72 ms per use = 270.8. */
  cr_assert_eq (uses_by_formula (0.45, 0.04), 271);
  cr_assert_eq (zj_fuse_model_uses (&m, W, EX), 271);
  cr_assert (zj_fuse_model_pays (&m, W, EX, 271));
  cr_assert_not (zj_fuse_model_pays (&m, W, EX, 270));
  cr_assert_float_eq (zj_fuse_model_net_ms (&m, W, EX, 271),
                      271 * 0.72 - 130.0, 1e-9);
}

Test (policy, fuse_model_dearer_compiles_wait_longer)
{
  zj_fuse_model m;
  zj_fuse_model_init (&m);
  /* One compile 3x dearer than the prior (390 ms for 200 units) moves the
     estimate a third of the way: (2 x 0.45 + 1.75) / 3. */
  zj_fuse_model_add_compile (&m, 1, W, 3.0 * 130.0);
  cr_assert_float_eq (zj_fuse_model_ms_per_unit (&m),
                      (2 * 0.45 + 1.75) / 3.0, 1e-12);
  /* Nine more (one batch of 3 and six single ones). */
  zj_fuse_model_add_compile (&m, 3, 3 * W, 3 * 3.0 * 130.0);
  for (int i = 0; i < 6; i++)
    zj_fuse_model_add_compile (&m, 1, W, 3.0 * 130.0);
  const double u = (2 * 0.45 + 10 * 1.75) / 12.0;
  cr_assert_float_eq (zj_fuse_model_ms_per_unit (&m), u, 1e-12);
  cr_assert_float_eq (zj_fuse_model_compile_ms (&m, W), 40.0 + u * W, 1e-9);
  /* 1.5 x 346.67 ms / 0.72 ms per use = 722.2. */
  cr_assert_eq (uses_by_formula (u, 0.04), 723);
  cr_assert_eq (zj_fuse_model_uses (&m, W, EX), 723);
  cr_assert_not (zj_fuse_model_pays (&m, W, EX, 722));
  cr_assert (zj_fuse_model_pays (&m, W, EX, 723));
}

Test (policy, fuse_model_larger_savings_fuse_sooner)
{
  zj_fuse_model m;
  zj_fuse_model_init (&m);
  /* 100 ns per example on stencils, 60 fused: 0.2 ns per unit, 5x the
     prior, ten times. */
  for (int i = 0; i < 10; i++)
    zj_fuse_model_add_saving (&m, W, 100.0, 60.0);
  const double s = (2 * 0.04 + 10 * 0.2) / 12.0;
  cr_assert_float_eq (zj_fuse_model_ns_per_unit (&m), s, 1e-12);
  /* 1.5 x 130 ms / 3.12 ms per use = 62.5. */
  cr_assert_eq (uses_by_formula (0.45, s), 63);
  cr_assert_eq (zj_fuse_model_uses (&m, W, EX), 63);
  cr_assert (zj_fuse_model_pays (&m, W, EX, 63));
  cr_assert_not (zj_fuse_model_pays (&m, W, EX, 62));
  /* Fused code measured slower: never pays. */
  zj_fuse_model_init (&m);
  for (int i = 0; i < 10; i++)
    zj_fuse_model_add_saving (&m, W, 60.0, 100.0);
  cr_assert_lt (zj_fuse_model_ns_per_unit (&m), 0.0);
  cr_assert_not (zj_fuse_model_pays (&m, W, EX, 1000000));
  cr_assert_eq (zj_fuse_model_uses (&m, W, EX), LONG_MAX);
}

Test (policy, fuse_model_ignores_pathological_samples)
{
  zj_fuse_model m;
  zj_fuse_model_init (&m);
  const double bad[] = { 0.0, -5.0, NAN, INFINITY };
  for (int i = 0; i < 4; i++)
    {
      zj_fuse_model_add_saving (&m, W, bad[i], 60.0);
      zj_fuse_model_add_saving (&m, W, 100.0, bad[i]);
      zj_fuse_model_add_saving (&m, bad[i], 100.0, 60.0);
      zj_fuse_model_add_compile (&m, 1, W, bad[i]);
      zj_fuse_model_add_compile (&m, 1, bad[i], 390.0);
    }
  zj_fuse_model_add_compile (&m, 0, W, 390.0);
  cr_assert_eq (m.compiles, 0);
  cr_assert_eq (m.savings, 0);
  cr_assert_float_eq (zj_fuse_model_ms_per_unit (&m), 0.45, 1e-12);
  cr_assert_float_eq (zj_fuse_model_ns_per_unit (&m), 0.04, 1e-12);
  cr_assert_eq (zj_fuse_model_uses (&m, W, EX), 271);
}

/* s as the Tier summary prints it (json: the progress log's form), in
   buf of n bytes. */
static const char *
stats_text (const zj_tier_stats *s, bool json, char *buf, size_t n)
{
  FILE *f = fmemopen (buf, n, "w");
  cr_assert_not_null (f);
  zj_tier_stats_print (s, json, f);
  fclose (f);
  return buf;
}

Test (policy, fuse_figures_in_json_only_when_requested)
{
  zj_tier_stats s;
  memset (&s, 0, sizeof s);
  s.mode = ZJ_TIER_AUTO;
  s.fused_hits = 3;
  s.fused_ms_per_unit = 1.5;
  s.fused_ns_per_unit = 0.125;
  char buf[4096];
  cr_assert_null (strstr (stats_text (&s, true, buf, sizeof buf),
                          "fused_compile_ms_per_unit"));
  s.fused_requests = 2;
  stats_text (&s, true, buf, sizeof buf);
  cr_assert_not_null (strstr (buf, "\"fused_compile_ms_per_unit\": 1.5000"));
  cr_assert_not_null (strstr (buf, "\"fused_saving_ns_per_unit\": 0.12500"));
  cr_assert_null (strstr (stats_text (&s, false, buf, sizeof buf), "per_unit"));
}

/* The A/B test's margin scale shows in the Tier summary when a door
   probes (auto), in both forms, and not otherwise. */
Test (policy, baseline_margin_printed_when_probing)
{
  zj_tier_stats s;
  memset (&s, 0, sizeof s);
  s.mode = ZJ_TIER_AUTO;
  s.base_kernels = 4;
  char buf[4096];
  stats_text (&s, false, buf, sizeof buf);
  cr_assert_not_null (strstr (buf, "baseline_kernels=4,"));
  cr_assert_null (strstr (buf, "baseline_margin"));
  s.base_margin = 2.25;
  stats_text (&s, false, buf, sizeof buf);
  cr_assert_not_null (strstr (buf, " baseline_margin=2.25,"), "%s", buf);
  stats_text (&s, true, buf, sizeof buf);
  cr_assert_not_null (strstr (buf, ", \"baseline_margin\": 2.25"), "%s", buf);
}

/* Paired probes (zj_base_model_add_pair) under sampling.  A search's
   structures cost 0.5-70 ns per example and get dearer as it goes; each
   kernel runs at exactly 0.9 of its structure's interpreted time.  The
   door's scheme (jit/tier_door.c): one timed evaluation in
   zj_base_model_sample_every is a sample; a sampled hit runs on its
   kernel or, by a coin, interpreted, refreshes that side's note of the
   structure and pairs with the other side's.  The ratio must come out
   0.9 whatever the mix and however rarely the samples come (unpaired
   sums, sampled alike or not, wandered 0.6-1.1 in paper searches). */
static uint64_t
xs (uint64_t *s)
{
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

Test (policy, base_pairs_unbiased_with_sampling)
{
  enum { NS = 64 };
  double note[NS][2] = { { 0 } };
  zj_base_model m;
  zj_base_model_init (&m);
  uint64_t s = 0x9e3779b97f4a7c15ULL;
  long samples = 0, interp = 0, timed = 0, late_timed = 0, late_interp = 0;
  for (int t = 0; t < 40000; t++)
    {
      /* Early on cheap structures, later dear ones. */
      const int k = (int) (xs (&s) % 32) + (t * 32) / 40000;
      const double ip = 0.5 + 70.0 * (k * k) / (double) (NS * NS);
      const double ex = 90000.0;
      const bool sampled = xs (&s) % zj_base_model_sample_every (&m) == 0;
      timed++;
      if (t >= 30000)
        late_timed++;
      if (!sampled)
        continue;
      samples++;
      const int side = xs (&s) >> 63;    /* 1: native, 0: a probe */
      const double x = side ? 0.9 * ip : ip;
      if (!side)
        {
          interp++;
          if (t >= 30000)
            late_interp++;
        }
      if (note[k][1 - side] > 0.0)
        zj_base_model_add_pair (&m, ex, side ? x : note[k][1],
                                (side ? note[k][0] : x) * ex);
      note[k][side] = x;
      zj_base_model_add_probe (&m, side, ex, ex * x);
    }
  bool measured;
  cr_assert_gt (m.pairs, ZJ_BASE_WARM_PAIRS);
  cr_assert_float_eq (zj_base_model_ratio (&m, &measured), 0.9, 1e-9);
  cr_assert (measured);
  /* Settled: samples one timed evaluation in 16, probes half of them. */
  cr_assert (m.settled);
  cr_assert_eq (zj_base_model_sample_every (&m), ZJ_BASE_SAMPLE_SETTLED);
  cr_assert_lt ((double) late_interp / late_timed, 0.05,
                "interpreted share once settled: %ld of %ld",
                late_interp, late_timed);
  cr_assert_gt (late_interp, 0, "re-checks go on");
  (void) samples;
  (void) interp;
  (void) timed;
}

/* A preempted run is clipped against its pair: one interpreted run of a
   dear structure at three times its length among 40 honest pairs at 0.9
   moves the ratio by less than 5% (unclipped: 0.78). */
Test (policy, base_pairs_clip_preemption)
{
  zj_base_model m;
  zj_base_model_init (&m);
  for (int i = 0; i < 40; i++)
    zj_base_model_add_pair (&m, 90000.0, 0.9 * (1.0 + i), 90000.0 * (1.0 + i));
  zj_base_model_add_pair (&m, 90000.0, 0.9 * 70.0, 3.0 * 90000.0 * 70.0);
  bool measured;
  const double r = zj_base_model_ratio (&m, &measured);
  cr_assert (measured);
  cr_assert_gt (r, 0.855, "ratio %g", r);
  /* Bad samples are ignored. */
  const zj_base_model before = m;
  zj_base_model_add_pair (&m, 0.0, 1.0, 1.0);
  zj_base_model_add_pair (&m, 10.0, -1.0, 1.0);
  zj_base_model_add_pair (&m, 10.0, 1.0, NAN);
  cr_assert_eq (m.pairs, before.pairs);
}

/* Sampling and settling: every timed evaluation is a sample until
   ZJ_BASE_WARM_PAIRS pairs; then one in ZJ_BASE_SAMPLE_WARM; settled
   (ratio < 0.95) one in ZJ_BASE_SAMPLE_SETTLED, until the ratio rises
   above 0.99.  Settled, a ratio between the two still makes kernels
   for long evaluations (unsettled it would not), and still not for
   evaluations too short to pay a kernel's time to ready. */
Test (policy, base_settle)
{
  zj_policy_knobs k;
  zj_policy_knobs_default (&k);
  zj_base_model m;
  zj_base_model_init (&m);
  cr_assert_eq (zj_base_model_sample_every (&m), 1);
  for (int i = 0; i < ZJ_BASE_WARM_PAIRS - 1; i++)
    zj_base_model_add_pair (&m, 1000.0, 9.7, 10000.0);
  cr_assert_eq (zj_base_model_sample_every (&m), 1);
  zj_base_model_add_pair (&m, 1000.0, 9.7, 10000.0);
  cr_assert_eq (zj_base_model_sample_every (&m), ZJ_BASE_SAMPLE_WARM);
  cr_assert (!m.settled);
  zj_base_model_add_ready (&m, 5000.0);
  zj_base_model_add_lookup (&m, 200.0);
  /* Not settled at 0.97 ... */
  for (int i = 0; i < 200; i++)
    zj_base_model_add_pair (&m, 1000.0, 8.0, 10000.0);
  cr_assert (m.settled);
  cr_assert_eq (zj_base_model_sample_every (&m), ZJ_BASE_SAMPLE_SETTLED);
  /* ... a ratio of 0.985: the gate stays open for long evaluations. */
  for (int i = 0; i < 400; i++)
    zj_base_model_add_pair (&m, 1000.0, 9.85, 10000.0);
  bool measured;
  cr_assert_float_eq (zj_base_model_ratio (&m, &measured), 0.985, 5e-3);
  cr_assert (m.settled);
  cr_assert_eq (zj_policy_base_choice (&k, &m, 90000.0, false), ZJ_BASE_MAKE);
  /* Too short to pay: 10 ns x 0.03 x 100 examples against microseconds. */
  cr_assert_neq (zj_policy_base_choice (&k, &m, 100.0, false), ZJ_BASE_MAKE);
  zj_base_model u = m;
  u.settled = false;
  cr_assert_neq (zj_policy_base_choice (&k, &u, 90000.0, false), ZJ_BASE_MAKE);
  /* Above 0.99 it unsettles. */
  for (int i = 0; i < 400; i++)
    zj_base_model_add_pair (&m, 1000.0, 10.2, 10000.0);
  cr_assert (!m.settled);
  cr_assert_eq (zj_base_model_sample_every (&m), ZJ_BASE_SAMPLE_WARM);
}

/* A kernel's first run against a later run of the same kernel: signed
   samples average (timing noise either way does not push the estimate
   up), and the gate charges it only when positive. */
Test (policy, base_first_run)
{
  zj_policy_knobs k;
  zj_policy_knobs_default (&k);
  zj_base_model m;
  zj_base_model_init (&m);
  for (int i = 0; i < 400; i++)
    zj_base_model_add_first (&m, i % 2 ? 3000.0 : -1000.0);
  cr_assert_float_eq (m.first_ns, 1000.0, 60.0);
  zj_base_model_add_first (&m, NAN);
  cr_assert_float_eq (m.first_ns, 1000.0, 60.0);
  for (int i = 0; i < 400; i++)
    zj_base_model_add_first (&m, -5000.0);
  cr_assert_lt (m.first_ns, 0.0);
  /* Interpreter 10 ns, kernel 8: 1.8 ns saved per example; ready 5 us,
     lookup 200 ns, first run charged as 0: a kernel pays from
     1.2 x 5200 / 1.8 = 3467 examples. */
  for (int i = 0; i < 8; i++)
    zj_base_model_add_pair (&m, 1000.0, 8.0, 10000.0);
  zj_base_model_add_ready (&m, 5000.0);
  zj_base_model_add_lookup (&m, 200.0);
  cr_assert_eq (zj_policy_base_choice (&k, &m, 3500.0, false), ZJ_BASE_MAKE);
  cr_assert_neq (zj_policy_base_choice (&k, &m, 3400.0, false), ZJ_BASE_MAKE);
}
