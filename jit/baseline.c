/* baseline.c -- the baseline tier: step kernels keyed by structure.
 *
 * A lane evaluation asks (through the workspace's native hook) for native
 * Predict and Learn.  The step kernel is keyed by the pruned structure of
 * those two components only (ops, addresses, const-set element, operand
 * sources) plus the lane geometry, so a child that changes Setup or any
 * constant finds its parent's code: constants are read at run time from a
 * table filled per evaluation.  A miss copies and patches stencils
 * (stencil_emit.c), a few microseconds; the stencil library of (F, C) is
 * loaded once, and a failed load is counted and never retried by this
 * context: the lane interpreter runs those evaluations.
 */
#include "config.h"
#include "baseline.h"
#include "stencil.h"
#include "jit_internal.h"
#include "kernels_lanes.h"
#include "cost.h"
#include "fused.h"
#include "baseline_internal.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void
zj_baseline_set_notice (zj_baseline *b, zj_tier_notice fn, void *ctx)
{
  b->notice = fn;
  b->nctx = ctx;
}

void
zj_baseline_set_builds (zj_baseline *b, zj_stencil_builds *s)
{
  b->builds = s;
}

void
zj_baseline_set_policy (zj_baseline *b, zj_baseline_gate gate,
                        zj_baseline_ready ready, void *ctx)
{
  b->gate = gate;
  b->ready = ready;
  b->pctx = ctx;
}

zj_baseline *
zj_baseline_new (bool threaded)
{
  zj_baseline *b = zj_xcalloc (1, sizeof *b);
  b->threaded = threaded;
  const char *pin = getenv ("ZEROJIT_PIN");
  b->pin_on = !threaded && ZJ_BL_W == 8 && pin && !strcmp (pin, "1");
  zj_ktable_init (&b->kernels, ZJ_BL_BUCKETS0);
  b->fuse_after = -1;
  return b;
}

void
zj_baseline_set_fuse (zj_baseline *b, int after, bool keep_stores,
                      double min_examples, zj_baseline_fuser fuser,
                      void *ctx)
{
  b->fuse_after = b->threaded ? -1 : after;
  b->fuse_keep = keep_stores;
  b->fuse_min_examples = min_examples;
  b->fuser = fuser;
  b->fctx = ctx;
}

static void
drop (zj_kentry *e)
{
  zj_bkernel *k = (zj_bkernel *) e;
  zj_fused_slot_unref (k->slot);
  for (int c = 0; c < 2; c++)
    {
      free (k->tins[c]);
      free (k->tfn[c]);
    }
  free (k);
}

static void
kernels_clear (zj_baseline *b)
{
  b->last = NULL;
  b->memo.k = NULL;
  zj_ktable_clear (&b->kernels, drop);
}

/* Same instruction, field by field (a struct compare would see padding). */
static inline bool
instr_same (const zj_instr *x, const zj_instr *y)
{
  return x->op == y->op && x->in1 == y->in1 && x->in2 == y->in2
         && x->out == y->out && !memcmp (x->fd, y->fd, sizeof x->fd)
         && !memcmp (&x->act, &y->act, sizeof x->act);
}

static bool
geom_same (const zj_bgeom *x, const zj_bgeom *y)
{
  return x->F == y->F && x->ns == y->ns && x->nv == y->nv && x->L == y->L
         && x->nt == y->nt && x->patch == y->patch && x->t_off == y->t_off
         && x->mt_off == y->mt_off;
}

/* The memo's kernel when p's Predict and Learn and the geometry g are the
   memo's, else NULL. */
static zj_bkernel *
memo_find (const zj_baseline *b, const zj_program *p, const zj_bgeom *g)
{
  const zj_bmemo *m = &b->memo;
  if (!m->k || !geom_same (&m->g, g)
      || m->n[0] != p->fn[ZJ_PREDICT].n || m->n[1] != p->fn[ZJ_LEARN].n)
    return NULL;
  const zj_instr *x = m->ins;
  for (int c = ZJ_PREDICT; c <= ZJ_LEARN; c++)
    for (int i = 0; i < p->fn[c].n; i++, x++)
      if (!instr_same (x, &p->fn[c].ins[i]))
        return NULL;
  return m->k;
}

static void
memo_set (zj_baseline *b, const zj_program *p, const zj_bgeom *g,
          zj_bkernel *k)
{
  zj_bmemo *m = &b->memo;
  const int n0 = p->fn[ZJ_PREDICT].n, n1 = p->fn[ZJ_LEARN].n;
  if (n0 + n1 > m->cap)
    {
      m->cap = 2 * (n0 + n1) + 16;
      m->ins = zj_xrealloc (m->ins, (size_t) m->cap * sizeof *m->ins);
    }
  /* An empty component's ins may be NULL (memcpy must not see it). */
  if (n0)
    memcpy (m->ins, p->fn[ZJ_PREDICT].ins, (size_t) n0 * sizeof *m->ins);
  if (n1)
    memcpy (m->ins + n0, p->fn[ZJ_LEARN].ins, (size_t) n1 * sizeof *m->ins);
  m->n[0] = n0;
  m->n[1] = n1;
  m->g = *g;
  m->k = k;
}

void
zj_baseline_free (zj_baseline *b)
{
  if (!b)
    return;
  b->last = NULL;
  zj_ktable_free (&b->kernels, drop);
  for (int i = 0; i < b->nlibs; i++)
    if (!b->libs[i].failed && !b->libs[i].pending)
      zj_stencil_lib_free (&b->libs[i].lib);
  if (b->pin_state == 1)
    zj_pin_lib_free (&b->pin);
  free (b->memo.ins);
  free (b->k);
  free (b->key);
  free (b->ins);
  free (b);
}

void
zj_baseline_stats_get (const zj_baseline *b, zj_baseline_stats *s)
{
  *s = b->st;
}

const char *
zj_baseline_error (const zj_baseline *b)
{
  return b->err.msg;
}

/* Loads l's library now, building it first if it is not cached (a
   notice around the build). */
static zj_stencil_lib *
load_now (zj_baseline *b, zj_blib *l)
{
  const int F = l->F, W = l->W, C = l->C;
  /* A library not in the cache yet takes a second or so to build: say so
     (a failed earlier build is not retried, so it is no news). */
  char dir[900] = "";
  bool building = false;
  if (b->notice)
    {
      char path[1000], failed[1100];
      zj_stencil_cache_dir (dir, sizeof dir);
      zj_stencil_lib_path (path, sizeof path, F, W, C);
      snprintf (failed, sizeof failed, "%s.failed", path);
      building = access (path, F_OK) != 0 && access (failed, F_OK) != 0;
      if (building)
        b->notice (b->nctx, F, dir, ZJ_STENCILS_BUILDING, 0.0, "");
    }
  const double t0 = zj_now_ns ();
  l->failed = zj_stencil_lib_load (&l->lib, F, W, C, &b->err) != 0;
  if (building)
    b->notice (b->nctx, F, dir, l->failed ? ZJ_STENCILS_FAILED : ZJ_STENCILS_READY,
               (zj_now_ns () - t0) * 1e-9, b->err.msg);
  l->failed = l->failed
              || (b->threaded && zj_stencil_lib_threaded (&l->lib, &b->err) != 0);
  if (l->failed)
    {
      b->st.failures++;
      return NULL;
    }
  return &l->lib;
}

/* The library of (F, C) for this host's lanes, or NULL: it failed, or (in
   the background mode) it is still being built. */
zj_stencil_lib *
zj_bl_lib_for (zj_baseline *b, int F, int C)
{
  const int W = C == ZJ_PTASK_C ? zj_ptask_W (F) : ZJ_BL_W;
  zj_blib *l = NULL;
  for (int i = 0; i < b->nlibs && !l; i++)
    if (b->libs[i].F == F && b->libs[i].W == W && b->libs[i].C == C)
      l = &b->libs[i];
  if (l && !l->pending)
    return l->failed ? NULL : &l->lib;
  double now = 0.0;
  if (l && (now = zj_now_ns ()) < l->next_poll)
    {
      b->st.waits++;
      return NULL;
    }
  if (!l)
    {
      if (b->nlibs == ZJ_BL_LIBS)
        return NULL;
      l = &b->libs[b->nlibs++];
      memset (l, 0, sizeof *l);
      l->F = F;
      l->W = W;
      l->C = C;
      if (!b->builds)
        return load_now (b, l);
      l->pending = true;
      now = zj_now_ns ();
    }
  int news;
  double secs;
  const int st = zj_stencil_builds_poll (b->builds, F, W, C, &news, &secs,
                                         &b->err);
  if (news != ZJ_SB_NEWS_NONE && b->notice)
    {
      char dir[900];
      zj_stencil_cache_dir (dir, sizeof dir);
      b->notice (b->nctx, F, dir,
                 news == ZJ_SB_NEWS_STARTED ? ZJ_STENCILS_BUILDING
                 : news == ZJ_SB_NEWS_DONE ? ZJ_STENCILS_READY
                 : ZJ_STENCILS_FAILED, secs, b->err.msg);
    }
  if (st == ZJ_SB_BUILDING)
    {
      l->next_poll = now + ZJ_BL_POLL_NS;
      b->st.waits++;
      return NULL;
    }
  l->pending = false;
  if (st == ZJ_SB_FAILED)
    {
      l->failed = true;
      b->st.failures++;
      return NULL;
    }
  return load_now (b, l);
}

void
zj_baseline_poll_builds (zj_baseline *b)
{
  if (!b->builds)
    return;
  zj_stencil_ended ended[4];
  const int n = zj_stencil_builds_reap (b->builds, ended, 4);
  if (n == 0 || !b->notice)
    return;
  char dir[900];
  zj_stencil_cache_dir (dir, sizeof dir);
  for (int i = 0; i < n; i++)
    b->notice (b->nctx, ended[i].F, dir,
               ended[i].news == ZJ_SB_NEWS_DONE ? ZJ_STENCILS_READY
               : ZJ_STENCILS_FAILED, ended[i].secs, ended[i].why);
}

/* Decodes Predict and Learn into b->ins (stencil choice and holes), b->k
   (constants) and b->key (the structure); returns the instruction count
   and sets np to Predict's. */
int
zj_bl_decode (zj_baseline *b, const zj_program *p, const zj_layout *lay, int L,
        int nt, bool patch, size_t t_off, size_t mt_off, int *np)
{
  const int F = lay->F;
  b->memo.k = NULL;             /* b->k, b->ins and b->key change now */
  /* Products on the lane evaluator's per-task copies (copied stencils
     of 8-lane chunks only: the threaded design keeps the lane product). */
  const uint64_t plan = b->threaded || ZJ_BL_W != 8
                        || !zj_lmatvec_tasks_native (F, nt, L)
                        ? 0 : zj_lmatvec_tasks_plan (p, lay, nt, L);
  const int n = p->fn[ZJ_PREDICT].n + p->fn[ZJ_LEARN].n;
  if ((size_t) n + 1 > b->inscap)
    {
      b->inscap = 2 * (size_t) n + 16;
      b->ins = zj_xrealloc (b->ins, b->inscap * sizeof *b->ins);
      b->k = zj_xrealloc (b->k, (b->inscap + 1) * sizeof *b->k);
      b->key = zj_xrealloc (b->key, (4 * b->inscap + 16) * sizeof *b->key);
    }
  uint32_t *key = b->key;
  int nk = 0, m = 0;
  key[nk++] = (uint32_t) F | (uint32_t) L << 8 | (uint32_t) patch << 24;
  key[nk++] = (uint32_t) nt;
  key[nk++] = (uint32_t) t_off;
  key[nk++] = (uint32_t) (lay->v_off | lay->m_off << 16);
  for (int c = ZJ_PREDICT; c <= ZJ_LEARN; c++)
    {
      if (c == ZJ_LEARN)
        *np = m;
      const zj_fn *f = &p->fn[c];
      for (int i = 0; i < f->n; i++)
        {
          const zj_instr *in = &f->ins[i];
          if (in->op == ZJ_NO_OP)
            continue;
          if (zj_op_is_random (in->op))
            return -1;
          const zj_op_info *o = &zj_ops[in->op];
          zj_sinst *s = &b->ins[m];
          size_t oe = zj_layout_elem (lay, o->out, in->out);
          double cv[2];
          oe += zj_data_decode (in, F, cv);
          const double c0 = cv[0];
          int v = 0;
          if (patch && (o->in1 == ZJ_KIND_S || o->in1 == ZJ_KIND_V) && in->in1 == 0)
            v |= ZJ_SV_A;
          if (patch && (o->in2 == ZJ_KIND_S || o->in2 == ZJ_KIND_V) && in->in2 == 0)
            v |= ZJ_SV_B;
          if (in->op == ZJ_MATRIX_VECTOR_PRODUCT_OP && in->in1 < 64
              && (plan >> in->in1 & 1))
            v |= ZJ_SV_MT;
          const size_t row = (size_t) L * sizeof (double);
          s->op = in->op;
          s->variant = v;
          /* Addresses for the pinned stencils, 0 in an unused slot. */
          s->addr[0] = in->out;
          s->addr[1] = o->in1 == ZJ_KIND_S || o->in1 == ZJ_KIND_V ? in->in1 : 0;
          s->addr[2] = o->in2 == ZJ_KIND_S || o->in2 == ZJ_KIND_V ? in->in2 : 0;
          s->hole[ZJ_HOLE_O] = oe * row;
          s->hole[ZJ_HOLE_A] = (v & ZJ_SV_MT)
            ? mt_off + (size_t) in->in1 * (size_t) (F * F) * row
            : (v & ZJ_SV_A) ? 0 : zj_layout_elem (lay, o->in1, in->in1) * row;
          s->hole[ZJ_HOLE_B] = (v & ZJ_SV_B)
            ? 0 : zj_layout_elem (lay, o->in2, in->in2) * row;
          s->hole[ZJ_HOLE_T] = t_off;
          s->hole[ZJ_HOLE_NR] = (size_t) nt;
          s->hole[ZJ_HOLE_K] = (size_t) m * sizeof (double);
          b->k[m + 1] = c0;
          key[nk++] = (uint32_t) in->op | (uint32_t) v << 8 | (uint32_t) c << 12;
          key[nk++] = (uint32_t) s->hole[ZJ_HOLE_O];
          key[nk++] = (uint32_t) (s->hole[ZJ_HOLE_A] ^ s->hole[ZJ_HOLE_B] << 16);
          key[nk++] = (uint32_t) s->hole[ZJ_HOLE_B];
          m++;
        }
    }
  key[nk++] = (uint32_t) m;
  return nk;
}

static const zj_fused_slot *fused_code (zj_baseline *b, zj_bkernel *k);

/* Asks for k's fused kernel once k has been used fuse_after times in
   evaluations of at least fuse_min_examples: from the fuser (the tier's
   compile thread), else compiled here and now.  Asked until the fuser
   takes it (it may find it does not pay yet, or its queue full); a
   failure is counted where it is seen (fused_code) and k keeps its
   stencils. */
static void
maybe_fuse (zj_baseline *b, zj_bkernel *k, const zj_program *p,
            const zj_layout *lay, int L, int nt, bool patch, double examples)
{
  k->uses++;
  if (b->fuse_after < 0 || k->fuse_tried || k->uses < b->fuse_after
      || examples < b->fuse_min_examples)
    return;
  k->fuse_tried = true;
  if (!zj_fused_eligible (p, lay->F, NULL))
    {
      b->st.fuse_ineligible++;
      return;
    }
  const zj_fused_geom g = { *lay, ZJ_BL_W, L / ZJ_BL_W, nt, patch,
                            b->fuse_keep };
  zj_fused_slot *slot = zj_fused_slot_new ();
  if (b->fuser)
    {
      if (b->fuser (b->fctx, p, &g, slot, examples, k->uses))
        {
          k->slot = slot;
          b->st.fuse_requests++;
        }
      else
        {
          k->fuse_tried = false;
          zj_fused_slot_unref (slot);
        }
      return;
    }
  b->st.fuse_requests++;
  const int rc = zj_fused_compile (p, &g, &slot->code, &b->err);
  slot->predict = slot->code.predict;
  slot->learn = slot->code.learn;
  slot->compile_ms = slot->code.compile_ms;
  zj_fused_slot_set_state (slot, rc == 0 ? ZJ_FUSE_READY : ZJ_FUSE_FAILED);
  k->slot = slot;
  fused_code (b, k);       /* counted now */
}

/* k's fused kernel if it is ready (counted the first time), else NULL;
   a failed one is counted and dropped. */
static const zj_fused_slot *
fused_code (zj_baseline *b, zj_bkernel *k)
{
  if (!k->slot)
    return NULL;
  const int state = zj_fused_slot_state (k->slot);
  if (state == ZJ_FUSE_PENDING)
    return NULL;
  if (state == ZJ_FUSE_FAILED)
    {
      b->st.fuse_failures++;
      zj_fused_slot_unref (k->slot);
      k->slot = NULL;
      return NULL;
    }
  if (!k->fused_seen)
    {
      k->fused_seen = true;
      b->st.fused++;
      b->st.fuse_ms += k->slot->compile_ms;
    }
  return k->slot;
}

/* The threaded design's component runner: the kernel's records in order. */
static void
run_threaded (const zj_bkernel *k, int c, double *mem, const double *row,
              const double *s0, const double *kk)
{
  for (int i = 0; i < k->tn[c]; i++)
    k->tfn[c][i] (mem, row, s0, kk, k->tins[c][i].hole);
}

/* The threaded design needs its kernel in the call: the constant table
   handed out is b->k + 1 and b->k[0] holds the kernel's address. */
static void
th_predict (double *mem, const double *row, const double *s0, const double *k)
{
  const zj_bkernel *kr;
  memcpy (&kr, k - 1, sizeof kr);
  run_threaded (kr, 0, mem, row, s0, k);
}

static void
th_learn (double *mem, const double *row, const double *s0, const double *k)
{
  const zj_bkernel *kr;
  memcpy (&kr, k - 1, sizeof kr);
  run_threaded (kr, 1, mem, row, s0, k);
}

static zj_bkernel *
kernel_get (zj_baseline *b, const zj_program *p, const zj_layout *lay, int L,
            int nt, bool patch, size_t t_off, size_t mt_off, double examples)
{
  if (L % ZJ_BL_W != 0)
    return NULL;
  const zj_bgeom g = { lay->F, lay->ns, lay->nv, L, nt, patch, t_off, mt_off };
  zj_bkernel *hit = memo_find (b, p, &g);
  if (hit)
    {
      b->st.hits++;
      b->st.memo_hits++;
      maybe_fuse (b, hit, p, lay, L, nt, patch, examples);
      return hit;
    }
  const double t0 = zj_now_ns ();
  int np = 0;
  const int nk = zj_bl_decode (b, p, lay, L, nt, patch, t_off, mt_off, &np);
  if (nk < 0)
    return NULL;
  const uint64_t h = zj_ktable_hash (b->key, nk);
  hit = (zj_bkernel *) zj_ktable_find (&b->kernels, h, b->key, nk);
  if (hit)
    {
      b->st.hits++;
      memo_set (b, p, &g, hit);
      maybe_fuse (b, hit, p, lay, L, nt, patch, examples);
      return hit;
    }
  if (b->gate
      && !b->gate (b->pctx, examples,
                   zj_fn_cost (&p->fn[ZJ_PREDICT], lay->F)
                   + zj_fn_cost (&p->fn[ZJ_LEARN], lay->F)))
    {
      b->st.skips++;
      return NULL;
    }
  /* A library load (once per F x lanes, from disk or built) is not part
     of a candidate's time to ready: it is counted apart. */
  const double tl = zj_now_ns ();
  zj_stencil_lib *lib = zj_bl_lib_for (b, lay->F, L / ZJ_BL_W);
  const double load = zj_now_ns () - tl;
  if (load > 1e5)
    b->st.lib_ms += load * 1e-6;
  if (!lib)
    {
      b->st.fallbacks++;
      return NULL;
    }
  const int m = (int) b->key[nk - 1];
  for (int i = 0; i < m; i++)
    if (!b->threaded && !lib->st[b->ins[i].op][b->ins[i].variant].size)
      {
        /* Not in this library (cannot happen with a current cache). */
        zj_error_set (&b->err, "baseline tier: no stencil for op %d variant %d",
                      b->ins[i].op, b->ins[i].variant);
        b->st.fallbacks++;
        return NULL;
      }
  zj_bkernel *k = zj_xcalloc (1, sizeof *k);
  size_t pbytes = 0;
  if (zj_bl_pin_ready (b, lay, L, patch, m)
      && zj_bl_pin_emit (b, k, lay, L, np, m, &pbytes))
    {
      b->st.bytes += pbytes;
      b->st.pinned++;
    }
  else if (b->threaded)
    {
      for (int c = 0; c < 2; c++)
        {
          const int lo = c ? np : 0, n = c ? m - np : np;
          k->tn[c] = n;
          k->tins[c] = zj_xmalloc ((size_t) (n ? n : 1) * sizeof *k->tins[c]);
          k->tfn[c] = zj_xmalloc ((size_t) (n ? n : 1) * sizeof *k->tfn[c]);
          memcpy (k->tins[c], b->ins + lo, (size_t) n * sizeof *b->ins);
          for (int i = 0; i < n; i++)
            k->tfn[c][i] = lib->th[k->tins[c][i].op][k->tins[c][i].variant];
        }
      k->predict = th_predict;
      k->learn = th_learn;
    }
  else
    {
      size_t b1 = 0, b2 = 0;
      k->predict = zj_stencil_emit (lib, b->ins, np, ZJ_PREDICT, &b1, NULL);
      k->learn = k->predict
                 ? zj_stencil_emit (lib, b->ins + np, m - np, ZJ_LEARN, &b2, NULL)
                 : NULL;
      if (!k->learn)
        {
          /* Executable memory full: start over (no code is running: the
             hook is called between evaluations of this context). */
          free (k);
          kernels_clear (b);
          zj_execmem_reset_code (&lib->mem);
          b->st.fallbacks++;
          return NULL;
        }
      b->st.bytes += b1 + b2;
    }
  zj_ktable_add (&b->kernels, &k->e, h, b->key, nk);
  b->st.kernels++;
  memo_set (b, p, &g, k);
  maybe_fuse (b, k, p, lay, L, nt, patch, examples);
  for (int i = 0; i < m; i++)
    b->st.task_matvecs += (b->ins[i].variant & ZJ_SV_MT) != 0;
  const double ns = zj_now_ns () - t0 - (load > 1e5 ? load : 0.0);
  b->st.ready_ns += ns;
  if (b->ready)
    b->ready (b->pctx, ns);
  return k;
}

static bool
hook (void *ctx, const zj_program *p, const zj_layout *lay, int L, int nt,
      bool patch, size_t t_off, size_t mt_off, double examples,
      zj_lnative *nat)
{
  zj_baseline *b = ctx;
  zj_bkernel *k = kernel_get (b, p, lay, L, nt, patch, t_off, mt_off,
                                    examples);
  if (!k)
    return false;
  memcpy (b->k, &k, sizeof k);
  b->last = k;
  nat->predict = k->predict;
  nat->learn = k->learn;
  nat->steps = NULL;
  const zj_fused_slot *f = fused_code (b, k);
  if (f)
    {
      b->st.fused_hits++;
      nat->predict = f->predict;
      nat->learn = f->learn;
    }
  else if (k->pfill)
    {
      nat->steps = zj_pin_steps;
      nat->pfill = k->pfill;
      nat->ppredict = k->ppredict;
      nat->plearn = k->plearn;
      nat->pspill = k->pspill;
    }
  nat->k = b->k + 1;
  return true;
}

double *
zj_baseline_last_note (zj_baseline *b)
{
  return b->last ? &b->last->note : NULL;
}

double *
zj_baseline_last_probe (zj_baseline *b)
{
  return b->last ? b->last->probe_note : NULL;
}

void
zj_baseline_attach (zj_baseline *b, zj_workspace *ws)
{
  ws->native = b ? hook : NULL;
  ws->native_ctx = b;
}

/* The lane geometry zj_interp_eval_lanes uses for nt tasks. */
void
zj_bl_geometry (const zj_shape *shape, int nt, zj_layout *lay, int *L, size_t *t_off,
          size_t *mt_off)
{
  zj_layout_init (lay, shape);
  const int nb = (nt + ZJ_LW - 1) / ZJ_LW;
  *L = nb * ZJ_LW;
  zj_lanes_carving (lay, *L, nt, t_off, mt_off);
}

/* Whether the lane evaluator hands p's kernels v0 and s0 from the row
   (neither is written by Predict or Learn). */
static bool
patchable (const zj_program *p)
{
  for (int c = ZJ_PREDICT; c <= ZJ_LEARN; c++)
    for (int i = 0; i < p->fn[c].n; i++)
      {
        const zj_instr *in = &p->fn[c].ins[i];
        const zj_kind o = zj_ops[in->op].out;
        if ((o == ZJ_KIND_V || o == ZJ_KIND_S) && in->out == 0)
          return false;
      }
  return true;
}

void
zj_baseline_fused_geom (const zj_program *p, const zj_shape *shape, int nt,
                        struct zj_fused_geom *g)
{
  int L;
  size_t t_off, mt_off;
  memset (g, 0, sizeof *g);
  zj_bl_geometry (shape, nt, &g->lay, &L, &t_off, &mt_off);
  g->W = ZJ_BL_W;
  g->C = L / ZJ_BL_W;
  g->nt = nt;
  g->patch = patchable (p);
}

int
zj_baseline_prepare (zj_baseline *b, const zj_program *p,
                     const zj_shape *shape, int nt)
{
  zj_layout lay;
  int L;
  size_t t_off, mt_off;
  zj_bl_geometry (shape, nt, &lay, &L, &t_off, &mt_off);
  const bool patch = patchable (p);
  return kernel_get (b, p, &lay, L, nt, patch, t_off, mt_off, 1e12) ? 0 : -1;
}

int
zj_baseline_warm (int F, int nt, zj_error *err)
{
  const int nb = (nt + ZJ_LW - 1) / ZJ_LW, L = nb * ZJ_LW;
  zj_stencil_lib lib;
  if (zj_stencil_lib_load (&lib, F, ZJ_BL_W, L / ZJ_BL_W, err) != 0)
    return -1;
  zj_stencil_lib_free (&lib);
  return 0;
}

void
zj_baseline_lib_path (int F, int nt, char *buf, size_t n)
{
  const int nb = (nt + ZJ_LW - 1) / ZJ_LW, L = nb * ZJ_LW;
  zj_stencil_lib_path (buf, n, F, ZJ_BL_W, L / ZJ_BL_W);
}
