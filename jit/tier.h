/* tier.h -- runtime of the tiered evaluator: which candidates run native
 * code, the prioritised compile queue and its compile thread.
 *
 * The evaluator asks the tier, through its door (tier_door.c), at each
 * stage of a candidate's evaluation;
 * the decision itself is src/search/policy.c.  Native code gives bit-identical
 * results (tests/test_jit.c), so the tier only changes speed, never the
 * search: nothing here touches a random generator or the FEC.
 */
#ifndef ZJ_TIER_H
#define ZJ_TIER_H
#include <zerojit/jit.h>
#include "policy.h"

typedef struct zj_tier zj_tier;

typedef struct zj_tier_cfg {
  zj_tier_mode mode;
  zj_policy_knobs knobs;
  int opt_level;               /* libgccjit -O level (1) */
  const char *opt_flags;       /* NULL, or zj_jit_opts.flags */
  bool pairs;                  /* native tasks two at a time (zj_jit_opts);
                                  off: the pair function doubles the compile,
                                  which a search's mixed evaluations did not
                                  win back (bench/RESULTS.md) */
  zj_tier_notice notice;       /* one-time set-up news (NULL: none) */
  void *notice_ctx;
} zj_tier_cfg;

/* One candidate's state during one evaluation. */
typedef struct zj_tier_cand {
  uint64_t hash;               /* structure hash (code cache key) */
  const uint16_t *key;         /* structure key (borrowed from the caller) */
  size_t nkey;
  zj_jit_entry *native;        /* reference to native code, or NULL */
  bool pending;                /* its compile is queued or running */
  bool skipped;                /* could not pay: no table entry, no compile */
  double instrs, work, repeats;
} zj_tier_cand;

void zj_tier_cfg_default (zj_tier_cfg *cfg);
zj_tier *zj_tier_new (const zj_tier_cfg *cfg, zj_error *err);
void zj_tier_free (zj_tier *t);
zj_tier_mode zj_tier_get_mode (const zj_tier *t);
/* The policy knobs of the tier's configuration. */
void zj_tier_get_knobs (const zj_tier *t, zj_policy_knobs *k);
/* The stencil builds the tier's doors share (NULL without the baseline
   tier): a search never waits for one (jit/stencil_jobs.c). */
struct zj_stencil_builds *zj_tier_get_builds (const zj_tier *t);
/* The notice callback and its context from the tier's configuration. */
zj_tier_notice zj_tier_get_notice (const zj_tier *t, void **ctx);

/* Start of an evaluation, first part: c's size and work, and whether
   the tier can skip it (true: no structure key needed, nothing native
   for it in this evaluation; always true without the optimized tier).
   examples_max and children_max bound the examples this evaluation and
   each later one will run and the evaluations still to come (see
   zj_tier_consider). */
bool zj_tier_skip (zj_tier *t, zj_tier_cand *c, const zj_prepared *pp,
                   double examples_max, double children_max);
/* Second part, for a candidate not skipped: structure lookup; under
   "optimized-all" a synchronous compile, under the other modes native
   code only if it is ready.  hash and key[0..nkey) are pp's structure
   hash and key (identity.h; key must stay valid until zj_tier_end). */
void zj_tier_begin (zj_tier *t, zj_tier_cand *c, const zj_prepared *pp,
                    zj_eval_type et, uint64_t hash, const uint16_t *key,
                    size_t nkey);
/* Under "auto", "always" and "optimized": queue a compile if the
   policy expects it to pay, given examples_now left in this evaluation,
   examples_per_eval of a future evaluation and the expected children
   (< 0: unknown). */
void zj_tier_consider (zj_tier *t, zj_tier_cand *c, const zj_prepared *pp,
                       zj_eval_type et, double examples_now,
                       double examples_per_eval, double children);
/* Queues a fused step kernel of p for geometry g (fused.h) on the compile
   thread, which sets slot ready or failed (keeping a reference until
   then); false when the tier has no compile thread or its queue is
   full.  saving_ms: its priority against other requests. */
struct zj_fused_geom;
struct zj_fused_slot;
bool zj_tier_request_fused (zj_tier *t, const zj_program *p,
                            const struct zj_fused_geom *g,
                            struct zj_fused_slot *slot, double saving_ms);
/* The fused kernels' economics (zj_fuse_model, policy.h), shared by the
   search's doors: the compile thread adds every fused compile it does;
   a door adds what it timed of one structure on its stencils and then
   fused, and reads a copy to decide. */
void zj_tier_add_fuse_saving (zj_tier *t, double work, double stencil_ns,
                              double fused_ns);
void zj_tier_fuse_model (zj_tier *t, zj_fuse_model *m);
/* Task boundary: true if native code is (now) available. */
bool zj_tier_poll (zj_tier *t, zj_tier_cand *c, const zj_prepared *pp,
                   zj_eval_type et);
void zj_tier_end (zj_tier *t, zj_tier_cand *c);

/* Measurements for the cost model (tier: ZJ_RUN_*). */
void zj_tier_add_run (zj_tier *t, int tier, double examples, double work,
                      double ns);
/* Baseline tier: counters (the base_* fields of d) to add, and its
   per-example ratio to the interpreter when a door has measured it (else
   0).  Its policy is each door's (tier_door.c, zj_policy_base_choice). */
void zj_tier_add_base_counts (zj_tier *t, const zj_tier_stats *d,
                              double ratio);
void zj_tier_note_child (zj_tier *t, bool kept);
/* Evaluations and examples (native, interpreted) run since the last call;
   searches report them in batches.  zj_tier_add_run only feeds the cost
   model. */
void zj_tier_add_counts (zj_tier *t, uint64_t lookups, uint64_t ex_native,
                         uint64_t ex_interp);
/* The same for n children at once, in order (one lock). */
void zj_tier_note_children (zj_tier *t, const bool *kept, int n);
void zj_tier_get_stats (zj_tier *t, zj_tier_stats *s);
#endif
