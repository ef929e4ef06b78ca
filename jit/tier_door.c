/* tier_door.c -- the evaluator's door to native code, with the JIT built
 * (see src/search/tier_door.h; src/search/tier_door_none.c is the build
 * without it).
 *
 * A door holds one evaluator's view of the shared tier: the current
 * candidate (its structure key, computed once here and used for the
 * tier's table, the code-cache lookups and the native runs), counters
 * reported to the tier in batches, and which runs are timed.  It also
 * decides, lane evaluation by lane evaluation, whether the baseline tier
 * is consulted, from its own measurements (zj_base_model, policy.h).
 */
#include "config.h"
#include "tier_door_internal.h"
#include "kernels_lanes.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The baseline asks on a miss whether to make a kernel: the door decided
   before the lookup (door_hook). */
static bool
bl_gate (void *door, double examples, double work)
{
  const zj_door *d = door;
  return d->allow_make;
}

static void
bl_ready (void *door, double ns)
{
  zj_door *d = door;
  d->made_ns = ns;
  zj_base_model_add_ready (&d->bm, ns);
}

/* A fair coin for the probes, from the door's own generator (the search's
   generators are never touched): alternating instead would correlate
   with the evaluator's fixed pattern of FEC and real runs and compare
   200-example runs with 2000-example ones. */
static uint64_t
probe_draw (zj_door *d)
{
  uint64_t x = d->probe_state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  d->probe_state = x;
  return x;
}

static bool
probe_coin (zj_door *d)
{
  return probe_draw (d) >> 63;
}

/* Whether a timed lane evaluation is a sample: one in
   zj_base_model_sample_every, by the same generator, so that samples
   are a random subset of timed evaluations whatever their pattern. */
static bool
sample_coin (zj_door *d)
{
  const unsigned every = zj_base_model_sample_every (&d->bm);
  return every <= 1 || (probe_draw (d) >> 32) % every == 0;
}

/* Paired probes compare evaluations of similar size: a short one (FEC
   mini-runs) costs several times less per example than a long one. */
#define PAIR_LONG 20000.0

/* The thread's CPU time, for the paired probes only: on a shared machine
   a wall-clock pair of one structure came out anywhere in 0.4-2.4 (one
   side preempted), and these ratios decide at the 5% level.  A read
   costs ~0.2 us (a system call), so only sampled hits take two. */
static double
cpu_ns (void)
{
  struct timespec t;
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &t);
  return (double) t.tv_sec * 1e9 + (double) t.tv_nsec;
}

/* The lane interpreter's native hook: the door's policy first (skip,
   use, make or explore: zj_policy_base_choice), then the baseline's own
   hook; the outcome is kept for zj_door_batch_done.  Under --jit=auto
   one timed lane evaluation in zj_base_model_sample_every is a sample:
   by a coin, a control of the A/B test (interpreted, no lookup), or the
   policy's, where a hit runs, by a second coin, on its kernel or
   interpreted (a probe).  Both sides of a probe pair come from sampled
   hits of one structure, so their ratio is the per-example saving
   measured like with like, however rare the samples. */
static bool
door_hook (void *ctx, const zj_program *p, const zj_layout *lay, int L,
           int nt, bool patch, size_t t_off, size_t mt_off, double examples,
           zj_lnative *nat)
{
  zj_door *d = ctx;
  if (d->quiet)
    {
      d->outcome = O_SKIP;
      d->hook_ns = d->made_ns = 0.0;
      return false;
    }
  /* The A/B test's control arm: interpreted, not even looked up. */
  d->pnote = NULL;
  if (d->sampled && probe_coin (d))
    {
      d->hook_ns = d->made_ns = 0.0;
      d->outcome = O_CONTROL;
      const zj_base_choice c = zj_policy_base_choice (&d->knobs, &d->bm,
                                                      examples, d->forced);
      d->busy |= c != ZJ_BASE_SKIP && c != ZJ_BASE_EXPLORE;
      return false;
    }
  const zj_base_choice c = zj_policy_base_choice (&d->knobs, &d->bm,
                                                  examples, d->forced);
  d->hook_ns = d->made_ns = 0.0;
  if (c == ZJ_BASE_SKIP)
    {
      d->outcome = O_SKIP;
      return false;
    }
  /* Exploring is the policy's own learning, kept to a share of the
     time (which quiet candidates keep too): no work. */
  d->busy |= c != ZJ_BASE_EXPLORE;
  d->allow_make = c != ZJ_BASE_USE;
  const bool clock = d->timed || c == ZJ_BASE_EXPLORE;
  const double t0 = clock ? zj_now_ns () : 0.0;
  zj_baseline_stats a, b;
  zj_baseline_stats_get (d->bl, &a);
  const bool ok = d->bl_hook (d->bl, p, lay, L, nt, patch, t_off, mt_off,
                              examples, nat);
  zj_baseline_stats_get (d->bl, &b);
  d->fused_run = ok && b.fused_hits != a.fused_hits;
  const bool hit = b.hits != a.hits;
  /* Fusing's saving is measured on the evaluations that decide it, like
     with like: a structure's timed hits on its stencils, then fused. */
  d->note = ok && hit && d->timed && examples >= FUSE_MIN_EXAMPLES
            ? zj_baseline_last_note (d->bl) : NULL;
  if (d->note && d->fused_run)
    d->fuse_work = (double) zj_fused_work (p, lay->F);
  const bool made = b.kernels != a.kernels;
  if (clock)
    d->hook_ns = zj_now_ns () - t0 - d->made_ns;
  if (hit && d->timed)
    zj_base_model_add_lookup (&d->bm, d->hook_ns);
  if (made)
    zj_base_model_add_kernel (&d->bm);
  zj_base_model_add_consult (&d->bm, hit, examples);
  if (c == ZJ_BASE_EXPLORE)
    zj_base_model_add_time (&d->bm, 0.0, d->hook_ns + d->made_ns);
  if (ok && d->sampled)
    d->pnote = zj_baseline_last_probe (d->bl);
  d->outcome = !ok ? O_MISS : hit ? O_HIT : O_MADE;
  if (ok && hit && d->sampled && probe_coin (d))
    d->outcome = O_PROBE;
  if (d->pnote)
    d->cpu0 = cpu_ns ();
  return d->outcome != O_PROBE && ok;
}

/* Baseline counters since the last report, as zj_tier_stats fields. */
static void
bl_delta (const zj_door *d, zj_tier_stats *s)
{
  memset (s, 0, sizeof *s);
  if (!d->bl)
    return;
  zj_baseline_stats b;
  zj_baseline_stats_get (d->bl, &b);
  s->base_kernels = b.kernels - d->bl_done.kernels;
  s->base_hits = b.hits - d->bl_done.hits;
  s->base_skips = b.skips - d->bl_done.skips;
  s->base_failures = b.failures - d->bl_done.failures;
  s->base_fallbacks = b.fallbacks - d->bl_done.fallbacks;
  s->base_waits = b.waits - d->bl_done.waits;
  s->base_ready_ms = (b.ready_ns - d->bl_done.ready_ns) * 1e-6;
  s->examples_base = (double) d->pend_ex_base;
  s->fused_hits = b.fused_hits - d->bl_done.fused_hits;
  s->examples_fused = (double) d->pend_ex_fused;
  if (d->pt)
    {
      zj_ptask_stats t;
      zj_ptask_stats_get (d->pt, &t);
      s->ptask_kernels = t.kernels - d->pt_done.kernels;
      s->ptask_hits = t.hits - d->pt_done.hits;
      s->ptask_failures = t.failures - d->pt_done.failures;
      s->ptask_ready_ms = (t.ready_ns - d->pt_done.ready_ns) * 1e-6;
      s->examples_ptask = (double) d->pend_ex_ptask;
      s->split_evals = (long) d->pend_split;
    }
}

/* The baseline's fuser: when it pays (or ZEROJIT_FUSE_AFTER forces it),
   the fused kernel's compile goes to the tier's queue, ranked by its
   expected saving. */
static bool
door_fuser (void *ctx, const zj_program *p, const zj_fused_geom *g,
            zj_fused_slot *slot, double examples, long uses)
{
  zj_door *d = ctx;
  const double work = (double) zj_fused_work (p, g->lay.F);
  zj_fuse_model m;
  zj_tier_fuse_model (d->tier, &m);
  if (!d->fuse_forced && !zj_fuse_model_pays (&m, work, examples, uses))
    return false;
  const bool asked
    = zj_tier_request_fused (d->tier, p, g, slot,
                             zj_fuse_model_net_ms (&m, work, examples, uses));
  /* The compile thread sets the state once; two minutes is beyond any
     compile, and then the evaluation goes on without it. */
  for (int ms = 0; asked && d->fuse_wait && ms < 120000
                   && zj_fused_slot_state (slot) == ZJ_FUSE_PENDING; ms++)
    nanosleep (&(struct timespec) { 0, 1000000 }, NULL);
  return asked;
}

int
zj_door_tier_new (zj_tier_mode mode, const zj_policy_knobs *knobs,
                  int opt_level, const char *opt_flags, zj_tier_notice notice, void *notice_ctx,
                  struct zj_tier **tier, zj_error *err)
{
  *tier = NULL;
  if (mode == ZJ_TIER_OFF)
    return 0;
  zj_tier_cfg tc;
  zj_tier_cfg_default (&tc);
  tc.mode = mode;
  tc.knobs = *knobs;
  tc.opt_level = opt_level;
  tc.opt_flags = opt_flags;
  tc.notice = notice;
  tc.notice_ctx = notice_ctx;
  *tier = zj_tier_new (&tc, err);
  return *tier ? 0 : -1;
}

void
zj_door_tier_free (struct zj_tier *tier)
{
  zj_tier_free (tier);
}

bool
zj_door_tier_stats (struct zj_tier *tier, zj_tier_stats *s)
{
  if (!tier)
    {
      memset (s, 0, sizeof *s);
      return false;
    }
  zj_tier_get_stats (tier, s);
  return true;
}

zj_door *
zj_door_open (struct zj_tier *tier, const zj_task *tasks, int n_tasks, int F)
{
  if (!tier || zj_tier_get_mode (tier) == ZJ_TIER_OFF || n_tasks < 1)
    return NULL;
  zj_door *d = zj_xcalloc (1, sizeof *d);
  d->tier = tier;
  d->et = tasks[0].eval_type;
  /* One structure key per candidate: all tasks share F and eval type.
     Otherwise the door only reports the tier's counters. */
  d->tiered = true;
  for (int i = 0; i < n_tasks; i++)
    if (tasks[i].F != F || tasks[i].eval_type != d->et)
      d->tiered = false;
  if (zj_tier_mode_baseline (zj_tier_get_mode (tier)))
    {
      d->bl = zj_baseline_new (false);
      zj_baseline_set_policy (d->bl, bl_gate, bl_ready, d);
      zj_tier_get_knobs (tier, &d->knobs);
      zj_base_model_init (&d->bm);
      /* baseline and always make a kernel for every lane evaluation;
         auto probes whether they pay. */
      d->forced = zj_tier_get_mode (tier) != ZJ_TIER_AUTO;
      d->probing = !d->forced;
      const char *qe = getenv ("ZEROJIT_QUIET");
      d->can_quiet = d->probing && !(qe && !strcmp (qe, "0"));
      d->probe_state = 0x9e3779b97f4a7c15ULL;
      void *nctx;
      zj_tier_notice fn = zj_tier_get_notice (tier, &nctx);
      zj_baseline_set_notice (d->bl, fn, nctx);
      const char *fa = getenv ("ZEROJIT_FUSE_AFTER");
      d->fuse_forced = fa && *fa;
      const char *fw = getenv ("ZEROJIT_FUSE_WAIT");
      d->fuse_wait = fw && *fw && strcmp (fw, "0") != 0;
      const int after = d->fuse_forced ? atoi (fa) : FUSE_AFTER;
      if (zj_tier_mode_async (zj_tier_get_mode (tier)) && after > 0)
        zj_baseline_set_fuse (d->bl, after, false, FUSE_MIN_EXAMPLES,
                              door_fuser, d);
      zj_baseline_set_builds (d->bl, zj_tier_get_builds (tier));
      const char *pe = getenv ("ZEROJIT_PTASK");
      if (!(pe && !strcmp (pe, "0")))
        {
          d->pt = zj_ptask_new ();
          d->n_tasks = n_tasks;
          zj_ptask_set_notice (d->pt, fn, nctx);
          zj_ptask_set_builds (d->pt, zj_tier_get_builds (tier));
          const char *se = getenv ("ZEROJIT_SPLIT");
          d->split_on = !(se && !strcmp (se, "0"));
          d->split_beside = !(se && !strcmp (se, "after"));
        }
    }
  return d;
}

static void
flush (zj_door *d)
{
  if (d->bl)
    zj_baseline_poll_builds (d->bl);
  zj_tier_add_counts (d->tier, d->pend_lookups, d->pend_ex_native,
                      d->pend_ex_interp);
  d->pend_lookups = d->pend_ex_native = d->pend_ex_interp = 0;
  if (d->bl)
    {
      zj_tier_stats s;
      bl_delta (d, &s);
      s.quiet = (long) d->pend_quiet;
      s.base_margin = d->probing ? d->bm.margin_scale : 0.0;
      d->pend_quiet = 0;
      bool measured;
      const double r = zj_base_model_ratio (&d->bm, &measured);
      zj_tier_add_base_counts (d->tier, &s, measured && d->probing ? r : 0.0);
      zj_baseline_stats_get (d->bl, &d->bl_done);
      d->pend_ex_base = d->pend_ex_fused = 0;
      if (d->pt)
        zj_ptask_stats_get (d->pt, &d->pt_done);
      d->pend_ex_ptask = 0;
      d->pend_split = 0;
    }
}

void
zj_door_attach (zj_door *d, zj_workspace *ws)
{
  if (!d || !d->bl || d->n_attached == 33)
    return;
  zj_baseline_attach (d->bl, ws);
  d->bl_hook = ws->native;
  ws->native = door_hook;
  ws->native_ctx = d;
  d->attached[d->n_attached++] = ws;
}

void
zj_door_close (zj_door *d)
{
  if (!d)
    return;
  flush (d);
  for (int i = 0; i < d->n_attached; i++)
    zj_baseline_attach (NULL, d->attached[i]);
  zj_baseline_free (d->bl);
  zj_ptask_free (d->pt);
  zj_ptask_run_free (d->rest);
  free (d->key);
  free (d);
}

uint64_t
zj_door_begin (zj_door *d, const zj_prepared *pp, double examples_all)
{
  if (!d || !d->tiered)
    return 0;
  d->pend_lookups++;
  d->busy = false;
  const bool was = d->quiet;
  d->quiet = d->calm >= QUIET_CALM && examples_all < QUIET_MAX_EXAMPLES
             && ++d->quiet_tick % QUIET_WAKE != 0;
  if (d->quiet != was)
    /* Quiet lane evaluations do not even call the hook. */
    for (int i = 0; i < d->n_attached; i++)
      d->attached[i]->native = d->quiet ? NULL : door_hook;
  if (d->quiet)
    {
      /* As a candidate the tier skipped, without asking it. */
      d->pend_quiet++;
      d->pt_have = d->pt_want = d->split_want = false;
      d->tc.native = NULL;
      d->tc.pending = false;
      d->tc.skipped = true;
      return 0;
    }
  /* Per task when the policy wants it and the library is ready (its
     build starts in the background the first time). */
  d->pt_have = false;
  d->pt_want = d->pt && zj_ptask_wanted (&pp->prog, &pp->shape, d->n_tasks)
               && zj_ptask_ready (d->pt, pp->shape.F);
  d->split_want = d->split_on && !d->pt_want
                  && zj_ptask_split_wanted (&pp->prog, &pp->shape)
                  && zj_ptask_ready (d->pt, pp->shape.F);
  d->busy = d->pt_want || !(examples_all < QUIET_MAX_EXAMPLES);
  if (zj_tier_skip (d->tier, &d->tc, pp, examples_all, CHILDREN_MAX))
    return 0;
  d->busy = true;
  /* One pass fills the buffer and returns the full length; only a key
     longer than the buffer needs a second pass. */
  size_t n = zj_structure_key (&pp->prog, &pp->shape, d->et, d->key,
                               d->key_cap);
  if (n > d->key_cap)
    {
      d->key_cap = n < 1024 ? 1024 : 2 * n;
      free (d->key);
      d->key = zj_xmalloc (d->key_cap * sizeof *d->key);
      zj_structure_key (&pp->prog, &pp->shape, d->et, d->key, d->key_cap);
    }
  d->nkey = n;
  zj_tier_begin (d->tier, &d->tc, pp, d->et,
                 zj_structure_hash_key (d->key, n), d->key, n);
  return d->tc.hash;
}

bool
zj_door_native (zj_door *d, const zj_prepared *pp)
{
  return d && d->tiered && !d->quiet
         && zj_tier_poll (d->tier, &d->tc, pp, d->et);
}

bool
zj_door_per_task (const zj_door *d)
{
  return d && d->pt_want;
}

bool
zj_door_pending (const zj_door *d)
{
  return d && d->tiered && d->tc.pending;
}

/* A timed run for the tier's cost model.  The first real run of each
   kind in a door is left out: it builds the tasks' laid-out rows (tens
   of ms on the paper setting) and loads code, and read as a per-example
   cost it made a 2-instruction program look 20x dearer to interpret
   than it is. */
void
zj_door_report_run (zj_door *d, int tier, double examples, double ns)
{
  if (ns > 0.0 && examples >= 1000.0 && !(d->warm & (1u << tier)))
    {
      d->warm |= 1u << tier;
      return;
    }
  zj_tier_add_run (d->tier, tier, examples, d->tc.work, ns);
}

double
zj_door_clock (zj_door *d)
{
  if (!d)
    return 0.0;
  d->outcome = O_NONE;
  d->timed = d->tiered && !d->quiet && d->run_tick++ % TIME_EVERY == 0;
  d->sampled = d->timed && d->probing && sample_coin (d);
  d->pnote = NULL;
  return d->timed ? zj_now_ns () : 0.0;
}

void
zj_door_batch_done (zj_door *d, double t0, double examples,
                    const zj_workspace *ws)
{
  if (!d || !d->tiered)
    return;
  const bool base = ws && ws->native_used;
  const bool fused = d->fused_run;
  double *note = d->note;
  d->note = NULL;
  d->pend_ex_interp += (uint64_t) examples;
  if (d->quiet)
    {
      d->note = NULL;
      d->fused_run = false;
      return;
    }
  if (base)
    d->pend_ex_base += (uint64_t) examples;
  if (base && d->fused_run)
    d->pend_ex_fused += (uint64_t) examples;
  d->fused_run = false;
  const double ns = t0 > 0.0 ? zj_now_ns () - t0 : 0.0;
  zj_door_report_run (d, base ? ZJ_RUN_BASELINE : ZJ_RUN_INTERP, examples, ns);
  d->timed = false;
  const bool sampled = d->sampled;
  d->sampled = false;
  if (!d->bl || !(ns > 0.0))
    {
      d->pnote = NULL;
      return;
    }
  /* The evaluation without its lookup (charged apart) and, for a new
     kernel, without its time to ready: what the interpreter or the code
     cost per example. */
  const double run = ns - d->hook_ns;
  /* Unpaired probes: both sides from samples only, the ratio's estimate
     until there are enough pairs. */
  if (d->outcome == O_HIT && sampled)
    zj_base_model_add_probe (&d->bm, true, examples, run);
  else if (d->outcome == O_PROBE)
    zj_base_model_add_probe (&d->bm, false, examples, run);
  /* Paired: a sampled hit, native or a probe, on the thread's CPU
     clock, updates its side's note for the structure (a running mean,
     1/2) and pairs with the other side's note when there is one.  A
     kernel's first run, sampled, is kept until a sampled native run of
     the same kernel tells what it cost beyond a warm one. */
  double *pn = d->pnote;
  d->pnote = NULL;
  const double cpu = pn ? cpu_ns () - d->cpu0 : 0.0;
  if (pn && cpu > 0.0)
    {
      const int cls = examples >= PAIR_LONG;
      double *v = &pn[2 * cls], *first = &pn[4 + cls];
      const double x = cpu / examples;
      if (d->outcome == O_MADE)
        *first = x;
      else
        {
          const int side = d->outcome == O_HIT;
          if (v[1 - side] > 0.0)
            zj_base_model_add_pair (&d->bm, examples, side ? x : v[1],
                                    (side ? v[0] : x) * examples);
          v[side] = v[side] > 0.0 ? 0.5 * (v[side] + x) : x;
          if (side && *first > 0.0)
            {
              zj_base_model_add_first (&d->bm, (*first - x) * examples);
              *first = 0.0;
            }
        }
    }
  if (d->outcome == O_HIT && note && run > 0.0)
    {
      /* The stencils' ns per example: a running mean (EWMA, 1/2). */
      if (!fused)
        *note = *note > 0.0 ? 0.5 * (*note + run / examples)
                            : run / examples;
      else if (*note > 0.0)
        zj_tier_add_fuse_saving (d->tier, d->fuse_work, *note,
                                 run / examples);
    }
  if (!base && d->outcome != O_MADE)
    zj_base_model_add_interp (&d->bm, examples, run);
  if (sampled && d->outcome != O_PROBE && d->outcome != O_NONE)
    zj_base_model_add_ab (&d->bm, d->outcome != O_CONTROL, examples, ns);
  /* While quiet, a timed run stands for QUIET_WAKE times as many. */
  zj_base_model_add_time (&d->bm, ns * TIME_EVERY
                          * (d->calm >= QUIET_CALM ? QUIET_WAKE : 1), 0.0);
}

void
zj_door_consider (zj_door *d, const zj_prepared *pp, double examples_now,
                  double examples_per_eval, bool final_stage)
{
  if (!d)
    return;
  d->last_examples = examples_per_eval;
  if (d->tiered && examples_now > 0.0 && !d->quiet)
    zj_tier_consider (d->tier, &d->tc, pp, d->et, examples_now,
                      examples_per_eval, final_stage ? 0.0 : -1.0);
}

bool
zj_door_end (zj_door *d, bool final_stage)
{
  if (!d || !d->tiered)
    return false;
  if (d->can_quiet && !d->quiet)
    d->calm = d->busy ? 0 : d->calm + (d->calm < QUIET_CALM);
  /* A candidate the tier found unable to pay even with the most children
     needs no rank (an O(P) scan per candidate). */
  const bool want_rank = !d->tc.native && !d->tc.pending && !d->tc.skipped
                         && !final_stage
                         && zj_tier_mode_async (zj_tier_get_mode (d->tier));
  if (!d->quiet)
    zj_tier_end (d->tier, &d->tc);
  /* While quiet, the counters go to the tier QUIET_WAKE times as rarely. */
  if (d->pend_lookups >= (d->calm >= QUIET_CALM ? CHILD_BATCH * QUIET_WAKE
                                                : CHILD_BATCH))
    flush (d);
  return want_rank;
}

void
zj_door_promote (zj_door *d, const zj_prepared *pp, double children)
{
  if (!d || !d->tiered)
    return;
  zj_tier_consider (d->tier, &d->tc, pp, d->et, 0.0, d->last_examples,
                    children);
}

void
zj_door_note_child (zj_door *d, bool kept)
{
  if (!d || !d->tiered)
    return;
  ZJ_ASSERT (d->n_kept >= 0 && d->n_kept < CHILD_BATCH);
  d->kept[d->n_kept++] = kept;
  if (d->n_kept == CHILD_BATCH)
    {
      zj_tier_note_children (d->tier, d->kept, d->n_kept);
      d->n_kept = 0;
    }
}

bool
zj_door_stats (const zj_door *d, zj_tier_stats *s)
{
  if (!d)
    {
      memset (s, 0, sizeof *s);
      return false;
    }
  zj_tier_get_stats (d->tier, s);
  /* Plus this door's counts not yet reported. */
  zj_tier_stats b;
  bl_delta (d, &b);
  s->base_kernels += b.base_kernels;
  s->base_hits += b.base_hits;
  s->base_skips += b.base_skips;
  s->base_failures += b.base_failures;
  s->base_fallbacks += b.base_fallbacks;
  s->base_waits += b.base_waits;
  s->base_ready_ms += b.base_ready_ms;
  s->examples_base += b.examples_base;
  s->fused_hits += b.fused_hits;
  s->examples_fused += b.examples_fused;
  s->ptask_kernels += b.ptask_kernels;
  s->ptask_hits += b.ptask_hits;
  s->ptask_failures += b.ptask_failures;
  s->ptask_ready_ms += b.ptask_ready_ms;
  s->examples_ptask += b.examples_ptask;
  s->split_evals += b.split_evals;
  s->quiet += (long) d->pend_quiet;
  if (d->bl && d->probing)
    s->base_margin = d->bm.margin_scale;
  s->lookups += (long) d->pend_lookups;
  s->examples_native += (double) d->pend_ex_native;
  s->examples_interp += (double) d->pend_ex_interp;
  return true;
}
