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
   mispredicting it cost more than the whole transfer. */
static uint64_t
transfer64 (const pinfo *p, int n, uint64_t live, bool *mark)
{
  for (int i = n - 1; i >= 0; i--)
    {
      const uint64_t keep = -(uint64_t) (((live & p[i].out) | p[i].always) != 0);
      live = (live & ~(p[i].full & keep)) | (p[i].in & keep);
      if (mark)
        mark[i] = keep != 0;
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
