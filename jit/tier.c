/* tier.c -- the tiered evaluator's runtime: structure table, prioritised
 * compile queue, compile thread, counters.
 *
 * The main thread never waits for a compile under "auto": requests go to
 * a queue that one thread drains, highest expected saving first, several
 * programs per libgccjit context (zj_jit_get_batch; the fixed cost of a
 * compile is most of it).  The main thread finds finished code with
 * zj_jit_lookup at task boundaries.
 */
#include "config.h"
#include "internal.h"
#include "tier.h"
#include "cost.h"
#include "fused.h"
#include "stencil.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TABLE_SLOTS 8192         /* direct-mapped structure table */
#define ZJ_MAX_F 32              /* largest features size (zj_features_size_ok) */
#define QUEUE_MAX 64
#define FAILED_MAX 64
#define BATCH_LIMIT 64
#define ZJ_TIER_WORKER_RECYCLE 64 /* compile contexts per worker process */

enum { S_NONE, S_REQUESTED, S_FAILED };

typedef struct tslot {
  uint64_t hash;
  uint32_t evals;
  uint8_t state;
} tslot;

typedef struct treq {
  zj_prepared pp;
  zj_eval_type et;
  uint64_t hash;
  double saving, instrs;
  /* A fused step kernel (fused.h) for a door's baseline kernel instead
     of an optimized compile: its geometry and where the code goes. */
  zj_fused_slot *slot;
  zj_fused_geom g;
} treq;

struct zj_tier {
  zj_tier_cfg cfg;
  zj_jit *jit;
  /* Stencil libraries building in the background for the doors' baseline
     contexts (jit/stencil_jobs.c); freeing waits for running builds. */
  zj_stencil_builds *builds;
  tslot *table;                  /* fields accessed with __atomic (ZA/ZS) */
  pthread_t thread;
  bool thread_on, stop;
  pthread_mutex_t mu;            /* guards everything below */
  pthread_cond_t cv;
  treq *queue[QUEUE_MAX];
  int nq;
  uint64_t busy[BATCH_LIMIT];    /* hashes being compiled */
  int nbusy;
  uint64_t failed[FAILED_MAX];
  int nfailed;
  zj_cost_model model;
  zj_fuse_model fuse;              /* fused kernels' economics */
  zj_tier_stats st;
  /* Counters the searches add to in batches (zj_tier_add_counts): a
     counter every search bumps on every candidate costs a cache-line
     transfer each time. */
  uint64_t ex_native, ex_interp, lookups;
  bool requested;                  /* a compile was ever requested */
  /* A lock-free upper bound on what compiling can save (see
     zj_tier_consider): interpreter ns per example, gate_ia + gate_ip x
     work units (zj_cost_model_line), and the
     compile cost's fixed (lowest over batch sizes) and per-instruction
     parts, copied from the model under the lock. */
  double gate_ia, gate_ip, gate_fixed, gate_per_instr;
  /* zj_op_cost (cost.c) by F and op, filled once: a candidate's work is
     needed for every candidate, and the per-op computation was ~0.6% of
     a demo search. */
  double op_cost[ZJ_MAX_F + 1][ZJ_NUM_OPS];
};

static void gate_refresh (zj_tier *t);

void
zj_tier_cfg_default (zj_tier_cfg *cfg)
{
  memset (cfg, 0, sizeof *cfg);
  cfg->mode = ZJ_TIER_AUTO;
  zj_policy_knobs_default (&cfg->knobs);
  cfg->opt_level = 1;
}

static void
req_free (treq *r)
{
  zj_program_free (&r->pp.prog);
  if (r->slot && zj_fused_slot_state (r->slot) == ZJ_FUSE_PENDING)
    zj_fused_slot_set_state (r->slot, ZJ_FUSE_FAILED);   /* dropped */
  zj_fused_slot_unref (r->slot);
  free (r);
}

/* Takes the highest-saving requests (at most batch_max) into out. */
static int
take_batch (zj_tier *t, treq **out)
{
  int k = t->cfg.knobs.batch_max;
  if (k < 1)
    k = 1;
  if (k > BATCH_LIMIT)
    k = BATCH_LIMIT;
  int n = 0;
  ZJ_ASSERT (t->nq >= 0 && t->nq <= QUEUE_MAX && t->nbusy == 0);
  /* A batch is one kind: optimized programs or fused kernels, as the
     best request is. */
  while (n < k && t->nq > 0)
    {
      int b = -1;
      for (int i = 0; i < t->nq; i++)
        if ((n == 0 || !t->queue[i]->slot == !out[0]->slot)
            && (b < 0 || t->queue[i]->saving > t->queue[b]->saving))
          b = i;
      if (b < 0)
        break;
      out[n++] = t->queue[b];
      t->queue[b] = t->queue[--t->nq];
    }
  return n;
}

/* A batch of fused kernels: each slot ready or failed when it ends. */
static void
compile_batch_fused (zj_tier *t, treq **rs, int n)
{
  const zj_program *ps[BATCH_LIMIT];
  zj_fused_geom gs[BATCH_LIMIT];
  zj_fused_slot *slots[BATCH_LIMIT];
  for (int i = 0; i < n; i++)
    {
      ps[i] = &rs[i]->pp.prog;
      gs[i] = rs[i]->g;
      slots[i] = rs[i]->slot;
    }
  zj_error err;
  const double t0 = zj_now_ms ();
  const int rc = zj_jit_compile_fused (t->jit, n, ps, gs, slots, &err);
  const double ms = zj_now_ms () - t0;
  double work = 0.0;
  for (int i = 0; i < n; i++)
    {
      work += (double) zj_fused_work (ps[i], gs[i].lay.F);
      slots[i]->compile_ms = ms / n;
      zj_fused_slot_set_state (slots[i], rc == 0 ? ZJ_FUSE_READY : ZJ_FUSE_FAILED);
    }
  pthread_mutex_lock (&t->mu);
  t->st.fused_compiles += rc == 0 ? n : 0;
  t->st.fused_failures += rc == 0 ? 0 : n;
  t->st.fused_ms += ms;
  zj_fuse_model_add_compile (&t->fuse, n, work, ms);
  t->nbusy = 0;
  pthread_mutex_unlock (&t->mu);
  for (int i = 0; i < n; i++)
    req_free (rs[i]);
}

static void
compile_batch (zj_tier *t, treq **rs, int n)
{
  if (rs[0]->slot)
    {
      compile_batch_fused (t, rs, n);
      return;
    }
  const zj_prepared *pps[BATCH_LIMIT];
  zj_eval_type ets[BATCH_LIMIT];
  zj_jit_entry *out[BATCH_LIMIT];
  double instrs = 0.0;
  for (int i = 0; i < n; i++)
    {
      pps[i] = &rs[i]->pp;
      ets[i] = rs[i]->et;
      instrs += rs[i]->instrs;
    }
  zj_error err;
  const double t0 = zj_now_ms ();
  zj_jit_get_batch (t->jit, n, pps, ets, out, &err);
  const double ms = zj_now_ms () - t0;
  int ok = 0;
  for (int i = 0; i < n; i++)
    ok += out[i] != NULL;
  pthread_mutex_lock (&t->mu);
  /* A batch that failed says nothing about what a compile costs (an
     injected failure takes no time: the model then found compiles free
     and requested one per candidate). */
  if (ok > 0)
    {
      zj_cost_model_add_compile (&t->model, n, instrs, ms);
      gate_refresh (t);
    }
  t->st.compiles += n;
  t->st.batches++;
  t->st.compile_ms += ms;
  for (int i = 0; i < n; i++)
    if (!out[i])
      {
        t->st.failures++;
        t->failed[t->nfailed++ % FAILED_MAX] = rs[i]->hash;
      }
  t->nbusy = 0;
  pthread_mutex_unlock (&t->mu);
  for (int i = 0; i < n; i++)
    {
      zj_jit_release (t->jit, out[i]);     /* the cache keeps the code */
      req_free (rs[i]);
    }
}

static void destroy (zj_tier *t);
static void *
compile_main (void *arg)
{
  zj_tier *t = arg;
  treq *rs[BATCH_LIMIT];
  pthread_mutex_lock (&t->mu);
  for (;;)
    {
      while (t->nq == 0 && !t->stop)
        pthread_cond_wait (&t->cv, &t->mu);
      if (t->stop)
        break;
      const int n = take_batch (t, rs);
      for (int i = 0; i < n; i++)
        t->busy[i] = rs[i]->hash;
      t->nbusy = n;
      pthread_mutex_unlock (&t->mu);
      compile_batch (t, rs, n);
      pthread_mutex_lock (&t->mu);
    }
  pthread_mutex_unlock (&t->mu);
  return NULL;
}

zj_tier *
zj_tier_new (const zj_tier_cfg *cfg, zj_error *err)
{
  zj_tier *t = zj_xcalloc (1, sizeof *t);
  t->cfg = *cfg;
  t->st.mode = cfg->mode;
  zj_cost_model_init (&t->model);
  zj_fuse_model_init (&t->fuse);
  gate_refresh (t);
  for (int F = 1; F <= ZJ_MAX_F; F++)
    if (zj_features_size_ok (F))
      for (int op = 0; op < ZJ_NUM_OPS; op++)
        t->op_cost[F][op] = zj_op_cost (op, F);
  pthread_mutex_init (&t->mu, NULL);
  pthread_cond_init (&t->cv, NULL);
  t->table = zj_xcalloc (TABLE_SLOTS, sizeof (tslot));
  if (zj_tier_mode_baseline (cfg->mode))
    t->builds = zj_stencil_builds_new ();
  if (!zj_tier_mode_optimized (cfg->mode))
    return t;
  zj_jit_opts o;
  zj_jit_opts_default (&o);
  /* A search compiles in forked workers: libgccjit keeps ~9 kB of every
     compile for good, and GCC's embedded driver sets SIGINT and SIGTERM
     to SIG_IGN and back on each compile, which would throw away a signal
     the search's signal thread had not taken yet (src/cli/signals.c). */
  o.worker_recycle = ZJ_TIER_WORKER_RECYCLE;
  /* ZEROJIT_WORKER_RECYCLE=N recycles the workers every N contexts
     instead (tests/test_tier.c: a new worker per compile). */
  const char *rec = getenv ("ZEROJIT_WORKER_RECYCLE");
  if (rec && atoi (rec) > 0)
    o.worker_recycle = atoi (rec);
  o.opt_level = cfg->opt_level;
  o.flags = cfg->opt_flags;
  o.pairs = cfg->pairs;
  t->jit = zj_jit_new (&o, err);
  if (!t->jit)
    {
      zj_tier_free (t);
      return NULL;
    }
  if (zj_tier_mode_async (cfg->mode))
    {
      if (pthread_create (&t->thread, NULL, compile_main, t) != 0)
        {
          zj_error_set (err, "jit/tier.c: cannot start the compile thread");
          zj_tier_free (t);
          return NULL;
        }
      t->thread_on = true;
    }
  return t;
}

/* A compile cannot be interrupted, so this waits for a running batch
   (queued requests are dropped).  Detaching the thread instead crashed
   when the process exited during the compile (libgccjit torn down). */
void
zj_tier_free (zj_tier *t)
{
  if (!t)
    return;
  if (t->thread_on)
    {
      pthread_mutex_lock (&t->mu);
      t->stop = true;
      pthread_cond_broadcast (&t->cv);
      pthread_mutex_unlock (&t->mu);
      pthread_join (t->thread, NULL);
    }
  destroy (t);
}

static void
destroy (zj_tier *t)
{
  for (int i = 0; i < t->nq; i++)
    req_free (t->queue[i]);
  zj_jit_free (t->jit);
  zj_stencil_builds_free (t->builds);
  pthread_mutex_destroy (&t->mu);
  pthread_cond_destroy (&t->cv);
  free (t->table);
  free (t);
}

zj_tier_mode
zj_tier_get_mode (const zj_tier *t)
{
  return t ? t->cfg.mode : ZJ_TIER_OFF;
}

void
zj_tier_get_knobs (const zj_tier *t, zj_policy_knobs *k)
{
  *k = t->cfg.knobs;
}

zj_stencil_builds *
zj_tier_get_builds (const zj_tier *t)
{
  return t ? t->builds : NULL;
}

zj_tier_notice
zj_tier_get_notice (const zj_tier *t, void **ctx)
{
  *ctx = t ? t->cfg.notice_ctx : NULL;
  return t ? t->cfg.notice : NULL;
}

/* Copies the model's figures for the lock-free gate (caller holds mu). */
static void
gate_refresh (zj_tier *t)
{
  const double a = zj_cost_model_compile_ms (&t->model, 0.0, 1);
  const double b = zj_cost_model_compile_ms (&t->model, 1.0, 1) - a;
  const int bmax = t->cfg.knobs.batch_max > 0 ? t->cfg.knobs.batch_max : 1;
  const double fixed = a / bmax < a ? a / bmax : a;
  /* The interpreter's ns per example as a + b * work (as
     zj_policy_decide, without the baseline's ratio: an upper bound). */
  double ia, ib;
  zj_cost_model_line (&t->model, &ia, &ib);
  __atomic_store (&t->gate_ia, &ia, __ATOMIC_RELAXED);
  __atomic_store (&t->gate_ip, &ib, __ATOMIC_RELAXED);
  __atomic_store (&t->gate_fixed, &fixed, __ATOMIC_RELAXED);
  __atomic_store (&t->gate_per_instr, &b, __ATOMIC_RELAXED);
}

/* True if a compile for c cannot pay: zj_policy_decide's saving with the
   native cost 0, the keep rate 1 and `future` expected evaluations, is
   at most the margin times its cheapest compile.  Lock-free (gate_*). */
static bool
cannot_pay (zj_tier *t, const zj_tier_cand *c, double examples_now,
            double examples_per_eval, double future)
{
  const zj_policy_knobs *k = &t->cfg.knobs;
  double ia, ip, fixed, per;
  __atomic_load (&t->gate_ia, &ia, __ATOMIC_RELAXED);
  __atomic_load (&t->gate_ip, &ip, __ATOMIC_RELAXED);
  __atomic_load (&t->gate_fixed, &fixed, __ATOMIC_RELAXED);
  __atomic_load (&t->gate_per_instr, &per, __ATOMIC_RELAXED);
  if (k->keep_prior > 1.0)
    future *= k->keep_prior;
  if (k->signals & ZJ_SIG_HITS)
    future += c->repeats;
  const double upper = (examples_now + future * examples_per_eval)
                       * (ia + (c->work > 1.0 ? c->work : 1.0) * ip) * 1e-6;
  double cost = (fixed + per * c->instrs) * k->compile_weight;
  if (cost < 0.0)
    cost = 0.0;
  return k->margin > 0.0 && upper <= k->margin * cost;
}

/* The structure table is read and written by every search (--workers)
   on every candidate, so it takes no lock: relaxed atomics.  A race
   between two structures sharing a slot only blurs the counts the policy
   reads; compile requests themselves are decided under the lock. */
#define ZA(x) __atomic_load_n (&(x), __ATOMIC_RELAXED)
#define ZS(x, v) __atomic_store_n (&(x), (v), __ATOMIC_RELAXED)

static tslot *
slot_of (zj_tier *t, uint64_t hash)
{
  return &t->table[hash & (TABLE_SLOTS - 1)];
}

/* Still queued or compiling (caller holds mu)? */
static bool
in_flight (const zj_tier *t, uint64_t hash)
{
  for (int i = 0; i < t->nq; i++)
    if (t->queue[i]->hash == hash)
      return true;
  for (int i = 0; i < t->nbusy; i++)
    if (t->busy[i] == hash)
      return true;
  return false;
}

static bool
has_failed (const zj_tier *t, uint64_t hash)
{
  const int n = t->nfailed < FAILED_MAX ? t->nfailed : FAILED_MAX;
  for (int i = 0; i < n; i++)
    if (t->failed[i] == hash)
      return true;
  return false;
}

static void
begin_optimized_all (zj_tier *t, zj_tier_cand *c, const zj_prepared *pp,
                     zj_eval_type et)
{
  zj_jit_stats a, b;
  zj_error err;
  zj_jit_get_stats (t->jit, &a);
  const double t0 = zj_now_ms ();
  c->native = zj_jit_get (t->jit, pp, et, &err);
  const double ms = zj_now_ms () - t0;
  zj_jit_get_stats (t->jit, &b);
  pthread_mutex_lock (&t->mu);
  if (b.compiles + b.failures > a.compiles + a.failures)
    {
      if (c->native)        /* as compile_batch: failures cost nothing */
        {
          zj_cost_model_add_compile (&t->model, 1, c->instrs, ms);
          gate_refresh (t);
        }
      t->st.compiles++;
      t->st.batches++;
      t->st.compile_ms += ms;
      t->st.failures += !c->native;
    }
  else if (c->native)
    t->st.native_evals++;
  pthread_mutex_unlock (&t->mu);
}

/* Under "auto": native code if the structure's compile has finished.
   state is the slot's state as zj_tier_begin read it. */
static void
begin_auto (zj_tier *t, zj_tier_cand *c, int state, const zj_prepared *pp,
            zj_eval_type et)
{
  if (state != S_REQUESTED)
    return;
  c->native = zj_jit_lookup_key (t->jit, c->hash, c->key, c->nkey);
  pthread_mutex_lock (&t->mu);
  if (c->native)
    t->st.native_evals++;
  else
    {
      /* Another search may have reused the slot meanwhile. */
      tslot *s = slot_of (t, c->hash);
      if (ZA (s->hash) != c->hash)
        ;
      else if (has_failed (t, c->hash))
        ZS (s->state, S_FAILED);
      else if (in_flight (t, c->hash))
        c->pending = true;
      else
        ZS (s->state, S_NONE);    /* evicted: may be requested again */
    }
  pthread_mutex_unlock (&t->mu);
}

bool
zj_tier_skip (zj_tier *t, zj_tier_cand *c, const zj_prepared *pp,
              double examples_max, double children_max)
{
  memset (c, 0, sizeof *c);
  if (!zj_tier_mode_optimized (t->cfg.mode))
    return true;
  const zj_program *p = &pp->prog;
  c->instrs = (double) zj_program_size (p);
  const int F = pp->shape.F;
  ZJ_ASSERT (F >= 1 && F <= ZJ_MAX_F && zj_features_size_ok (F));
  double work = 0.0;
  for (int fc = ZJ_PREDICT; fc <= ZJ_LEARN; fc++)
    for (int i = 0; i < p->fn[fc].n; i++)
      work += t->op_cost[F][p->fn[fc].ins[i].op];
  c->work = work;
  /* Until a first compile is requested no native code exists, and a
     candidate that could never pay for one needs no structure key nor
     table entry: skip both (a key, a hash and a cache miss per candidate
     on searches that never compile, such as the demo: ~7% of its time).
     Its repeat count is then not kept, which only the optional "hits"
     signal reads. */
  c->skipped = t->cfg.mode != ZJ_TIER_OPTIMIZED_ALL
               && !(t->cfg.knobs.signals & ZJ_SIG_HITS)
               && !__atomic_load_n (&t->requested, __ATOMIC_RELAXED)
               && cannot_pay (t, c, examples_max, examples_max, children_max);
  return c->skipped;
}

void
zj_tier_begin (zj_tier *t, zj_tier_cand *c, const zj_prepared *pp,
               zj_eval_type et, uint64_t hash, const uint16_t *key,
               size_t nkey)
{
  ZJ_ASSERT (!c->skipped && zj_tier_mode_optimized (t->cfg.mode));
  c->hash = hash;
  c->key = key;
  c->nkey = nkey;
  tslot *s = slot_of (t, c->hash);
  if (ZA (s->hash) != c->hash)
    {
      ZS (s->evals, 0);
      ZS (s->state, S_NONE);
      ZS (s->hash, c->hash);
    }
  const uint32_t evals = ZA (s->evals);
  c->repeats = evals;
  if (evals < UINT32_MAX)
    ZS (s->evals, evals + 1);
  const int state = ZA (s->state);
  if (t->cfg.mode == ZJ_TIER_OPTIMIZED_ALL)
    begin_optimized_all (t, c, pp, et);
  else
    begin_auto (t, c, state, pp, et);
}

void
zj_tier_consider (zj_tier *t, zj_tier_cand *c, const zj_prepared *pp,
                  zj_eval_type et, double examples_now,
                  double examples_per_eval, double children)
{
  if (!zj_tier_mode_async (t->cfg.mode) || c->native || c->pending)
    return;
  /* Skipped at zj_tier_begin: only a compile requested since could make
     it pay; then it is considered on a later evaluation. */
  if (c->skipped)
    return;
  const zj_candidate cand = {
    .instrs = c->instrs, .work = c->work, .examples_now = examples_now,
    .examples_per_eval = examples_per_eval, .children = children,
    .repeats = c->repeats,
  };
  tslot *s = slot_of (t, c->hash);
  if (ZA (s->hash) != c->hash || ZA (s->state) != S_NONE)
    return;
  /* Most candidates cannot pay for a compile even if native code were
     free and every expected child kept it: decide those without the lock. */
  const double future = (t->cfg.knobs.signals & ZJ_SIG_RANK) && children >= 0.0
                        ? children : 1.0;
  if (cannot_pay (t, c, examples_now, examples_per_eval, future))
    return;
  /* Another search is deciding or queueing: this candidate can be
     considered on a later evaluation rather than wait for the lock. */
  if (pthread_mutex_trylock (&t->mu) != 0)
    return;
  zj_candidate cq = cand;
  cq.queued = t->nq;
  const zj_decision d = zj_policy_decide (&t->cfg.knobs, &t->model, &cq);
  /* Until one compile has been timed the cost is a quiet-machine prior,
     which a loaded machine can exceed 50-fold: one request at a time. */
  const bool cold = t->model.compiles == 0 && t->nq + t->nbusy > 0;
  if (d.compile && !cold && t->nq < QUEUE_MAX)
    {
      treq *r = zj_xcalloc (1, sizeof *r);
      r->pp.shape = pp->shape;
      zj_program_init (&r->pp.prog);
      zj_program_copy (&r->pp.prog, &pp->prog);
      r->et = et;
      r->hash = c->hash;
      r->saving = d.saving_ms - d.cost_ms;
      r->instrs = c->instrs;
      ZJ_ASSERT (t->nq < QUEUE_MAX && !in_flight (t, r->hash));
      t->queue[t->nq++] = r;
      t->st.requests++;
      ZS (s->state, S_REQUESTED);
      __atomic_store_n (&t->requested, true, __ATOMIC_RELAXED);
      c->pending = true;
      pthread_cond_signal (&t->cv);
    }
  pthread_mutex_unlock (&t->mu);
}

bool
zj_tier_request_fused (zj_tier *t, const zj_program *p,
                       const zj_fused_geom *g, zj_fused_slot *slot,
                       double saving_ms)
{
  if (!t->thread_on)
    return false;
  pthread_mutex_lock (&t->mu);
  const bool ok = t->nq < QUEUE_MAX;
  if (ok)
    {
      treq *r = zj_xcalloc (1, sizeof *r);
      zj_program_init (&r->pp.prog);
      zj_program_copy (&r->pp.prog, p);
      r->g = *g;
      r->slot = slot;
      zj_fused_slot_ref (slot);
      r->saving = saving_ms;
      t->queue[t->nq++] = r;
      t->st.fused_requests++;
      pthread_cond_signal (&t->cv);
    }
  pthread_mutex_unlock (&t->mu);
  return ok;
}

bool
zj_tier_poll (zj_tier *t, zj_tier_cand *c, const zj_prepared *pp,
              zj_eval_type et)
{
  if (c->native)
    return true;
  if (!c->pending)
    return false;
  c->native = zj_jit_lookup_key (t->jit, c->hash, c->key, c->nkey);
  if (!c->native)
    return false;
  c->pending = false;
  pthread_mutex_lock (&t->mu);
  t->st.switched++;
  pthread_mutex_unlock (&t->mu);
  return true;
}

void
zj_tier_end (zj_tier *t, zj_tier_cand *c)
{
  if (c->native)
    zj_jit_release (t->jit, c->native);
  c->native = NULL;
}

void
zj_tier_add_run (zj_tier *t, int tier, double examples, double work,
                 double ns)
{
  if (ns > 0.0)       /* untimed runs only count */
    {
      pthread_mutex_lock (&t->mu);
      zj_cost_model_add_run (&t->model, tier, examples, work, ns);
      gate_refresh (t);
      pthread_mutex_unlock (&t->mu);
    }
}

void
zj_tier_add_base_counts (zj_tier *t, const zj_tier_stats *d, double ratio)
{
  pthread_mutex_lock (&t->mu);
  if (ratio > 0.0)
    {
      zj_cost_model_set_base_ratio (&t->model, ratio);
      t->st.base_ratio = ratio;
      gate_refresh (t);
    }
  if (d->base_margin > 0.0)
    t->st.base_margin = d->base_margin;
  t->st.base_kernels += d->base_kernels;
  t->st.base_hits += d->base_hits;
  t->st.base_skips += d->base_skips;
  t->st.base_failures += d->base_failures;
  t->st.base_fallbacks += d->base_fallbacks;
  t->st.base_waits += d->base_waits;
  t->st.base_ready_ms += d->base_ready_ms;
  t->st.examples_base += d->examples_base;
  t->st.fused_hits += d->fused_hits;
  t->st.examples_fused += d->examples_fused;
  t->st.ptask_kernels += d->ptask_kernels;
  t->st.ptask_hits += d->ptask_hits;
  t->st.ptask_failures += d->ptask_failures;
  t->st.ptask_ready_ms += d->ptask_ready_ms;
  t->st.examples_ptask += d->examples_ptask;
  t->st.split_evals += d->split_evals;
  t->st.quiet += d->quiet;
  pthread_mutex_unlock (&t->mu);
}

void
zj_tier_add_counts (zj_tier *t, uint64_t lookups, uint64_t ex_native,
                    uint64_t ex_interp)
{
  __atomic_fetch_add (&t->lookups, lookups, __ATOMIC_RELAXED);
  __atomic_fetch_add (&t->ex_native, ex_native, __ATOMIC_RELAXED);
  __atomic_fetch_add (&t->ex_interp, ex_interp, __ATOMIC_RELAXED);
}

void
zj_tier_note_child (zj_tier *t, bool kept)
{
  pthread_mutex_lock (&t->mu);
  zj_cost_model_add_child (&t->model, kept);
  pthread_mutex_unlock (&t->mu);
}

void
zj_tier_note_children (zj_tier *t, const bool *kept, int n)
{
  pthread_mutex_lock (&t->mu);
  for (int i = 0; i < n; i++)
    zj_cost_model_add_child (&t->model, kept[i]);
  pthread_mutex_unlock (&t->mu);
}

void
zj_tier_add_fuse_saving (zj_tier *t, double work, double stencil_ns,
                         double fused_ns)
{
  pthread_mutex_lock (&t->mu);
  zj_fuse_model_add_saving (&t->fuse, work, stencil_ns, fused_ns);
  pthread_mutex_unlock (&t->mu);
}

void
zj_tier_fuse_model (zj_tier *t, zj_fuse_model *m)
{
  pthread_mutex_lock (&t->mu);
  *m = t->fuse;
  pthread_mutex_unlock (&t->mu);
}

void
zj_tier_get_stats (zj_tier *t, zj_tier_stats *s)
{
  pthread_mutex_lock (&t->mu);
  *s = t->st;
  s->fused_ms_per_unit = zj_fuse_model_ms_per_unit (&t->fuse);
  s->fused_ns_per_unit = zj_fuse_model_ns_per_unit (&t->fuse);
  pthread_mutex_unlock (&t->mu);
  s->lookups = (long) __atomic_load_n (&t->lookups, __ATOMIC_RELAXED);
  s->examples_native = (double) __atomic_load_n (&t->ex_native, __ATOMIC_RELAXED);
  s->examples_interp = (double) __atomic_load_n (&t->ex_interp, __ATOMIC_RELAXED);
}
