/* shortcut.c -- the structural test and the interval proof behind the
 * lane evaluator's exact training shortcut (doc/shortcuts.md).
 *
 * Intervals enclose every value an op can produce when its inputs range
 * over their intervals.  IEEE round-to-nearest addition, subtraction,
 * multiplication, division and sqrt are monotone in each argument, so
 * evaluating an endpoint with the kernel's own operations in the kernel's
 * own order (reductions in reduce.h's order, row sums in column order)
 * gives an exact bound of what the kernel computes.  SLEEF's functions
 * are within 1 ULP of the true, monotone function, not monotone
 * themselves: their endpoints are widened by 8 ULP plus a tiny absolute
 * margin.  Anything else (tan, the standard deviations, random ops) gives
 * up, as does an interval leaving an op's domain or a non-finite
 * endpoint: then no shortcut is taken and the evaluation runs in full.
 */
#include "shortcut.h"
#include <math.h>
#include <string.h>
#include <sleef.h>
#include "reduce.h"

/* ------------------------------------------------------------ structure */

#define ZJ_SC_MAX_ADDR 256

zj_shortcut_kind
zj_shortcut_structural (const zj_program *p, const zj_shape *sh,
                        zj_eval_type et)
{
  const zj_fn *learn = &p->fn[ZJ_LEARN], *pred = &p->fn[ZJ_PREDICT];
  for (int i = 0; i < learn->n; i++)
    if (learn->ins[i].op != ZJ_NO_OP)
      return ZJ_SC_NONE;
  if (sh->ns > ZJ_SC_MAX_ADDR || sh->nv > ZJ_SC_MAX_ADDR
      || sh->nm > ZJ_SC_MAX_ADDR)
    return ZJ_SC_NONE;
  /* [kind][address]: written anywhere in Predict (or by the step);
     written earlier in this pass. */
  bool wr[4][ZJ_SC_MAX_ADDR] = { { false } };
  bool killed[4][ZJ_SC_MAX_ADDR] = { { false } };
  for (int i = 0; i < pred->n; i++)
    {
      const zj_instr *in = &pred->ins[i];
      const zj_op_info *o = &zj_ops[in->op];
      if (o->random)
        return ZJ_SC_NONE;
      if (o->out != ZJ_KIND_N)
        wr[o->out][in->out] = true;
    }
  const bool acc = et == ZJ_ACCURACY;
  if (acc)
    wr[ZJ_KIND_S][1] = true;      /* training's s1 := sigmoid(s1) */
  killed[ZJ_KIND_S][0] = killed[ZJ_KIND_V][0] = true;  /* the example */
  for (int i = 0; i < pred->n; i++)
    {
      const zj_instr *in = &pred->ins[i];
      const zj_op_info *o = &zj_ops[in->op];
      if (in->op == ZJ_NO_OP)
        continue;
      if (o->in1 != ZJ_KIND_N && wr[o->in1][in->in1]
          && !killed[o->in1][in->in1])
        return ZJ_SC_NONE;
      if (o->in2 != ZJ_KIND_N && wr[o->in2][in->in2]
          && !killed[o->in2][in->in2])
        return ZJ_SC_NONE;
      const bool partial = o->data == ZJ_DATA_VSET || o->data == ZJ_DATA_MSET;
      if (o->out != ZJ_KIND_N && !partial)
        killed[o->out][in->out] = true;
    }
  /* Under ACCURACY an s1 that Predict leaves alone (it then never reads
     it either) is sigmoid applied once per step: the last step alone
     does not give it. */
  return acc && !killed[ZJ_KIND_S][1] ? ZJ_SC_SIGMOID_CHAIN : ZJ_SC_LAST_STEP;
}

/* Location index of address a of kind k: scalars, vectors, matrices. */
static inline int
loc (const zj_shape *sh, zj_kind k, int a)
{
  return k == ZJ_KIND_S ? a : k == ZJ_KIND_V ? sh->ns + a
                          : sh->ns + sh->nv + a;
}

/* One component's pass over the dependency sets (see below). */
static void
deps_pass (const zj_fn *f, const zj_shape *sh, uint64_t *cur)
{
  cur[loc (sh, ZJ_KIND_S, 0)] = cur[loc (sh, ZJ_KIND_V, 0)] = 0;
  for (int i = 0; i < f->n; i++)
    {
      const zj_instr *in = &f->ins[i];
      const zj_op_info *o = &zj_ops[in->op];
      if (in->op == ZJ_NO_OP || o->out == ZJ_KIND_N)
        continue;
      uint64_t d = 0;
      if (o->in1 != ZJ_KIND_N)
        d |= cur[loc (sh, o->in1, in->in1)];
      if (o->in2 != ZJ_KIND_N)
        d |= cur[loc (sh, o->in2, in->in2)];
      const int w = loc (sh, o->out, in->out);
      const bool partial = o->data == ZJ_DATA_VSET || o->data == ZJ_DATA_MSET;
      cur[w] = partial ? cur[w] | d : d;
    }
}

int
zj_shortcut_depth (const zj_program *p, const zj_shape *sh, zj_eval_type et)
{
  const int nloc = sh->ns + sh->nv + sh->nm;
  if (nloc > 3 * ZJ_SC_MAX_ADDR)
    return -1;
  /* Written locations (v0 and s0 aside: the executor sets them before
     each component runs) get bits 0..nw-1. */
  int bit[3 * ZJ_SC_MAX_ADDR];
  int nw = 0;
  for (int l = 0; l < nloc; l++)
    bit[l] = -1;
  for (int c = ZJ_PREDICT; c <= ZJ_LEARN; c++)
    for (int i = 0; i < p->fn[c].n; i++)
      {
        const zj_instr *in = &p->fn[c].ins[i];
        const zj_op_info *o = &zj_ops[in->op];
        if (o->random)
          return -1;
        if (in->op == ZJ_NO_OP || o->out == ZJ_KIND_N)
          continue;
        const int w = loc (sh, o->out, in->out);
        if (w == loc (sh, ZJ_KIND_S, 0) || w == loc (sh, ZJ_KIND_V, 0)
            || bit[w] >= 0)
          continue;
        if (nw == 64)
          return -1;
        bit[w] = nw++;
      }
  const int s1 = loc (sh, ZJ_KIND_S, 1);
  if (et == ZJ_ACCURACY && bit[s1] < 0)
    bit[s1] = nw++;          /* the sigmoid writes it (a function of itself) */
  if (nw > 64)
    return -1;
  /* cur[l]: the written locations whose values at the step's start the
     value of l depends on, as the step goes. */
  uint64_t cur[3 * ZJ_SC_MAX_ADDR];
  for (int l = 0; l < nloc; l++)
    cur[l] = bit[l] >= 0 ? (uint64_t) 1 << bit[l] : 0;
  deps_pass (&p->fn[ZJ_PREDICT], sh, cur);
  deps_pass (&p->fn[ZJ_LEARN], sh, cur);
  /* Each written location's value after a step depends on the written
     ones in cur at the step's start: acyclic, the longest chain D says
     a step's memory depends on the last D + 1 examples only. */
  uint64_t dep[64];
  int lvl[64];
  for (int l = 0; l < nloc; l++)
    if (bit[l] >= 0)
      dep[bit[l]] = cur[l];
  for (int b = 0; b < nw; b++)
    lvl[b] = -1;
  int depth = 0;
  for (int round = 0; round <= nw; round++)
    {
      bool all = true;
      for (int b = 0; b < nw; b++)
        {
          if (lvl[b] >= 0)
            continue;
          int m = 0;
          bool ready = true;
          for (int u = 0; u < nw && ready; u++)
            if (dep[b] >> u & 1)
              {
                if (lvl[u] < 0)
                  ready = false;
                else if (lvl[u] + 1 > m)
                  m = lvl[u] + 1;
              }
          if (ready)
            {
              lvl[b] = m;
              depth = m > depth ? m : depth;
            }
          else
            all = false;
        }
      if (all)
        return depth;
    }
  return -1;                 /* a cycle */
}

/* ------------------------------------------------------------ intervals */

/* SLEEF widening: 8 ULP relative (the functions promise 1) and an
   absolute margin for subnormal results. */
#define ZJ_SC_REL 0x1p-49
#define ZJ_SC_ABS 0x1p-1000

static inline double
wlo (double x)
{
  return x - fabs (x) * ZJ_SC_REL - ZJ_SC_ABS;
}

static inline double
whi (double x)
{
  return x + fabs (x) * ZJ_SC_REL + ZJ_SC_ABS;
}

static inline zj_ival
iv (double lo, double hi)
{
  return (zj_ival) { lo, hi };
}

static inline zj_ival
iadd (zj_ival a, zj_ival b)
{
  return iv (a.lo + b.lo, a.hi + b.hi);
}

static inline zj_ival
isub (zj_ival a, zj_ival b)
{
  return iv (a.lo - b.hi, a.hi - b.lo);
}

/* The smallest interval holding the four corner values p (of a product
   or a quotient of two intervals). */
static inline zj_ival
hull4 (const double p[4])
{
  zj_ival r = iv (p[0], p[0]);
  for (int i = 1; i < 4; i++)
    {
      r.lo = p[i] < r.lo ? p[i] : r.lo;
      r.hi = p[i] > r.hi ? p[i] : r.hi;
    }
  return r;
}

/* The extremes of a bilinear form lie at the corners; rounding each
   corner is monotone, so the rounded corners bound every rounded
   product. */
static inline zj_ival
imul (zj_ival a, zj_ival b)
{
  const double p[4] = { a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi };
  return hull4 (p);
}

/* x * x of one value (a dot product of a vector with itself). */
static inline zj_ival
isq (zj_ival a)
{
  if (a.lo >= 0)
    return iv (a.lo * a.lo, a.hi * a.hi);
  if (a.hi <= 0)
    return iv (a.hi * a.hi, a.lo * a.lo);
  const double l = a.lo * a.lo, h = a.hi * a.hi;
  return iv (0.0, l > h ? l : h);
}

/* a / b; *ok cleared when b may be 0. */
static inline zj_ival
idiv (zj_ival a, zj_ival b, bool *ok)
{
  if (!(b.lo > 0 || b.hi < 0))
    {
      *ok = false;
      return iv (0, 0);
    }
  const double p[4] = { a.lo / b.lo, a.lo / b.hi, a.hi / b.lo, a.hi / b.hi };
  return hull4 (p);
}

static inline zj_ival
iabs (zj_ival a)
{
  if (a.lo >= 0)
    return a;
  if (a.hi <= 0)
    return iv (-a.hi, -a.lo);
  return iv (0.0, -a.lo > a.hi ? -a.lo : a.hi);
}

static inline zj_ival
imin (zj_ival a, zj_ival b)
{
  return iv (a.lo < b.lo ? a.lo : b.lo, a.hi < b.hi ? a.hi : b.hi);
}

static inline zj_ival
imax (zj_ival a, zj_ival b)
{
  return iv (a.lo > b.lo ? a.lo : b.lo, a.hi > b.hi ? a.hi : b.hi);
}

/* Heaviside: x >= 0 (scalar, ge) or x > 0 (vectors, matrices). */
static inline zj_ival
iheavi (zj_ival a, bool ge)
{
  const bool all = ge ? a.lo >= 0 : a.lo > 0;
  const bool none = ge ? a.hi < 0 : a.hi <= 0;
  return all ? iv (1, 1) : none ? iv (0, 0) : iv (0, 1);
}

static inline zj_ival
isqrt (zj_ival a, bool *ok)
{
  if (!(a.lo >= 0))
    *ok = false;
  return *ok ? iv (sqrt (a.lo), sqrt (a.hi)) : iv (0, 0);
}

/* Sums of n terms in reduce.h's order, each endpoint on its own. */
static zj_ival
irsum (const zj_ival *t, int n, double *buf)
{
  zj_ival r;
  for (int i = 0; i < n; i++)
    buf[i] = t[i].lo;
  r.lo = zj_rsum (buf, n);
  for (int i = 0; i < n; i++)
    buf[i] = t[i].hi;
  r.hi = zj_rsum (buf, n);
  return r;
}

/* rdot(a, b) over n elements; same: a and b are the same operand. */
static zj_ival
irdot (const zj_ival *a, const zj_ival *b, int n, bool same, zj_ival *t,
       double *buf)
{
  for (int i = 0; i < n; i++)
    t[i] = same ? isq (a[i]) : imul (a[i], b[i]);
  return irsum (t, n, buf);
}

static bool
finite_all (const zj_ival *v, int n)
{
  for (int i = 0; i < n; i++)
    if (!isfinite (v[i].lo) || !isfinite (v[i].hi))
      return false;
  return true;
}

bool
zj_ival_exec (const zj_instr *in, const zj_layout *lay, zj_ival *m,
              zj_ival *tmp)
{
  const zj_op_info *o = &zj_ops[in->op];
  const int F = lay->F, FF = F * F;
  const zj_ival *a = m + zj_layout_elem (lay, o->in1, in->in1);
  const zj_ival *b = m + zj_layout_elem (lay, o->in2, in->in2);
  zj_ival *out = m + zj_layout_elem (lay, o->out, in->out);
  const int nw = zj_kind_elems (o->out, F);
  if (!finite_all (a, zj_kind_elems (o->in1, F))
      || !finite_all (b, zj_kind_elems (o->in2, F)))
    return false;
  /* Outputs go to r first (r may not alias the bank), then to out. */
  zj_ival *r = tmp, *t = tmp + FF;
  double *buf = (double *) (tmp + 2 * FF);
  bool ok = true;
  const bool same = o->in1 == o->in2 && in->in1 == in->in2;
  switch (in->op)
    {
    case ZJ_NO_OP:
      return true;
#define ZJ_EWISE(OP, n, expr) \
    case OP: for (int i = 0; i < (n); i++) r[i] = (expr); break;
    ZJ_EWISE (ZJ_SCALAR_SUM_OP, 1, iadd (a[0], b[0]))
    ZJ_EWISE (ZJ_SCALAR_DIFF_OP, 1, isub (a[0], b[0]))
    ZJ_EWISE (ZJ_SCALAR_PRODUCT_OP, 1, same ? isq (a[0]) : imul (a[0], b[0]))
    ZJ_EWISE (ZJ_SCALAR_DIVISION_OP, 1, idiv (a[0], b[0], &ok))
    ZJ_EWISE (ZJ_SCALAR_ABS_OP, 1, iabs (a[0]))
    ZJ_EWISE (ZJ_SCALAR_RECIPROCAL_OP, 1, idiv (iv (1, 1), a[0], &ok))
    ZJ_EWISE (ZJ_SCALAR_HEAVYSIDE_OP, 1, iheavi (a[0], true))
    ZJ_EWISE (ZJ_VECTOR_HEAVYSIDE_OP, F, iheavi (a[i], false))
    ZJ_EWISE (ZJ_MATRIX_HEAVYSIDE_OP, FF, iheavi (a[i], false))
    ZJ_EWISE (ZJ_SCALAR_VECTOR_PRODUCT_OP, F, imul (a[0], b[i]))
    ZJ_EWISE (ZJ_SCALAR_BROADCAST_OP, F, a[0])
    ZJ_EWISE (ZJ_VECTOR_RECIPROCAL_OP, F, idiv (iv (1, 1), a[i], &ok))
    ZJ_EWISE (ZJ_VECTOR_ABS_OP, F, iabs (a[i]))
    ZJ_EWISE (ZJ_VECTOR_SUM_OP, F, iadd (a[i], b[i]))
    ZJ_EWISE (ZJ_VECTOR_DIFF_OP, F, isub (a[i], b[i]))
    ZJ_EWISE (ZJ_VECTOR_PRODUCT_OP, F, same ? isq (a[i]) : imul (a[i], b[i]))
    ZJ_EWISE (ZJ_VECTOR_DIVISION_OP, F, idiv (a[i], b[i], &ok))
    ZJ_EWISE (ZJ_SCALAR_MATRIX_PRODUCT_OP, FF, imul (a[0], b[i]))
    ZJ_EWISE (ZJ_MATRIX_RECIPROCAL_OP, FF, idiv (iv (1, 1), a[i], &ok))
    ZJ_EWISE (ZJ_MATRIX_ABS_OP, FF, iabs (a[i]))
    ZJ_EWISE (ZJ_MATRIX_SUM_OP, FF, iadd (a[i], b[i]))
    ZJ_EWISE (ZJ_MATRIX_DIFF_OP, FF, isub (a[i], b[i]))
    ZJ_EWISE (ZJ_MATRIX_PRODUCT_OP, FF, same ? isq (a[i]) : imul (a[i], b[i]))
    ZJ_EWISE (ZJ_MATRIX_DIVISION_OP, FF, idiv (a[i], b[i], &ok))
    /* Without NaN every min/max form is the plain one. */
    ZJ_EWISE (ZJ_SCALAR_MIN_OP, 1, imin (a[0], b[0]))
    ZJ_EWISE (ZJ_VECTOR_MIN_OP, F, imin (a[i], b[i]))
    ZJ_EWISE (ZJ_MATRIX_MIN_OP, FF, imin (a[i], b[i]))
    ZJ_EWISE (ZJ_SCALAR_MAX_OP, 1, imax (a[0], b[0]))
    ZJ_EWISE (ZJ_VECTOR_MAX_OP, F, imax (a[i], b[i]))
    ZJ_EWISE (ZJ_MATRIX_MAX_OP, FF, imax (a[i], b[i]))
    ZJ_EWISE (ZJ_VECTOR_OUTER_PRODUCT_OP, FF, imul (a[i % F], b[i / F]))
    ZJ_EWISE (ZJ_VECTOR_COLUMN_BROADCAST_OP, FF, a[i % F])
    ZJ_EWISE (ZJ_VECTOR_ROW_BROADCAST_OP, FF, a[i / F])
    ZJ_EWISE (ZJ_MATRIX_TRANSPOSE_OP, FF, a[(i % F) * F + i / F])
#undef ZJ_EWISE
    case ZJ_SCALAR_SIN_OP:
    case ZJ_SCALAR_COS_OP:
      r[0] = iv (wlo (-1.0), whi (1.0));
      break;
    case ZJ_SCALAR_EXP_OP:
      r[0] = iv (wlo (Sleef_exp_u10 (a[0].lo)), whi (Sleef_exp_u10 (a[0].hi)));
      if (r[0].lo < 0)
        r[0].lo = 0;
      break;
    case ZJ_SCALAR_LOG_OP:
      ok = a[0].lo > 0;
      r[0] = iv (wlo (Sleef_log_u10 (a[0].lo)), whi (Sleef_log_u10 (a[0].hi)));
      break;
    case ZJ_SCALAR_ARCTAN_OP:
      r[0] = iv (wlo (Sleef_atan_u10 (a[0].lo)), whi (Sleef_atan_u10 (a[0].hi)));
      break;
    case ZJ_SCALAR_ARCSIN_OP:
      ok = a[0].lo >= -1 && a[0].hi <= 1;
      r[0] = iv (wlo (Sleef_asin_u10 (a[0].lo)), whi (Sleef_asin_u10 (a[0].hi)));
      break;
    case ZJ_SCALAR_ARCCOS_OP:       /* decreasing */
      ok = a[0].lo >= -1 && a[0].hi <= 1;
      r[0] = iv (wlo (Sleef_acos_u10 (a[0].hi)), whi (Sleef_acos_u10 (a[0].lo)));
      break;
    case ZJ_VECTOR_INNER_PRODUCT_OP:
      r[0] = irdot (a, b, F, same, t, buf);
      break;
    case ZJ_VECTOR_NORM_OP:
      r[0] = isqrt (irdot (a, a, F, true, t, buf), &ok);
      break;
    case ZJ_MATRIX_NORM_OP:
      r[0] = isqrt (irdot (a, a, FF, true, t, buf), &ok);
      break;
    case ZJ_MATRIX_COLUMN_NORM_OP:
      for (int c = 0; c < F && ok; c++)
        r[c] = isqrt (irdot (a + c * F, a + c * F, F, true, t, buf), &ok);
      break;
    case ZJ_VECTOR_MEAN_OP:
      r[0] = irsum (a, F, buf);
      r[0] = iv (r[0].lo / F, r[0].hi / F);
      break;
    case ZJ_MATRIX_MEAN_OP:
      r[0] = irsum (a, FF, buf);
      r[0] = iv (r[0].lo / FF, r[0].hi / FF);
      break;
    /* Row sums: over columns in order from -0.0, each endpoint alone. */
    case ZJ_MATRIX_ROW_NORM_OP:
    case ZJ_MATRIX_ROW_MEAN_OP:
      for (int rr = 0; rr < F; rr++)
        {
          zj_ival s = iv (-0.0, -0.0);
          for (int c = 0; c < F; c++)
            s = iadd (s, in->op == ZJ_MATRIX_ROW_NORM_OP ? isq (a[c * F + rr])
                                                         : a[c * F + rr]);
          r[rr] = in->op == ZJ_MATRIX_ROW_NORM_OP ? isqrt (s, &ok)
                                                  : iv (s.lo / F, s.hi / F);
        }
      break;
    case ZJ_MATRIX_VECTOR_PRODUCT_OP:
      for (int rr = 0; rr < F; rr++)
        {
          zj_ival s = iv (-0.0, -0.0);
          for (int c = 0; c < F; c++)
            s = iadd (s, imul (a[c * F + rr], b[c]));
          r[rr] = s;
        }
      break;
    case ZJ_MATRIX_MATRIX_PRODUCT_OP:
      for (int j = 0; j < F; j++)
        for (int rr = 0; rr < F; rr++)
          {
            zj_ival s = iv (-0.0, -0.0);
            for (int k = 0; k < F; k++)
              s = iadd (s, imul (a[k * F + rr], b[j * F + k]));
            r[j * F + rr] = s;
          }
      break;
    case ZJ_SCALAR_CONST_SET_OP:
    case ZJ_VECTOR_CONST_SET_OP:
    case ZJ_MATRIX_CONST_SET_OP:
      {
        /* One element (the decoded offset) of the output. */
        double c[2];
        const size_t off = zj_data_decode (in, F, c);
        out[off] = iv (c[0], c[0]);
        return isfinite (c[0]);
      }
    default:
      /* tan, the standard deviations, random ops: not modelled. */
      return false;
    }
  if (!ok || !finite_all (r, nw))
    return false;
  for (int i = 0; i < nw; i++)
    out[i] = r[i];
  return true;
}

/* A component over intervals, the executor's v0 and s0 set first. */
static bool
ival_run (const zj_fn *f, const zj_layout *lay, zj_ival *m, const zj_ival *x,
          zj_ival s0, zj_ival *tmp)
{
  for (int i = 0; i < lay->F; i++)
    m[lay->v_off + (size_t) i] = x[i];
  m[lay->s_off] = s0;
  for (int i = 0; i < f->n; i++)
    if (!zj_ival_exec (&f->ins[i], lay, m, tmp))
      return false;
  return true;
}

/* Predict over m, then the abort check for every label in y. */
static bool
predict_ok (const zj_fn *predict, const zj_layout *lay, zj_ival *m,
            const zj_ival *x, zj_ival y, bool acc, double max_err,
            zj_ival *tmp)
{
  if (!ival_run (predict, lay, m, x, iv (0, 0), tmp))
    return false;
  if (!isfinite (y.lo) || !isfinite (y.hi))
    return false;
  /* The step checks |label - p| <= max_err, p = sigmoid(s1) (ACCURACY,
     in [0, 1] for every s1 that is not NaN) or s1; label - p is monotone
     in each, so its extremes are at the corners. */
  const zj_ival s1 = m[lay->s_off + 1];
  if (!isfinite (s1.lo) || !isfinite (s1.hi))
    return false;
  const zj_ival p = acc ? iv (0, 1) : s1;
  const double e1 = fabs (y.hi - p.lo), e2 = fabs (y.lo - p.hi);
  return e1 <= max_err && e2 <= max_err;
}

/* g := hull (g, s), elementwise. */
static void
hull_into (zj_ival *g, const zj_ival *s, size_t n)
{
  for (size_t e = 0; e < n; e++)
    {
      g[e].lo = s[e].lo < g[e].lo ? s[e].lo : g[e].lo;
      g[e].hi = s[e].hi > g[e].hi ? s[e].hi : g[e].hi;
    }
}

bool
zj_shortcut_prove (const zj_fn *predict, const zj_fn *learn,
                   const zj_layout *lay, const zj_ival *m0, zj_ival *h,
                   zj_ival *s, zj_ival *g, const zj_ival *x, zj_ival y,
                   const zj_ival *vx, bool acc, double max_err, int depth,
                   zj_ival *tmp)
{
  const size_t n = lay->total, s1 = lay->s_off + 1;
  memcpy (h, m0, n * sizeof *h);
  /* h encloses every state a training step can start from: Setup's (m0),
     what training steps leave, and what validation's Predicts leave (a
     later epoch trains on from there; an aborted validation pass's lane
     is put back to such a state).  Each round checks one step from all
     of h and widens h by what both transitions leave; with dependencies
     `depth` deep the hull settles one more level per round, and a hull
     that maps into itself encloses every step of every chunk.  A hull
     still growing after the rounds (Predict feeding itself through
     validation, say) gives up. */
  for (int round = 0; round <= 2 * depth + 6; round++)
    {
      memcpy (g, m0, n * sizeof *g);
      memcpy (s, h, n * sizeof *s);
      if (!predict_ok (predict, lay, s, x, y, acc, max_err, tmp))
        return false;
      if (acc)
        {
          /* s1 := sigmoid(s1), in [0, 1]; or the raw logit where the
             dead-sigmoid shortcut skips it: the hull of both. */
          s[s1].lo = s[s1].lo < 0 ? s[s1].lo : 0;
          s[s1].hi = s[s1].hi > 1 ? s[s1].hi : 1;
        }
      if (learn->n > 0 && !ival_run (learn, lay, s, x, y, tmp))
        return false;
      hull_into (g, s, n);
      memcpy (s, h, n * sizeof *s);
      if (!ival_run (predict, lay, s, vx, iv (0, 0), tmp))
        return false;
      hull_into (g, s, n);
      hull_into (g, h, n);
      if (!memcmp (g, h, n * sizeof *g))
        return true;
      memcpy (h, g, n * sizeof *h);
    }
  return false;
}

zj_shortcut_kind
zj_shortcut_plan (const zj_program *p, const zj_shape *sh, zj_eval_type et,
                  int *depth)
{
  const zj_shortcut_kind k = zj_shortcut_structural (p, sh, et);
  *depth = 0;
  if (k != ZJ_SC_NONE)
    return k;
  *depth = zj_shortcut_depth (p, sh, et);
  return *depth >= 0 ? ZJ_SC_LAST_STEP : ZJ_SC_NONE;
}
