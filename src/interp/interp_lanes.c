/* interp_lanes.c -- one program on several tasks at once, tasks in SIMD lanes.
 *
 * Evaluating the tasks one after another pays one dispatch per instruction
 * and task, and most search programs are a handful of 1-flop scalar ops, so
 * dispatch dominates.  Here the tasks sit side by side (element i of task t
 * at [i * L + t]) and each instruction is one dispatch over vectors of
 * lanes (kernels_lanes.h), giving every task bit for bit the result of a
 * separate evaluation.  All working storage lives in the workspace's batch
 * buffer, so this file adds no state of its own.  The decoding of a
 * program into lanes' code is in lane_decode.c.
 */
#include "internal.h"
#include <math.h>
#include <string.h>
#include "sigmoid.h"
#include "lane_rows.h"
#include "lane_decode.h"
#include "shortcut.h"

/* Lanes after a run's training steps (zj_lsnap_mode): the decoded code
   stays in the workspace's batch buffer and memory too, but for what the
   run's validation changed since: the addresses Predict writes (and v0
   and s0, which are copied in when operands are not patched), saved
   here.  The decoded form lives here for every run, so keeping it costs
   nothing. */
typedef struct zj_lsnap {
  zj_ldecoded d;
  bool ok;                   /* lanes kept, of run `id` */
  uint64_t id;
  int nt, L;
  const zj_task **ts;        /* the run's tasks, nt */
  const double *bmem;        /* the batch buffer the code points into */
  size_t need;               /* doubles of it the run used */
  long steps, started;       /* steps of the chunk; steps started */
  int n_alive;
  bool *alive;               /* L */
  long *abort_at;            /* nt: train_steps of an aborted task, or -1 */
  int n_rng;                 /* saved ranges of memory: offset, length */
  size_t *rng_off, *rng_len;
  double *save;
  size_t cap_t, cap_r, cap_s;  /* room in ts/alive/abort_at, ranges, save */
} zj_lsnap;

void
zj_lsnap_free (zj_lsnap *s)
{
  if (!s)
    return;
  free (s->ts);
  free (s->alive);
  free (s->abort_at);
  free (s->rng_off);
  free (s->rng_len);
  free (s->save);
  free (s);
}

ZJ_LINLINE void
zj_lpatch_apply (const zj_lpatch *pt, const double *to)
{
  for (int i = 0; i < pt->n; i++)
    *pt->slot[i] = to;
}

/* Per-lane bookkeeping of one evaluation, carved from the batch buffer
   (L entries each, padding lanes included, so lane loops need no bound
   but the vector width). */
typedef struct zj_lbook {
  double *rows;          /* ZJ_LBLOCK rows built on the fly (see lrows) */
  const double *ctrain;  /* cached training rows, positions < n_ctrain */
  long n_ctrain;
  const double *cvalid;  /* cached validation rows, or NULL */
  double y_lo, y_hi;     /* training labels' range (NaN: not known) */
  double *loss;
  bool *alive, *vabort, *vsaved;
  zj_li *alive_m, *vact_m;   /* the same as lane masks: alive, validating */
  const double *zeros;       /* L zeros: s0 as Predict sees it */
  double *rec_train, *rec_valid;  /* ZJ_LREC_MAX errors x L, lane-major */
  int *vcount;               /* validation errors to hand over, per lane */
  double *save;          /* lay.total doubles per task (validation aborts) */
  zj_lane_record *rec_out;   /* see zj_interp_eval_lanes_keyed, or NULL */
  const double **xp;     /* L example pointers and labels (row building) */
  double *yp;
  /* The training shortcut (doc/shortcuts.md): the task set's ranges when
     the program's structure allows it and the options do (else NULL),
     Predict, room for the proof's intervals, and whether it was taken. */
  const double *ranges;
  zj_shortcut_kind sc_kind;
  int sc_depth;          /* LAST_STEP: run each chunk's last sc_depth + 1 */
  const zj_fn *predict, *learn;
  zj_ival *sc;
  bool *shortcut;
  /* Keep the lanes after the first chunk (take, into snap), or start
     from them (resume: Setup and those steps already ran). */
  zj_lsnap *snap;
  bool take, resume;
  const zj_program *prog;
  const zj_companion *co;  /* ws->co */
} zj_lbook;

/* A block of training steps, or of validation examples, run inside the
   dispatch loop (fused path). */
typedef struct zj_ltrain {
  const zj_ldecoded *d;
  const double *rows;    /* the block's rows */
  size_t rowsz;
  long k, kn;            /* steps k .. kn-1 of the block */
  double *s1;
  const zj_li *alive_m;  /* lanes checked: alive (training), validating */
  double max_err;        /* abort threshold of |y - s1| (after sig) */
  bool valid;            /* validation: Predict only, loss and record */
  bool acc;              /* ACCURACY: 0/1 validation errors */
  bool sig;              /* training: s1 := sigmoid(s1) before the check */
  bool logit;            /* ACCURACY validation: decide from s1's sign */
  zj_lv *loss;
  double *rec;           /* lane-major errors of the block, or NULL */
  long n_rec;            /* examples of the block to record */
  const zj_companion *co;  /* one step per example, or NULL */
} zj_ltrain;

/* Copies and clears of whole lane vectors: a handful of vector moves
   where memcpy/memset of these few hundred bytes becomes rep movs/stos,
   which pays a start-up cost on every example. */
ZJ_LINLINE void
zj_lcopy (zj_lv *dst, const zj_lv *src, int n)
{
  for (int q = 0; q < n; q++)
    dst[q] = src[q];
}

ZJ_LINLINE void
zj_lzero (zj_lv *dst, int n)
{
  for (int q = 0; q < n; q++)
    dst[q] = (zj_lv) { 0 };
}

/* Errors recorded lane-major at most (the FEC mini-run records 10 + 10;
   longer records take the per-task path). */
#define ZJ_LREC_MAX 128

/* Lane t of a mask array (all ones = set). */
static inline void
zj_lmask_set (zj_li *m, int t, bool on)
{
  ((long long *) m)[t] = on ? -1 : 0;
}

/* Whether no training step of any of the nt lanes can abort (the
   shortcut's proof, lane by lane from the memory Setup left). */
static bool
lanes_prove (const zj_lbook *bk, const double *mem, const zj_layout *lay,
             int L, int nt, bool acc, double max_err)
{
  const int F = lay->F;
  const size_t n = lay->total;
  zj_ival *m = bk->sc, *h = m + n, *s = h + n, *g = s + n, *tmp = g + n;
  for (int t = 0; t < nt; t++)
    {
      for (size_t e = 0; e < n; e++)
        m[e].lo = m[e].hi = mem[e * (size_t) L + (size_t) t];
      const zj_ival *r = (const zj_ival *) bk->ranges
                         + (size_t) t * (2 * F + 1);
      if (!zj_shortcut_prove (bk->predict, bk->learn, lay, m, h, s, g, r,
                              r[F], r + F + 1, acc, max_err, bk->sc_depth,
                              tmp))
        return false;
    }
  return true;
}

/* Training steps whose examples are gathered into lane rows at once. */
#define ZJ_LBLOCK 32

/* Copy lane t of every element out to / back from `buf`. */
static void
zj_lane_save (const double *mem, size_t n, int L, int t, double *buf)
{
  for (size_t e = 0; e < n; e++)
    buf[e] = mem[e * (size_t) L + (size_t) t];
}

static void
zj_lane_restore (double *mem, size_t n, int L, int t, const double *buf)
{
  for (size_t e = 0; e < n; e++)
    mem[e * (size_t) L + (size_t) t] = buf[e];
}

/* Keep the lanes as they are after the first chunk's training steps
   (bk->take): which tasks aborted when, the steps started, and the
   memory Predict may still change (the validation follows).  Every
   saved range is whole lane vectors (L is a multiple of ZJ_LW and mem
   and the save buffer are aligned), copied as such: this runs on every
   FEC mini-run. */
static void
lsnap_take (const zj_lbook *bk, const zj_ldecoded *d, const double *mem,
            const zj_layout *lay, int L, int nt, const zj_eval_result *res,
            const bool *alive, int n_alive, long started, long steps)
{
  zj_lsnap *sn = bk->snap;
  ZJ_ASSERT (sn->nt == nt && sn->L == L && !sn->ok && L % ZJ_LW == 0);
  const size_t F = (size_t) lay->F;
  const size_t off[4] = { 0, lay->s_off, lay->v_off, lay->m_off };
  const size_t mul[4] = { 0, 1, F, F * F };
  const zj_fn *pf = &bk->prog->fn[ZJ_PREDICT];
  const size_t nr = (size_t) pf->n + 2;
  if (nr > sn->cap_r)
    {
      sn->cap_r = 2 * nr;
      sn->rng_off = zj_xrealloc (sn->rng_off, sn->cap_r * sizeof (size_t));
      sn->rng_len = zj_xrealloc (sn->rng_len, sn->cap_r * sizeof (size_t));
    }
  /* Each address Predict writes (whole; one written twice is saved and
     put back twice, which is harmless), and s0 and v0 when they are
     copied into memory (operands not patched). */
  int n = 0;
  size_t total = 0;
  if (!d->patch)
    {
      sn->rng_off[0] = lay->s_off;
      sn->rng_len[0] = 1;
      sn->rng_off[1] = lay->v_off;
      sn->rng_len[1] = F;
      n = 2;
      total = 1 + F;
    }
  for (int i = 0; i < pf->n; i++)
    {
      const zj_instr *in = &pf->ins[i];
      if (in->op == ZJ_NO_OP)
        continue;
      const int k = zj_ops[in->op].out;
      const size_t o = off[k] + (size_t) in->out * mul[k];
      sn->rng_off[n] = o;
      sn->rng_len[n] = mul[k];
      total += mul[k];
      n++;
    }
  sn->n_rng = n;
  /* Offsets and lengths are in elements: L doubles, L / ZJ_LW vectors. */
  const size_t nbv = (size_t) L / ZJ_LW;
  if (total * nbv > sn->cap_s)
    {
      sn->cap_s = 2 * total * nbv;
      free (sn->save);
      sn->save = zj_aligned_alloc (sn->cap_s * sizeof (zj_lv));
    }
  zj_lv *dst = (zj_lv *) sn->save;
  const zj_lv *src = (const zj_lv *) mem;
  for (int j = 0; j < n; j++)
    {
      zj_lcopy (dst, src + sn->rng_off[j] * nbv, (int) (sn->rng_len[j] * nbv));
      dst += sn->rng_len[j] * nbv;
    }
  for (int t = 0; t < L; t++)
    sn->alive[t] = alive[t];
  for (int t = 0; t < nt; t++)
    sn->abort_at[t] = res[t].aborted ? res[t].train_steps : -1;
  sn->n_alive = n_alive;
  sn->started = started;
  sn->steps = steps;
  sn->ok = true;
}

/* Put back the memory lsnap_take saved. */
static void
lsnap_restore (const zj_lsnap *sn, double *mem)
{
  const size_t nbv = (size_t) sn->L / ZJ_LW;
  const zj_lv *src = (const zj_lv *) sn->save;
  zj_lv *m = (zj_lv *) mem;
  for (int j = 0; j < sn->n_rng; j++)
    {
      zj_lcopy (m + sn->rng_off[j] * nbv, src, (int) (sn->rng_len[j] * nbv));
      src += sn->rng_len[j] * nbv;
    }
}

/* One instantiation per features size in ZJ_FEATURE_SIZES (internal.h)
   and lane-vector count: fixed counts up to 10 tasks or more (the
   search's usual count: 2 vectors of 8 lanes, 3 of 4 or 5 of 2), and a
   run-time count for more tasks. */
#define ZJ_F 2
#define ZJ_NB 1
#include "interp_lanes_f.h"
#undef ZJ_NB
#undef ZJ_F
#define ZJ_F 4
#define ZJ_NB 1
#include "interp_lanes_f.h"
#undef ZJ_NB
#undef ZJ_F
#define ZJ_F 8
#define ZJ_NB 1
#include "interp_lanes_f.h"
#undef ZJ_NB
#undef ZJ_F
#define ZJ_F 16
#define ZJ_NB 1
#include "interp_lanes_f.h"
#undef ZJ_NB
#undef ZJ_F
#define ZJ_F 32
#define ZJ_NB 1
#include "interp_lanes_f.h"
#undef ZJ_NB
#undef ZJ_F
#define ZJ_F 2
#define ZJ_NB 2
#include "interp_lanes_f.h"
#undef ZJ_NB
#undef ZJ_F
#define ZJ_F 4
#define ZJ_NB 2
#include "interp_lanes_f.h"
#undef ZJ_NB
#undef ZJ_F
#define ZJ_F 8
#define ZJ_NB 2
#include "interp_lanes_f.h"
#undef ZJ_NB
#undef ZJ_F
#define ZJ_F 16
#define ZJ_NB 2
#include "interp_lanes_f.h"
#undef ZJ_NB
#undef ZJ_F
#define ZJ_F 32
#define ZJ_NB 2
#include "interp_lanes_f.h"
#undef ZJ_NB
#undef ZJ_F
#if ZJ_LW < 8
#define ZJ_F 2
#define ZJ_NB 3
#include "interp_lanes_f.h"
#undef ZJ_NB
#undef ZJ_F
#define ZJ_F 4
#define ZJ_NB 3
#include "interp_lanes_f.h"
#undef ZJ_NB
#undef ZJ_F
#define ZJ_F 8
#define ZJ_NB 3
#include "interp_lanes_f.h"
#undef ZJ_NB
#undef ZJ_F
#define ZJ_F 16
#define ZJ_NB 3
#include "interp_lanes_f.h"
#undef ZJ_NB
#undef ZJ_F
#define ZJ_F 32
#define ZJ_NB 3
#include "interp_lanes_f.h"
#undef ZJ_NB
#undef ZJ_F
#endif
#if ZJ_LW < 4
#define ZJ_F 2
#define ZJ_NB 5
#include "interp_lanes_f.h"
#undef ZJ_NB
#undef ZJ_F
#define ZJ_F 4
#define ZJ_NB 5
#include "interp_lanes_f.h"
#undef ZJ_NB
#undef ZJ_F
#define ZJ_F 8
#define ZJ_NB 5
#include "interp_lanes_f.h"
#undef ZJ_NB
#undef ZJ_F
#define ZJ_F 16
#define ZJ_NB 5
#include "interp_lanes_f.h"
#undef ZJ_NB
#undef ZJ_F
#define ZJ_F 32
#define ZJ_NB 5
#include "interp_lanes_f.h"
#undef ZJ_NB
#undef ZJ_F
#endif
#define ZJ_F 2
#define ZJ_NB 0
#include "interp_lanes_f.h"
#undef ZJ_NB
#undef ZJ_F
#define ZJ_F 4
#define ZJ_NB 0
#include "interp_lanes_f.h"
#undef ZJ_NB
#undef ZJ_F
#define ZJ_F 8
#define ZJ_NB 0
#include "interp_lanes_f.h"
#undef ZJ_NB
#undef ZJ_F
#define ZJ_F 16
#define ZJ_NB 0
#include "interp_lanes_f.h"
#undef ZJ_NB
#undef ZJ_F
#define ZJ_F 32
#define ZJ_NB 0
#include "interp_lanes_f.h"
#undef ZJ_NB
#undef ZJ_F

/* Same tasks counts and eval type, and no random ops but in Setup (with
   a generator): what lanes need. */
static bool
lanes_apply (const zj_program *p, const zj_task *const *ts, int nt,
             const zj_rng *rng)
{
  const zj_task *t0 = ts[0];
  for (int t = 0; t < nt; t++)
    if (ts[t]->F != t0->F || ts[t]->n_train != t0->n_train
        || ts[t]->epochs != t0->epochs || ts[t]->n_valid != t0->n_valid
        || ts[t]->eval_type != t0->eval_type)
      return false;
  return !zj_fn_is_random_inl (p, ZJ_PREDICT) && !zj_fn_is_random_inl (p, ZJ_LEARN)
         && (rng || !zj_fn_is_random_inl (p, ZJ_SETUP));
}

/* Doubles for n items of `size` bytes, rounded up to 64 bytes so every
   carved region stays aligned for the lane vectors. */
static size_t
lsize (size_t n, size_t size)
{
  return ((n * size + 63) / 64) * 8;
}

void
zj_lanes_carving (const zj_layout *lay, int L, int nt, size_t *t_off,
                  size_t *mt_off)
{
  const size_t F = (size_t) lay->F;
  const size_t n_mem = lsize (lay->total * (size_t) L, sizeof (double));
  const size_t n_T = lsize (F * F * (size_t) L, sizeof (double));
  const size_t n_save = lsize (lay->total * (size_t) nt, sizeof (double));
  *t_off = n_mem * sizeof (double);
  *mt_off = (n_mem + n_T + n_save) * sizeof (double);
}

int
zj_interp_eval_lanes (const zj_prepared *pp, const zj_task *const *ts, int nt,
                      const zj_eval_opts *o, zj_rng *rng, uint64_t reseed,
                      zj_workspace *ws, zj_eval_result *res, double *fit)
{
  return zj_interp_eval_lanes_keyed (pp, ts, nt, o, rng, reseed, ws, res, fit,
                                     NULL, NULL);
}

int
zj_interp_eval_lanes_keyed (const zj_prepared *pp, const zj_task *const *ts,
                            int nt, const zj_eval_opts *o, zj_rng *rng,
                            uint64_t reseed, zj_workspace *ws,
                            zj_eval_result *res, double *fit,
                            const uint64_t *task_keys, zj_lane_record *rec)
{
  return zj_interp_eval_lanes_snap (pp, ts, nt, o, rng, reseed, ws, res, fit,
                                    task_keys, rec, ZJ_LSNAP_NONE, 0);
}

/* Whether the kept lanes sn are those of this run's first steps: the
   same tasks in the same lanes and the code where this run decodes it
   (same batch buffer, same carving: the program is the caller's word). */
static bool
lsnap_fits (const zj_lsnap *sn, const zj_task *const *ts, int nt, int L,
            const double *bmem, size_t need)
{
  if (sn->nt != nt || sn->L != L || sn->bmem != bmem || sn->need != need)
    return false;
  for (int t = 0; t < nt; t++)
    if (sn->ts[t] != ts[t])
      return false;
  return true;
}

int
zj_interp_eval_lanes_snap (const zj_prepared *pp, const zj_task *const *ts,
                           int nt, const zj_eval_opts *o, zj_rng *rng,
                           uint64_t reseed, zj_workspace *ws,
                           zj_eval_result *res, double *fit,
                           const uint64_t *task_keys, zj_lane_record *rec,
                           zj_lsnap_mode snap, uint64_t snap_id)
{
  if (!ws->lsnap)
    ws->lsnap = zj_xcalloc (1, sizeof (zj_lsnap));
  zj_lsnap *sn = ws->lsnap;
  /* Kept lanes serve the next call only, and only if it resumes them. */
  bool resume = sn->ok && snap == ZJ_LSNAP_RESUME && snap_id != 0
                && sn->id == snap_id;
  sn->ok = false;
  if (rec)
    *rec = (zj_lane_record) { NULL, NULL, 0 };
  if (nt <= 0)
    return 0;
  zj_eval_opts def;
  if (!o)
    {
      zj_eval_opts_default (&def);
      o = &def;
    }
  const zj_program *p = &pp->prog;
  if (!lanes_apply (p, ts, nt, rng))
    return -1;
  const zj_layout *lay = &ws->lay;
  if (lay->F != ts[0]->F)
    return -1;
  const int nb = (nt + ZJ_LW - 1) / ZJ_LW, L = nb * ZJ_LW;
  ZJ_ASSERT (nb >= 1 && L >= nt && L % ZJ_LW == 0);
  const size_t F = (size_t) lay->F, n = (size_t) nt;
  const size_t n_mem = lsize (lay->total * (size_t) L, sizeof (double));
  const size_t n_T = lsize (F * F * (size_t) L, sizeof (double));
  const size_t n_save = lsize (lay->total * n, sizeof (double));
  const size_t n_mt = lsize ((lay->total - lay->m_off) * (size_t) L,
                             sizeof (double));
  const size_t n_code = lsize (zj_program_size (p) + ZJ_NUM_COMPONENTS,
                               sizeof (zj_lins));
  const size_t n_rows = lsize ((size_t) ZJ_LBLOCK * (F + 1) * (size_t) L,
                               sizeof (double));
  const size_t nL = (size_t) L;
  const size_t n_book = n_rows + lsize (nL, sizeof (double))
                        + 3 * lsize (nL, sizeof (bool))
                        + 3 * lsize (nL, sizeof (long long))
                        + 2 * lsize (ZJ_LREC_MAX * nL, sizeof (double))
                        + lsize (nL, sizeof (int))
                        + lsize (nL, sizeof (double *))
                        + lsize (nL, sizeof (double));
  const size_t need = n_mem + n_T + n_save + n_mt + n_code + n_book;
  /* Setup's draws differ between the FEC's generator and the real one. */
  const bool setup_random = zj_fn_is_random_inl (p, ZJ_SETUP);
  resume = resume && !setup_random
           && lsnap_fits (sn, ts, nt, L, ws->bmem, need);
  if (need > ws->bmem_cap)
    {
      free (ws->bmem);
      ws->bmem_cap = need * 2;
      ws->bmem = zj_aligned_alloc (ws->bmem_cap * sizeof (double));
    }
  double *mem = ws->bmem, *cur = mem + n_mem;
  zj_lv *T = (zj_lv *) cur;
  cur += n_T;
  zj_lbook bk;
  bk.rec_out = rec;
  bk.save = cur;
  cur += n_save;
  double *mt = cur;
  cur += n_mt;
  zj_lins *code = (zj_lins *) cur;
  cur += n_code;
  bk.rows = cur;
  cur += n_rows;
  bk.loss = cur;
  cur += lsize (nL, sizeof (double));
  bk.alive = (bool *) cur;
  cur += lsize (nL, sizeof (bool));
  bk.vabort = (bool *) cur;
  cur += lsize (nL, sizeof (bool));
  bk.vsaved = (bool *) cur;
  cur += lsize (nL, sizeof (bool));
  bk.alive_m = (zj_li *) cur;
  cur += lsize (nL, sizeof (long long));
  bk.vact_m = (zj_li *) cur;
  cur += lsize (nL, sizeof (long long));
  memset (cur, 0, nL * sizeof (double));
  bk.zeros = cur;
  cur += lsize (nL, sizeof (long long));
  bk.rec_train = cur;
  cur += lsize (ZJ_LREC_MAX * nL, sizeof (double));
  bk.rec_valid = cur;
  cur += lsize (ZJ_LREC_MAX * nL, sizeof (double));
  bk.vcount = (int *) cur;
  cur += lsize (nL, sizeof (int));
  bk.xp = (const double **) cur;
  cur += lsize (nL, sizeof (double *));
  bk.yp = cur;
  {
    const zj_lane_rows *r = zj_lane_rows_get (ws, ts, nt, L, task_keys);
    bk.ctrain = r ? r->train : NULL;
    bk.n_ctrain = r ? r->n_train : 0;
    bk.cvalid = r ? r->valid : NULL;
    bk.y_lo = r ? r->y_lo : NAN;
    bk.y_hi = r ? r->y_hi : NAN;
  }
  /* The training shortcut: only for runs that record nothing (the FEC's
     mini-runs keep every step). */
  bool took = false;
  bk.shortcut = &took;
  bk.predict = &p->fn[ZJ_PREDICT];
  bk.learn = &p->fn[ZJ_LEARN];
  bk.ranges = NULL;
  bk.sc_depth = 0;
  long steps = (long) ts[0]->n_train * ts[0]->epochs;
  if (o->n_all_train >= 0 && o->n_all_train < steps)
    steps = o->n_all_train;
  bk.sc_kind = !o->no_shortcuts && o->record_errors <= 0
               && steps >= ws->sc_min_steps
               ? zj_shortcut_plan (p, &pp->shape, ts[0]->eval_type,
                                   &bk.sc_depth)
               : ZJ_SC_NONE;
  if (bk.sc_kind != ZJ_SC_NONE)
    {
      const size_t need = (4 * lay->total + 3 * F * F) * sizeof (zj_ival);
      if (need > ws->sc_cap)
        {
          free (ws->sc_buf);
          ws->sc_buf = zj_xmalloc (need);
          ws->sc_cap = need;
        }
      bk.sc = ws->sc_buf;
      bk.ranges = zj_lane_ranges_get (ws, ts, nt, L, task_keys);
      ws->n_sc_eligible++;
    }
  /* Resuming needs no shortcut (its proof starts from Setup's memory)
     and the kept steps within this run's first chunk.  ACCURACY's
     training sigmoid may be dead in this run (leval's sig_dead) but not
     in the recording one: then s1 differs between the two after a step,
     but nothing reads it before the next Predict writes it, and both
     runs' abort checks agree (doc/shortcuts.md). */
  const bool acc = ts[0]->eval_type == ZJ_ACCURACY;
  resume = resume && !o->no_shortcuts && bk.sc_kind == ZJ_SC_NONE
           && steps >= sn->steps && ts[0]->n_train >= sn->steps;
  const bool take = snap == ZJ_LSNAP_TAKE && snap_id != 0 && !setup_random;
  if (take)
    {
      if ((size_t) L > sn->cap_t)
        {
          sn->cap_t = (size_t) L;
          sn->ts = zj_xrealloc (sn->ts, sn->cap_t * sizeof *sn->ts);
          sn->alive = zj_xrealloc (sn->alive, sn->cap_t * sizeof (bool));
          sn->abort_at = zj_xrealloc (sn->abort_at,
                                      sn->cap_t * sizeof (long));
        }
      for (int t = 0; t < nt; t++)
        sn->ts[t] = ts[t];
      sn->id = snap_id;
      sn->nt = nt;
      sn->L = L;
      sn->bmem = ws->bmem;
      sn->need = need;
    }
  bk.snap = sn;
  bk.take = take;
  bk.resume = resume;
  bk.prog = p;
  bk.co = ws->co;
  /* The decoded form lives in the snapshot (it is what a resumed run
     runs). */
  zj_ldecoded *d = &sn->d;
  if (resume)
    lsnap_restore (sn, mem);
  else
    {
      zj_lins *c = code;
      d->setup = c;
      memset (mem, 0, n_mem * sizeof (double));
      if (setup_random)
        {
          /* Each task's Setup alone, in task order on the shared generator
             (what separate evaluations draw), then into its lane; the lanes
             run an empty Setup. */
          for (int t = 0; t < nt; t++)
            {
              if (reseed)
                zj_rng_seed (rng, reseed);
              zj_lane_restore (mem, lay->total, L, t,
                               zj_interp_run_setup (pp, rng, ws));
            }
          c->op = ZJ_NUM_OPS;
          c++;
        }
      else
        c = zj_ldecode_fn (&p->fn[ZJ_SETUP], mem, lay, L, c, NULL);
      zj_lpatches pp_ = { &d->pv0, &d->ps0, true, false };
      zj_lpatches pl_ = { &d->lv0, &d->ls0, true, false };
      d->predict = c;
      c = zj_ldecode_fn (&p->fn[ZJ_PREDICT], mem, lay, L, c, &pp_);
      d->learn = c;
      zj_ldecode_fn (&p->fn[ZJ_LEARN], mem, lay, L, c, &pl_);
      d->patch = pp_.ok && pl_.ok;
      d->predict_writes_v0 = pp_.writes_v0;
      zj_lmatvec_tasks_collect (p, (zj_lins *) d->predict,
                                (zj_lins *) d->learn, lay, mem, nt, L, mt,
                                d);
    }
  zj_lnative nat = { 0 };
  d->nat = NULL;
  d->mem = mem;
  d->zeros = bk.zeros;
  if (ws->native)
    {
      /* Examples this evaluation runs at most (for the tier's policy). */
      const zj_task *t0 = ts[0];
      long steps = (long) t0->n_train * t0->epochs;
      if (o->n_all_train >= 0 && o->n_all_train < steps)
        steps = o->n_all_train;
      const long passes = (steps + t0->n_train - 1) / t0->n_train;
      const int nv = o->n_valid >= 0 && o->n_valid < t0->n_valid
                     ? o->n_valid : t0->n_valid;
      const double examples = (double) (steps + passes * nv) * nt;
      size_t t_off, mt_off;
      zj_lanes_carving (lay, L, nt, &t_off, &mt_off);
      ZJ_ASSERT (t_off == (size_t) ((char *) T - (char *) mem)
                 && mt_off == (size_t) ((char *) mt - (char *) mem));
      if (ws->native (ws->native_ctx, p, lay, L, nt, d->patch, t_off, mt_off,
                      examples, &nat))
        d->nat = &nat;
    }
  ws->native_used = d->nat != NULL;
  /* Only ACCURACY reads it (leval's sig_dead). */
  d->s1_dead = acc && zj_s1_sigmoid_dead (p);
  for (int t = 0; t < nt; t++)
    {
      res[t].train_steps = 0;
      res[t].aborted = false;
      res[t].n_train_err = res[t].n_valid_err = 0;
    }
#if ZJ_LW < 8
# define ZJ_LNB3 1
# define ZJ_LNB3_CALL(FF) \
  leval_f##FF##_n3 (d, ts, nt, o, mem, lay, nb, T, res, fit, &bk)
#else
# define ZJ_LNB3 0
# define ZJ_LNB3_CALL(FF) (void) 0
#endif
#if ZJ_LW < 4
# define ZJ_LNB5 1
# define ZJ_LNB5_CALL(FF) \
  leval_f##FF##_n5 (d, ts, nt, o, mem, lay, nb, T, res, fit, &bk)
#else
# define ZJ_LNB5 0
# define ZJ_LNB5_CALL(FF) (void) 0
#endif
#define ZJ_LANES_CASE(FF) \
  case FF: \
    if (nb == 1) \
      leval_f##FF##_n1 (d, ts, nt, o, mem, lay, nb, T, res, fit, &bk); \
    else if (nb == 2) \
      leval_f##FF##_n2 (d, ts, nt, o, mem, lay, nb, T, res, fit, &bk); \
    else if (ZJ_LNB3 && nb == 3) \
      ZJ_LNB3_CALL (FF); \
    else if (ZJ_LNB5 && nb == 5) \
      ZJ_LNB5_CALL (FF); \
    else \
      leval_f##FF##_n0 (d, ts, nt, o, mem, lay, nb, T, res, fit, &bk); \
    break;
  switch (lay->F)
    {
    ZJ_FEATURE_SIZES (ZJ_LANES_CASE)
    default: abort ();
    }
#undef ZJ_LANES_CASE
  for (int t = 0; t < nt; t++)
    res[t].fitness = fit[t];
  ws->n_lane_evals += o->record_errors <= 0;
  ws->n_resumed += resume;
  ws->n_shortcuts += took;
  ws->shortcut_used = took;
  ws->sc_eligible_used = bk.ranges != NULL;
  return 0;
}
