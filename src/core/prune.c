/* prune.c -- drop instructions whose results never reach the prediction.
 *
 * Memory persists between examples, so liveness is a fixed point over the
 * executor's control flow: Setup -> Predict; Predict -> Learn (training),
 * Predict -> Predict (validation), Learn -> Predict, Predict -> exit.  The
 * executor reads s1 after every Predict and overwrites s0 and v0 in full
 * before every Predict and Learn, so those never carry liveness back.
 * A location is a whole address (scalar, vector or matrix); const-set ops
 * write one element and therefore never kill one.
 */
#include "internal.h"
#include <string.h>

typedef struct {
  int ns, nv, nm, n;
} locmap;

static int
loc (const locmap *m, zj_kind k, int a)
{
  switch (k)
    {
    case ZJ_KIND_S: return a;
    case ZJ_KIND_V: return m->ns + a;
    case ZJ_KIND_M: return m->ns + m->nv + a;
    default: return -1;
    }
}

static bool
full_write (int op)
{
  zj_data_kind d = zj_ops[op].data;
  return d != ZJ_DATA_VSET && d != ZJ_DATA_MSET;
}

/* Backward pass over f with `live` = live-out; leaves live-in in `live`
   and, if mark != NULL, marks the instructions that must stay. */
static void
transfer (const zj_fn *f, const locmap *m, bool *live, bool *mark)
{
  for (int i = f->n - 1; i >= 0; i--)
    {
      const zj_instr *in = &f->ins[i];
      const zj_op_info *o = &zj_ops[in->op];
      bool keep = false;
      if (in->op != ZJ_NO_OP)
        {
          int out = loc (m, o->out, in->out);
          keep = live[out] || zj_op_is_random (in->op);
          if (keep)
            {
              if (full_write (in->op))
                live[out] = false;
              if (o->in1 != ZJ_KIND_N)
                live[loc (m, o->in1, in->in1)] = true;
              if (o->in2 != ZJ_KIND_N)
                live[loc (m, o->in2, in->in2)] = true;
            }
        }
      if (mark)
        mark[i] = keep;
    }
}

/* Locations the executor overwrites before Predict and Learn. */
static void
strip_inputs (bool *live, const locmap *m)
{
  live[loc (m, ZJ_KIND_S, 0)] = false;
  live[loc (m, ZJ_KIND_V, 0)] = false;
}

static int
max_addr (const zj_program *p, zj_kind k)
{
  int mx = 0;
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    for (int i = 0; i < p->fn[c].n; i++)
      {
        const zj_instr *in = &p->fn[c].ins[i];
        const zj_op_info *o = &zj_ops[in->op];
        if (o->in1 == k && in->in1 + 1 > mx) mx = in->in1 + 1;
        if (o->in2 == k && in->in2 + 1 > mx) mx = in->in2 + 1;
        if (o->out == k && in->out + 1 > mx) mx = in->out + 1;
      }
  return mx;
}

void
zj_prune (const zj_program *in, zj_program *out)
{
  zj_prune_sized (in, max_addr (in, ZJ_KIND_S), max_addr (in, ZJ_KIND_V),
                  max_addr (in, ZJ_KIND_M), out);
}

/* ---- Bit-set version: up to 64 locations (every shape up to the
   original's 20/20/20), a word per live set.  This runs once per evaluated
   individual, so it matters; the bool version below handles the rest. */

static inline uint64_t
bit (const locmap *m, zj_kind k, int a)
{
  return k == ZJ_KIND_N ? 0 : (uint64_t) 1 << loc (m, k, a);
}

/* What the transfer function needs of one instruction, decoded once per
   prune instead of once per pass: its output and input bits, whether it
   must stay (random op) and whether it overwrites its output whole.  A
   no-op has no bits and is never kept. */
typedef struct pinfo {
  uint64_t out, in;
  uint64_t always;   /* all ones for a random op (it always stays) */
  uint64_t full;     /* out if the op overwrites it whole, else 0 */
} pinfo;

static void
pinfo_fill (const zj_fn *f, const locmap *m, pinfo *p)
{
  /* First bit of each kind; kind N maps to bit 64, i.e. no bit (the shift
     is done in two steps so that 64 gives 0 without undefined behaviour). */
  const int base[4] = { 64, 0, m->ns, m->ns + m->nv };
#define ZJ_PBIT(k, a) \
  ((k) == ZJ_KIND_N ? (uint64_t) 0 : (uint64_t) 1 << (base[k] + (a)))
  for (int i = 0; i < f->n; i++)
    {
      const zj_instr *in = &f->ins[i];
      const zj_op_info *o = &zj_ops[in->op];
      const uint64_t live = in->op != ZJ_NO_OP ? ~(uint64_t) 0 : 0;
      p[i].out = ZJ_PBIT (o->out, in->out) & live;
      p[i].in = (ZJ_PBIT (o->in1, in->in1) | ZJ_PBIT (o->in2, in->in2)) & live;
      p[i].always = o->random ? ~(uint64_t) 0 : 0;
      p[i].full = full_write (in->op) ? p[i].out : 0;
    }
#undef ZJ_PBIT
}

/* Branch-free: whether an instruction stays is data (the live set), and
   mispredicting it cost more than the whole transfer.  The live set after
   a kept instruction is computed alongside the test and selected (a
   conditional move), so the chain through `live` is about three cycles
   an instruction instead of the six that turning the test into a mask
   took. */
static uint64_t
transfer64 (const pinfo *p, int n, uint64_t live, bool *mark)
{
  for (int i = n - 1; i >= 0; i--)
    {
      const uint64_t kept = (live & ~p[i].full) | p[i].in;
      const uint64_t test = (live & p[i].out) | p[i].always;
#if defined __x86_64__ && defined __GNUC__
      /* GCC turns the select into a branch, which mispredicts. */
      __asm__ ("test %1, %1\n\tcmovnz %2, %0"
               : "+r" (live) : "r" (test), "r" (kept) : "cc");
#else
      live = test != 0 ? kept : live;
#endif
      if (mark)
        mark[i] = test != 0;
    }
  return live;
}

static void
prune64 (const zj_program *in, const locmap *m, zj_program *out)
{
  int total = 0;
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    total += in->fn[c].n;
  /* Small programs (the common case) decode on the stack. */
  pinfo stackbuf[256];
  bool markbuf[256];
  pinfo *info = total <= 256 ? stackbuf : zj_xmalloc ((size_t) total * sizeof *info);
  bool *mark = total <= 256 ? markbuf : zj_xmalloc ((size_t) total);
  pinfo *pi[ZJ_NUM_COMPONENTS];
  for (int c = 0, off = 0; c < ZJ_NUM_COMPONENTS; off += in->fn[c].n, c++)
    {
      pi[c] = info + off;
      pinfo_fill (&in->fn[c], m, pi[c]);
    }
  /* s0 and v0 are overwritten before every Predict and Learn. */
  const uint64_t inputs = bit (m, ZJ_KIND_S, 0) | bit (m, ZJ_KIND_V, 0);
  const uint64_t s1 = bit (m, ZJ_KIND_S, 1);
  const int np_ = in->fn[ZJ_PREDICT].n, nl_ = in->fn[ZJ_LEARN].n;
  /* Gauss-Seidel: Learn's pass takes the live-in Predict's pass just
     computed instead of the previous round's.  Both transfers are
     monotone, so this reaches the same least fixed point as updating
     both from the previous round (the array version below), in fewer
     rounds; at the exit np == in_p and nl == in_l, so in_p = T_P (s1 |
     in_l | in_p) and in_l = T_L (in_p) hold. */
  uint64_t in_p = 0, in_l = 0;
  for (;;)
    {
      const uint64_t np = transfer64 (pi[ZJ_PREDICT], np_, s1 | in_l | in_p,
                                      NULL) & ~inputs;
      const uint64_t nl = transfer64 (pi[ZJ_LEARN], nl_, np, NULL) & ~inputs;
      if (np == in_p && nl == in_l)
        break;
      in_p = np;
      in_l = nl;
    }
  const uint64_t out_p = s1 | in_l | in_p, out_l = in_p;
  const uint64_t live_out[ZJ_NUM_COMPONENTS] = { in_p, out_p, out_l };
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    {
      const zj_fn *f = &in->fn[c];
      transfer64 (pi[c], f->n, live_out[c], mark);
      int kept = 0;
      for (int i = 0; i < f->n; i++)
        kept += mark[i];
      zj_fn *o = &out->fn[c];
      o->n = 0;
      zj_fn_reserve (o, kept);
      for (int i = 0; i < f->n; i++)
        if (mark[i])
          o->ins[o->n++] = f->ins[i];
    }
  if (info != stackbuf)
    free (info);
  if (mark != markbuf)
    free (mark);
}

/* ---- Checked prune: the program check and prune64's decode in one pass.
   Every evaluated individual is checked against the shape and then
   pruned, and both walked every instruction through zj_ops' rows; here a
   compact table from ops.def gives each op's operand kinds and flags in
   one load, each operand is range-checked and turned into its location
   bit together, and the kept instructions are copied without a branch
   per instruction (whether one stays is data, and mispredicting it cost
   more than the copy). */

enum { OPK_RANDOM = 1, OPK_FULL = 2 };
typedef struct opk {
  uint8_t k1, k2, ko, flags;
} opk;

static const opk opks[ZJ_NUM_OPS] = {
#define ZJ_OP(id, name, k1, k2, ko, data, rand, cost, form) \
  [id] = { ZJ_KIND_##k1, ZJ_KIND_##k2, ZJ_KIND_##ko, \
           (rand ? OPK_RANDOM : 0) \
           | (ZJ_DATA_##data != ZJ_DATA_VSET && ZJ_DATA_##data != ZJ_DATA_MSET \
              ? OPK_FULL : 0) },
#include <zerojit/ops.def>
#undef ZJ_OP
};

/* pinfo of f's instructions; false if an op is unknown or an operand out
   of its kind's range (lim), as zj_program_check finds. */
static inline __attribute__ ((always_inline)) bool
pinfo_fill_checked (const zj_fn *f, const unsigned lim[4],
                    const unsigned base[4], pinfo *p)
{
  /* Kind N has no location: its operand gives no bit and never fails. */
  static const uint64_t kmask[4] = { 0, ~(uint64_t) 0, ~(uint64_t) 0,
                                     ~(uint64_t) 0 };
  unsigned bad = 0;
  for (int i = 0; i < f->n; i++)
    {
      const zj_instr *in = &f->ins[i];
      if (ZJ_UNLIKELY (in->op >= ZJ_NUM_OPS))
        return false;
      const opk k = opks[in->op];
      bad |= ((unsigned) in->in1 >= lim[k.k1])
             | ((unsigned) in->in2 >= lim[k.k2])
             | ((unsigned) in->out >= lim[k.ko]);
      const uint64_t o = ((uint64_t) 1 << ((base[k.ko] + in->out) & 63))
                         & kmask[k.ko];
      p[i].out = o;
      p[i].in = (((uint64_t) 1 << ((base[k.k1] + in->in1) & 63)) & kmask[k.k1])
                | (((uint64_t) 1 << ((base[k.k2] + in->in2) & 63))
                   & kmask[k.k2]);
      p[i].always = -(uint64_t) (k.flags & OPK_RANDOM);
      p[i].full = o & -(uint64_t) ((k.flags & OPK_FULL) != 0);
    }
  return bad == 0;
}

/* Predict's and Learn's live-in sets (in_p, in_l) and marks (mp, ml)
   from their pinfo: prune64's Gauss-Seidel rounds, with the locations
   of the shape itself, each round marking: the round that finds the
   fixed point ran both on their final live-out sets (Predict on s1 |
   in_l | in_p, Learn on in_p), so its marks are the final ones. */
static inline __attribute__ ((always_inline)) void
fixed_point (const pinfo *pp, int np_, const pinfo *pl, int nl_,
             uint64_t inputs, uint64_t s1, bool *mp, bool *ml,
             uint64_t *in_p_out, uint64_t *in_l_out)
{
  uint64_t in_p = 0, in_l = 0;
  for (;;)
    {
      const uint64_t np = transfer64 (pp, np_, s1 | in_l | in_p, mp) & ~inputs;
      const uint64_t nl = transfer64 (pl, nl_, np, ml) & ~inputs;
      if (np == in_p && nl == in_l)
        break;
      in_p = np;
      in_l = nl;
    }
  *in_p_out = in_p;
  *in_l_out = in_l;
}

int
zj_prune_checked (const zj_program *in, const zj_shape *shape,
                  zj_program *out)
{
  return zj_prune_checked_memo (in, shape, out, NULL);
}

int
zj_prune_checked_memo (const zj_program *in, const zj_shape *shape,
                       zj_program *out, zj_prune_memo *memo)
{
  if (memo)
    {
      memo->valid = memo->keyed = false;
      memo->tag = 0;
    }
  if (!zj_features_size_ok (shape->F) || shape->ns < 2 || shape->nv < 1
      || shape->nm < 0)
    return -1;
  if (shape->ns + shape->nv + shape->nm > 64)
    {
      if (zj_program_check (in, shape, NULL) != 0)
        return -1;
      zj_prune_sized (in, shape->ns, shape->nv, shape->nm, out);
      return 0;
    }
  const unsigned lim[4] = { ~0u, (unsigned) shape->ns, (unsigned) shape->nv,
                            (unsigned) shape->nm };
  const unsigned base[4] = { 0, 0, (unsigned) shape->ns,
                             (unsigned) (shape->ns + shape->nv) };
  int total = 0;
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    total += in->fn[c].n;
  pinfo stackbuf[256];
  bool markbuf[256];
  pinfo *info = total <= 256 ? stackbuf
                : zj_xmalloc ((size_t) total * sizeof *info);
  bool *mark = total <= 256 ? markbuf : zj_xmalloc ((size_t) total);
  pinfo *pi[ZJ_NUM_COMPONENTS];
  bool ok = true;
  for (int c = 0, off = 0; c < ZJ_NUM_COMPONENTS; off += in->fn[c].n, c++)
    {
      pi[c] = info + off;
      ok &= pinfo_fill_checked (&in->fn[c], lim, base, pi[c]);
    }
  if (ok)
    {
      const uint64_t inputs = (uint64_t) 1 | ((uint64_t) 1 << base[ZJ_KIND_V]);
      const uint64_t s1 = (uint64_t) 1 << 1;
      const int ns_ = in->fn[ZJ_SETUP].n, np_ = in->fn[ZJ_PREDICT].n,
                nl_ = in->fn[ZJ_LEARN].n;
      bool *mk[ZJ_NUM_COMPONENTS] = { mark, mark + ns_, mark + ns_ + np_ };
      uint64_t in_p, in_l;
      fixed_point (pi[ZJ_PREDICT], np_, pi[ZJ_LEARN], nl_, inputs, s1,
                   mk[ZJ_PREDICT], mk[ZJ_LEARN], &in_p, &in_l);
      transfer64 (pi[ZJ_SETUP], ns_, in_p, mk[ZJ_SETUP]);
      bool small = true;
      for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
        {
          const zj_fn *f = &in->fn[c];
          zj_fn *o = &out->fn[c];
          const bool *mark = mk[c];
          if (o->cap < f->n)
            zj_fn_reserve (o, f->n);
          int n = 0;
          uint64_t kept = 0;
          for (int i = 0; i < f->n; i++)
            {
              o->ins[n] = f->ins[i];
              n += mark[i];
              kept |= (uint64_t) mark[i] << (i & 63);
            }
          o->n = n;
          small &= f->n <= 64;
          if (memo)
            memo->kept[c] = kept;
        }
      if (memo && small)
        {
          memo->out[ZJ_SETUP] = in_p;
          memo->out[ZJ_PREDICT] = s1 | in_l | in_p;
          memo->out[ZJ_LEARN] = in_p;
          memo->shape = *shape;
          memo->valid = true;
        }
    }
  if (info != stackbuf)
    free (info);
  if (mark != markbuf)
    free (mark);
  return ok ? 0 : -1;
}

/* ---- A child from its parent's memo (zj_prune_memo).  transfer64 sees
   an instruction only through its pinfo, and passes `live` through one
   it does not keep.  So a child whose changed instruction has its old
   pinfo, or is dead where it stands in place of a dead one, has every
   live set and mark of its parent.  Setup, whose live-out is Predict's
   live-in, never feeds the fixed point: a child changed in Setup alone
   needs Setup marked again and nothing else, and one changed in
   Predict or Learn needs their fixed point, and Setup's marks only if
   Predict's live-in moved.  Unchanged components were checked with the
   parent. */

/* The pinfo of one instruction; false if zj_program_check refuses it. */
static bool
pinfo_one (const zj_instr *in, const unsigned lim[4], const unsigned base[4],
           pinfo *p)
{
  const zj_fn f = { (zj_instr *) in, 1, 1 };
  return pinfo_fill_checked (&f, lim, base, p);
}

int
zj_prune_reuse (const zj_program *child, const zj_shape *shape,
                const zj_prune_memo *parent, const zj_mut_site *site,
                zj_prune_memo *memo)
{
  if (!parent->valid || parent->shape.F != shape->F
      || parent->shape.ns != shape->ns || parent->shape.nv != shape->nv
      || parent->shape.nm != shape->nm)
    return ZJ_REUSE_NONE;
  if (site->c == ZJ_SITE_NONE)
    {
      if (memo != parent)
        *memo = *parent;
      return ZJ_REUSE_PRUNED;
    }
  if (site->c < 0 || site->c >= ZJ_NUM_COMPONENTS)
    return ZJ_REUSE_NONE;
  const int c = site->c, i = site->i;
  const zj_fn *f = &child->fn[c];
  if (f->n > 64 || i >= f->n)
    return ZJ_REUSE_NONE;
  const unsigned lim[4] = { ~0u, (unsigned) shape->ns, (unsigned) shape->nv,
                            (unsigned) shape->nm };
  const unsigned base[4] = { 0, 0, (unsigned) shape->ns,
                             (unsigned) (shape->ns + shape->nv) };
  const uint64_t was = parent->kept[c];
  uint64_t kept = was;
  /* the same instructions stay: the parent's pruned program */
  bool same = i >= 0 && (was >> i & 1) == 0;
  bool single = false;
  pinfo pn, po;
  if (i >= 0 && pinfo_one (&f->ins[i], lim, base, &pn)
      && pinfo_one (&site->old, lim, base, &po))
    {
      if (pn.out == po.out && pn.in == po.in && pn.full == po.full
          && pn.always == po.always)
        {
          /* Redrawn to itself (an address often is): nothing changed. */
          single = true;
          same = same || zj_instr_equal (&f->ins[i], &site->old);
        }
      else if (same && !pn.always)
        {
          /* The live set after i: the component's live-out through the
             instructions after it that stay (the others pass it on). */
          uint64_t live = parent->out[c];
          for (uint64_t later = was & ~(((uint64_t) 2 << i) - 1); later;)
            {
              const int j = 63 - __builtin_clzll (later);
              later &= ~((uint64_t) 1 << j);
              pinfo pj;
              pinfo_one (&f->ins[j], lim, base, &pj);
              live = (live & ~pj.full) | pj.in;
            }
          single = (live & pn.out) == 0;
        }
    }
  /* The child's sets, built in registers and stored field by field at
     the end (a whole struct built on the stack and copied out would be
     read back across narrow stores); memo may be parent. */
  uint64_t mk[ZJ_NUM_COMPONENTS], mo[ZJ_NUM_COMPONENTS];
  for (int k = 0; k < ZJ_NUM_COMPONENTS; k++)
    {
      mk[k] = parent->kept[k];
      mo[k] = parent->out[k];
    }
  if (!single && c != ZJ_SETUP)
    {
      /* Predict or Learn changed how it reads or writes: their fixed
         point again, and Setup's marks only if Predict's live-in moved
         (Setup is as checked in the parent). */
      const zj_fn *fp = &child->fn[ZJ_PREDICT], *fl = &child->fn[ZJ_LEARN];
      pinfo ip[64], il[64], is[64];
      bool mp[64], ml[64], ms[64];
      if (fp->n > 64 || fl->n > 64 || !pinfo_fill_checked (fp, lim, base, ip)
          || !pinfo_fill_checked (fl, lim, base, il))
        return ZJ_REUSE_NONE;
      const uint64_t inputs = (uint64_t) 1 | ((uint64_t) 1 << base[ZJ_KIND_V]);
      const uint64_t s1 = (uint64_t) 1 << 1;
      uint64_t in_p, in_l;
      fixed_point (ip, fp->n, il, fl->n, inputs, s1, mp, ml, &in_p, &in_l);
      mk[ZJ_PREDICT] = mk[ZJ_LEARN] = 0;
      for (int j = 0; j < fp->n; j++)
        mk[ZJ_PREDICT] |= (uint64_t) mp[j] << j;
      for (int j = 0; j < fl->n; j++)
        mk[ZJ_LEARN] |= (uint64_t) ml[j] << j;
      if (in_p != parent->out[ZJ_SETUP])
        {
          const zj_fn *fs = &child->fn[ZJ_SETUP];
          pinfo_fill_checked (fs, lim, base, is);
          transfer64 (is, fs->n, in_p, ms);
          mk[ZJ_SETUP] = 0;
          for (int j = 0; j < fs->n; j++)
            mk[ZJ_SETUP] |= (uint64_t) ms[j] << j;
        }
      mo[ZJ_SETUP] = mo[ZJ_LEARN] = in_p;
      mo[ZJ_PREDICT] = s1 | in_l | in_p;
      same = true;
      for (int k = 0; k < ZJ_NUM_COMPONENTS; k++)
        same &= mk[k] == parent->kept[k];
      /* One instruction: it stays out.  A whole component: none stays. */
      same &= i >= 0 ? (mk[c] >> i & 1) == 0 : mk[c] == 0;
      kept = mk[c];
    }
  else if (!single)
    {
      pinfo info[64];
      bool mark[64];
      if (!pinfo_fill_checked (f, lim, base, info))
        return ZJ_REUSE_NONE;
      transfer64 (info, f->n, parent->out[ZJ_SETUP], mark);
      kept = 0;
      for (int j = 0; j < f->n; j++)
        kept |= (uint64_t) mark[j] << j;
      /* One instruction: it stays out.  The whole of Setup: none stays. */
      same = kept == was && (i >= 0 ? (kept >> i & 1) == 0 : kept == 0);
    }
  mk[c] = kept;
  const bool keyed = parent->keyed && same;
  const uint64_t tag = same ? parent->tag : 0;
  if (memo != parent)
    {
      memo->key = parent->key;
      memo->shape = parent->shape;
      memo->valid = true;
    }
  for (int k = 0; k < ZJ_NUM_COMPONENTS; k++)
    {
      memo->kept[k] = mk[k];
      memo->out[k] = mo[k];
    }
  memo->keyed = keyed;
  memo->tag = tag;
  return same ? ZJ_REUSE_PRUNED : ZJ_REUSE_LIVENESS;
}

void
zj_prune_apply (const zj_program *in, const zj_prune_memo *m,
                zj_program *out)
{
  ZJ_ASSERT (m->valid);
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    {
      const zj_fn *f = &in->fn[c];
      zj_fn *o = &out->fn[c];
      ZJ_ASSERT (f->n <= 64);
      if (o->cap < f->n)
        zj_fn_reserve (o, f->n);
      /* Only the kept ones, found by their bits: about half of them. */
      int n = 0;
      for (uint64_t kept = m->kept[c]; kept; kept &= kept - 1)
        o->ins[n++] = f->ins[__builtin_ctzll (kept)];
      o->n = n;
    }
}

void
zj_prune_sized (const zj_program *in, int ns, int nv, int nm, zj_program *out)
{
  locmap m;
  m.ns = ns < 2 ? 2 : ns;
  m.nv = nv < 1 ? 1 : nv;
  m.nm = nm;
  m.n = m.ns + m.nv + m.nm;
  if (m.n <= 64)
    {
      prune64 (in, &m, out);
      return;
    }
  const size_t sz = (size_t) m.n * sizeof (bool);
  /* Small shapes (the common case) live on the stack: this runs once per
     evaluated individual. */
  bool stackbuf[5 * 128];
  bool *heap = NULL, *base = stackbuf;
  if (5 * sz > sizeof stackbuf)
    base = heap = zj_xmalloc (5 * sz);
  bool *in_p = base, *in_l = base + m.n, *out_p = base + 2 * m.n,
       *out_l = base + 3 * m.n, *tmp = base + 4 * m.n;
  memset (in_p, 0, sz);
  memset (in_l, 0, sz);
  const zj_fn *P = &in->fn[ZJ_PREDICT], *L = &in->fn[ZJ_LEARN];
  for (bool changed = true; changed;)
    {
      /* out(P) = {s1} + in(L) + in(P); out(L) = in(P). */
      memset (out_p, 0, sz);
      out_p[loc (&m, ZJ_KIND_S, 1)] = true;
      for (int i = 0; i < m.n; i++)
        out_p[i] = out_p[i] || in_l[i] || in_p[i];
      memcpy (out_l, in_p, sz);
      changed = false;
      memcpy (tmp, out_p, sz);
      transfer (P, &m, tmp, NULL);
      strip_inputs (tmp, &m);
      if (memcmp (tmp, in_p, sz) != 0)
        changed = true, memcpy (in_p, tmp, sz);
      memcpy (tmp, out_l, sz);
      transfer (L, &m, tmp, NULL);
      strip_inputs (tmp, &m);
      if (memcmp (tmp, in_l, sz) != 0)
        changed = true, memcpy (in_l, tmp, sz);
    }
  /* Final marking pass with the converged live-out sets. */
  int maxn = 1;
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    if (in->fn[c].n > maxn)
      maxn = in->fn[c].n;
  bool markbuf[256];
  bool *mark = maxn <= 256 ? markbuf : zj_xmalloc ((size_t) maxn * sizeof (bool));
  zj_program_clear (out);
  const bool *live_out[ZJ_NUM_COMPONENTS] = { in_p, out_p, out_l };
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    {
      memcpy (tmp, live_out[c], sz);
      transfer (&in->fn[c], &m, tmp, mark);
      for (int i = 0; i < in->fn[c].n; i++)
        if (mark[i])
          zj_fn_push (&out->fn[c], in->fn[c].ins[i]);
    }
  if (mark != markbuf)
    free (mark);
  free (heap);
}

/* 1 if f reads s1 before writing it, 2 if it writes s1 first, 0 if it
   does neither (an instruction's reads come before its write). */
static int
first_s1_access (const zj_fn *f)
{
  for (int i = 0; i < f->n; i++)
    {
      const zj_instr *in = &f->ins[i];
      const zj_op_info *o = &zj_ops[in->op];
      if (in->op == ZJ_NO_OP)
        continue;
      if ((o->in1 == ZJ_KIND_S && in->in1 == 1)
          || (o->in2 == ZJ_KIND_S && in->in2 == 1))
        return 1;
      if (o->out == ZJ_KIND_S && in->out == 1)
        return 2;
    }
  return 0;
}

bool
zj_s1_sigmoid_dead (const zj_program *p)
{
  /* After a training Predict the next reader of s1 is Learn; if Learn
     leaves s1 alone, the next Predict (training or validation); if that
     leaves it alone too, the next step's sigmoid reads it. */
  const int learn = first_s1_access (&p->fn[ZJ_LEARN]);
  if (learn != 0)
    return learn == 2;
  return first_s1_access (&p->fn[ZJ_PREDICT]) == 2;
}
