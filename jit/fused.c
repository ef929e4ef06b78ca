/* fused.c -- fused step kernels: eligibility, element liveness, the
 * function skeleton (one loop over the chunks) and the in-process compile
 * (fused.h).  What each op computes is in fused_ops.c.
 */
#include "config.h"
#include "fused.h"
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One instruction of the kernel, decoded as baseline.c's decode does:
   m counts the non-no-op instructions of Predict then Learn, and k[m] is
   its constant. */
typedef struct finst {
  int op, m;
  zj_fopnd a, b;
  size_t o;           /* first output element */
  int no, na, nb;     /* elements written, read from a, read from b (mem) */
} finst;

static bool
is_const_set (int op)
{
  return op == ZJ_SCALAR_CONST_SET_OP || op == ZJ_VECTOR_CONST_SET_OP
         || op == ZJ_MATRIX_CONST_SET_OP;
}

static zj_fopnd
opnd (const zj_fused_geom *g, zj_kind k, int a, int *n)
{
  zj_fopnd o = { ZJ_FB_MEM, zj_layout_elem (&g->lay, k, a) };
  *n = zj_kind_elems (k, g->lay.F);
  if (g->patch && a == 0 && (k == ZJ_KIND_V || k == ZJ_KIND_S))
    {
      o.base = k == ZJ_KIND_V ? ZJ_FB_ROW : ZJ_FB_S0;
      o.e = 0;
      *n = 0;           /* not a memory read */
    }
  return o;
}

/* Decodes component c into ins (from index *m on); returns the count. */
static int
decode (const zj_program *p, int c, const zj_fused_geom *g, finst *ins,
        int *m)
{
  const zj_fn *f = &p->fn[c];
  int n = 0;
  for (int i = 0; i < f->n; i++)
    {
      const zj_instr *in = &f->ins[i];
      if (in->op == ZJ_NO_OP)
        continue;
      const zj_op_info *o = &zj_ops[in->op];
      finst *d = &ins[n++];
      double cv[2];
      d->op = in->op;
      d->m = (*m)++;
      d->o = zj_layout_elem (&g->lay, o->out, in->out)
             + zj_data_decode (in, g->lay.F, cv);
      d->no = is_const_set (in->op) ? 1 : zj_kind_elems (o->out, g->lay.F);
      d->a = opnd (g, o->in1, in->in1, &d->na);
      d->b = opnd (g, o->in2, in->in2, &d->nb);
    }
  return n;
}

long
zj_fused_work (const zj_program *p, int F)
{
  long work = 0;
  for (int c = ZJ_PREDICT; c <= ZJ_LEARN; c++)
    for (int i = 0; i < p->fn[c].n; i++)
      if (p->fn[c].ins[i].op != ZJ_NO_OP)
        {
          const int w = zj_fused_op_work (p->fn[c].ins[i].op, F);
          work += w > 0 ? w : 0;
        }
  return work;
}

bool
zj_fused_eligible (const zj_program *p, int F, const char **why)
{
  for (int c = ZJ_PREDICT; c <= ZJ_LEARN; c++)
    {
      long work = 0;
      for (int i = 0; i < p->fn[c].n; i++)
        {
          const int op = p->fn[c].ins[i].op;
          if (op == ZJ_NO_OP)
            continue;
          const int w = zj_fused_op_work (op, F);
          if (w < 0)
            {
              if (why)
                *why = "an op without a fused form (SLEEF or random)";
              return false;
            }
          work += w;
        }
      if (work > ZJ_FUSED_MAX_WORK)
        {
          if (why)
            *why = "too much work per chunk to compile quickly";
          return false;
        }
    }
  return true;
}

bool
zj_fused_why_not (const zj_program *p, int F, char *buf, size_t n)
{
  static const char *const comp[] = { "Setup", "Predict", "Learn" };
  for (int c = ZJ_PREDICT; c <= ZJ_LEARN; c++)
    {
      long work = 0;
      for (int i = 0; i < p->fn[c].n; i++)
        {
          const zj_instr *in = &p->fn[c].ins[i];
          if (in->op == ZJ_NO_OP)
            continue;
          const int w = zj_fused_op_work (in->op, F);
          if (w < 0)
            {
              char *text = NULL;
              size_t len = 0;
              FILE *f = open_memstream (&text, &len);
              if (f)
                {
                  zj_instr_print (in, false, f);
                  fclose (f);
                }
              snprintf (buf, n, "%s instruction %d '%s': op %s has no fused "
                        "form (SLEEF and random ops run on stencils or the "
                        "interpreter)", comp[c], i + 1, text ? text : "?",
                        zj_ops[in->op].name);
              free (text);
              return true;
            }
          work += w;
        }
      if (work > ZJ_FUSED_MAX_WORK)
        {
          snprintf (buf, n, "%s does %ld vector operations per chunk at F=%d, "
                    "more than fusing compiles (%d)", comp[c], work, F,
                    ZJ_FUSED_MAX_WORK);
          return true;
        }
    }
  return false;
}

/* ------------------------------------------------------------ liveness */
/* Elements read before written (ue) and written (kill) by n instructions. */
static void
ue_kill (const finst *ins, int n, bool *ue, bool *kill, size_t total)
{
  memset (ue, 0, total);
  memset (kill, 0, total);
  for (int i = 0; i < n; i++)
    {
      const finst *d = &ins[i];
      for (int j = 0; j < d->na; j++)
        if (!kill[d->a.e + j])
          ue[d->a.e + j] = true;
      for (int j = 0; j < d->nb; j++)
        if (!kill[d->b.e + j])
          ue[d->b.e + j] = true;
      for (int j = 0; j < d->no; j++)
        kill[d->o + j] = true;
    }
}

/* live[0], live[1]: the elements something reads after Predict, after
   Learn.  After Predict come Learn (training), another Predict
   (validation) or the end; after Learn, Predict.  The harness reads s1
   after each Predict and writes v0 and s0 itself; those stay live. */
static void
liveness (const zj_fused_geom *g, const finst *ins, int np, int nl,
          bool *live[2])
{
  const size_t total = g->lay.total;
  bool *ue[2], *kill[2], *in[2];
  for (int c = 0; c < 2; c++)
    {
      ue[c] = zj_xmalloc (total);
      kill[c] = zj_xmalloc (total);
      in[c] = zj_xcalloc (total, 1);
      memset (live[c], 0, total);
    }
  ue_kill (ins, np, ue[0], kill[0], total);
  ue_kill (ins + np, nl, ue[1], kill[1], total);
  for (bool changed = true; changed;)
    {
      changed = false;
      for (size_t e = 0; e < total; e++)
        {
          const bool pin = in[0][e], lin = in[1][e];
          const bool fixed = e == g->lay.s_off + 1 || e == g->lay.s_off
                             || (e >= g->lay.v_off
                                 && e < g->lay.v_off + (size_t) g->lay.F);
          live[0][e] = fixed || lin || pin;
          live[1][e] = fixed || pin;
          for (int c = 0; c < 2; c++)
            {
              const bool v = ue[c][e] || (live[c][e] && !kill[c][e]);
              if (v != in[c][e])
                {
                  in[c][e] = v;
                  changed = true;
                }
            }
        }
    }
  for (int c = 0; c < 2; c++)
    {
      free (ue[c]);
      free (kill[c]);
      free (in[c]);
    }
}

/* ------------------------------------------------------------ emitter */
/* Rows ahead that Predict prefetches (1: 15.2 ns per task-example on
   bench/layout/stateful.txt, 2: 14.9, 3: 15.6, 4: 16.0). */
#define ZJ_FUSED_PREFETCH 2

static gcc_jit_rvalue *
lconst (zj_fe *E, long x)
{
  return gcc_jit_context_new_rvalue_from_long (E->L.ctx, E->t_long, x);
}

/* Chunk q of element e of the vector array at base. */
static gcc_jit_lvalue *
chunk (zj_fe *E, gcc_jit_rvalue *base, size_t e)
{
  gcc_jit_rvalue *idx = gcc_jit_context_new_binary_op (
    E->L.ctx, NULL, GCC_JIT_BINARY_OP_PLUS, E->t_long,
    lconst (E, (long) e * E->C), E->q);
  return gcc_jit_context_new_array_access (E->L.ctx, NULL, base, idx);
}

static gcc_jit_rvalue *
load (zj_fe *E, gcc_jit_rvalue *base, size_t e)
{
  gcc_jit_lvalue *t = zl_tmp (&E->L, E->L.t_v);
  zl_set (&E->L, t, zl_r (chunk (E, base, e)));
  return zl_r (t);
}

gcc_jit_rvalue *
zj_fe_get (zj_fe *E, zj_fopnd o, int i)
{
  switch (o.base)
    {
    case ZJ_FB_ROW:
      if (!E->rowc[i])
        E->rowc[i] = load (E, E->par[1], (size_t) i);
      return E->rowc[i];
    case ZJ_FB_S0:
      if (!E->s0c)
        E->s0c = load (E, E->par[2], 0);
      return E->s0c;
    default:
      if (!E->cur[o.e + i])
        E->cur[o.e + i] = load (E, E->par[0], o.e + (size_t) i);
      return E->cur[o.e + i];
    }
}

void
zj_fe_put (zj_fe *E, int i, gcc_jit_rvalue *v)
{
  E->pend[i] = v;
  E->pset[i] = true;
}

/* One component as function name: the chunk loop around its instructions,
   then the stores of what live says is read later. */
static void
build_fn (zj_fe *E, const zj_fused_geom *g, const finst *ins, int n,
          const bool *live, const char *name, bool prefetch,
          const zj_fused_ann *ann, int c)
{
  zj_lower *L = &E->L;
  gcc_jit_context *ctx = L->ctx;
  L->loc = ann ? ann->frame[c] : NULL;
  gcc_jit_type *cdp = gcc_jit_type_get_pointer (gcc_jit_type_get_const (L->t_d));
  gcc_jit_param *par[4] = {
    gcc_jit_context_new_param (ctx, NULL, L->t_dp, "mem"),
    gcc_jit_context_new_param (ctx, NULL, cdp, "row"),
    gcc_jit_context_new_param (ctx, NULL, cdp, "s0"),
    gcc_jit_context_new_param (ctx, NULL, cdp, "k"),
  };
  L->fn = gcc_jit_context_new_function (ctx, NULL, GCC_JIT_FUNCTION_EXPORTED,
                                        gcc_jit_context_get_type (ctx, GCC_JIT_TYPE_VOID),
                                        name, 4, par, 0);
  L->b = L->entry = gcc_jit_function_new_block (L->fn, "entry");
  L->ntmp = 0;
  for (int i = 0; i < 3; i++)
    {
      gcc_jit_lvalue *v = zl_tmp (L, E->t_vp);
      zl_set (L, v, gcc_jit_context_new_cast (ctx, NULL,
                                              gcc_jit_param_as_rvalue (par[i]),
                                              E->t_vp));
      E->par[i] = zl_r (v);
    }
  E->par[3] = gcc_jit_param_as_rvalue (par[3]);
  if (prefetch)
    {
      /* Rows of consecutive examples are consecutive (the lane runs' row
         blocks): ask for the one ZJ_FUSED_PREFETCH rows ahead while this
         step computes.  The step is bound by the row stream (17 MB per
         pass on the paper setting); this took a fused step from 1.2x to
         1.45x the lane interpreter's.  A prefetch past the block's end
         is harmless: prefetches never fault. */
      gcc_jit_function *pf
        = gcc_jit_context_get_builtin_function (ctx, "__builtin_prefetch");
      gcc_jit_type *t_cp = gcc_jit_type_get_pointer (gcc_jit_type_get_const (
        gcc_jit_context_get_type (ctx, GCC_JIT_TYPE_CHAR)));
      gcc_jit_type *t_cvp = gcc_jit_type_get_pointer (gcc_jit_type_get_const (
        gcc_jit_context_get_type (ctx, GCC_JIT_TYPE_VOID)));
      gcc_jit_rvalue *rb = gcc_jit_context_new_cast (
        ctx, NULL, gcc_jit_param_as_rvalue (par[1]), t_cp);
      const long rowbytes = (long) (E->F + 1) * E->C * L->W * 8;
      for (long off = 0; off < rowbytes; off += 64)
        {
          gcc_jit_rvalue *a = gcc_jit_lvalue_get_address (
            gcc_jit_context_new_array_access (
              ctx, NULL, rb, lconst (E, ZJ_FUSED_PREFETCH * rowbytes + off)),
            NULL);
          gcc_jit_rvalue *arg = gcc_jit_context_new_cast (ctx, NULL, a, t_cvp);
          gcc_jit_block_add_eval (L->b, L->loc,
                                  gcc_jit_context_new_call (ctx, NULL, pf, 1, &arg));
        }
    }
  gcc_jit_lvalue *q = zl_tmp (L, E->t_long);
  zl_set (L, q, lconst (E, 0));
  E->q = zl_r (q);
  gcc_jit_block *cond = gcc_jit_function_new_block (L->fn, "cond");
  gcc_jit_block *body = gcc_jit_function_new_block (L->fn, "body");
  gcc_jit_block *done = gcc_jit_function_new_block (L->fn, "done");
  gcc_jit_block_end_with_jump (L->b, L->loc, cond);
  gcc_jit_block_end_with_conditional (
    cond, L->loc,
    gcc_jit_context_new_comparison (ctx, NULL, GCC_JIT_COMPARISON_LT, E->q,
                                    lconst (E, E->C)),
    body, done);
  L->b = body;
  const size_t total = g->lay.total;
  memset (E->cur, 0, total * sizeof *E->cur);
  memset (E->dirty, 0, total);
  memset (E->rowc, 0, (size_t) E->F * sizeof *E->rowc);
  E->s0c = NULL;
  for (int i = 0; i < n; i++)
    {
      const finst *d = &ins[i];
      memset (E->pset, 0, (size_t) E->F * E->F);
      if (ann)
        {
          L->loc = ann->ins[d->m];
          if (ann->text && ann->text[d->m])
            gcc_jit_block_add_comment (L->b, L->loc, ann->text[d->m]);
        }
      zj_fe_op (E, d->op, d->a, d->b, d->m);
      for (int j = 0; j < d->no; j++)
        if (E->pset[j])
          {
            E->cur[d->o + j] = E->pend[j];
            E->dirty[d->o + j] = true;
          }
    }
  L->loc = ann ? ann->store[c] : NULL;
  if (ann && ann->text)
    gcc_jit_block_add_comment (L->b, L->loc, "stores of the elements read later");
  for (size_t e = 0; e < total; e++)
    if (E->dirty[e] && (live[e] || g->keep_stores))
      zl_set (L, chunk (E, E->par[0], e), E->cur[e]);
  L->loc = ann ? ann->frame[c] : NULL;
  gcc_jit_block_add_assignment_op (L->b, L->loc, q, GCC_JIT_BINARY_OP_PLUS,
                                   lconst (E, 1));
  gcc_jit_block_end_with_jump (L->b, L->loc, cond);
  gcc_jit_block_end_with_void_return (done, L->loc);
  L->loc = NULL;
}

void
zj_fused_setup_ctx (gcc_jit_context *ctx, int W)
{
  /* -O1: as fast as -O2 on the paper setting's stateful step (bound by
     memory traffic), 20% less compile (bench/RESULTS.md). */
  zj_lane_context_setup (ctx, W, 1);
}

int
zj_fused_build (gcc_jit_context *ctx, const zj_program *p,
                const zj_fused_geom *g, const char *pname, const char *lname,
                zj_error *err)
{
  return zj_fused_build_ann (ctx, p, g, pname, lname, NULL, err);
}

int
zj_fused_build_ann (gcc_jit_context *ctx, const zj_program *p,
                    const zj_fused_geom *g, const char *pname,
                    const char *lname, const zj_fused_ann *ann, zj_error *err)
{
  const int F = g->lay.F;
  const char *why = "";
  if (!zj_fused_eligible (p, F, &why))
    {
      zj_error_set (err, "fused kernel: %s", why);
      return -1;
    }
  static const zj_isa isa_avx = { .avx = true }, isa_zmm = { .avx = true, .zmm = true };
  zj_fe E;
  memset (&E, 0, sizeof E);
  E.F = F;
  E.C = g->C;
  zj_lower *L = &E.L;
  L->ctx = ctx;
  L->isa = g->W == 8 ? &isa_zmm : &isa_avx;
  L->F = F;
  L->W = g->W;
  L->t_d = gcc_jit_context_get_type (ctx, GCC_JIT_TYPE_DOUBLE);
  L->t_dp = gcc_jit_type_get_pointer (L->t_d);
  L->t_v = gcc_jit_type_get_vector (L->t_d, (size_t) g->W);
  L->t_vl = gcc_jit_type_get_vector (
    gcc_jit_context_get_type (ctx, GCC_JIT_TYPE_LONG_LONG), (size_t) g->W);
  E.t_vp = gcc_jit_type_get_pointer (L->t_v);
  E.t_long = gcc_jit_context_get_type (ctx, GCC_JIT_TYPE_LONG);
  const int n = p->fn[ZJ_PREDICT].n + p->fn[ZJ_LEARN].n;
  finst *ins = zj_xmalloc ((size_t) (n ? n : 1) * sizeof *ins);
  int m = 0;
  const int np = decode (p, ZJ_PREDICT, g, ins, &m);
  const int nl = decode (p, ZJ_LEARN, g, ins + np, &m);
  const size_t total = g->lay.total;
  bool *live[2] = { zj_xmalloc (total), zj_xmalloc (total) };
  liveness (g, ins, np, nl, live);
  E.cur = zj_xmalloc (total * sizeof *E.cur);
  E.dirty = zj_xmalloc (total);
  E.rowc = zj_xmalloc ((size_t) F * sizeof *E.rowc);
  E.pend = zj_xmalloc ((size_t) F * F * sizeof *E.pend);
  E.pset = zj_xmalloc ((size_t) F * F);
  build_fn (&E, g, ins, np, live[0], pname, true, ann, 0);
  build_fn (&E, g, ins + np, nl, live[1], lname, false, ann, 1);
  free (E.cur);
  free (E.dirty);
  free (E.rowc);
  free (E.pend);
  free (E.pset);
  free (live[0]);
  free (live[1]);
  free (ins);
  return 0;
}

int
zj_fused_compile (const zj_program *p, const zj_fused_geom *g,
                  zj_fused_code *out, zj_error *err)
{
  memset (out, 0, sizeof *out);
  const double t0 = zj_now_ns ();
  gcc_jit_context *ctx = gcc_jit_context_acquire ();
  if (!ctx)
    {
      zj_error_set (err, "fused kernel: cannot create a libgccjit context");
      return -1;
    }
  zj_fused_setup_ctx (ctx, g->W);
  if (zj_fused_build (ctx, p, g, "zj_fused_predict", "zj_fused_learn", err) != 0)
    {
      gcc_jit_context_release (ctx);
      return -1;
    }
  if (getenv ("ZEROJIT_FUSED_ASM"))
    gcc_jit_context_compile_to_file (ctx, GCC_JIT_OUTPUT_KIND_ASSEMBLER,
                                     getenv ("ZEROJIT_FUSED_ASM"));
  gcc_jit_result *r = getenv ("ZEROJIT_FAIL_COMPILE")
                      && !strcmp (getenv ("ZEROJIT_FAIL_COMPILE"), "1")
                      ? NULL : gcc_jit_context_compile (ctx);
  if (!r)
    {
      const char *e = gcc_jit_context_get_first_error (ctx);
      zj_error_set (err, "fused kernel: compile failed: %s", e ? e : "ZEROJIT_FAIL_COMPILE");
      gcc_jit_context_release (ctx);
      return -1;
    }
  gcc_jit_context_release (ctx);
  out->result = r;
  out->predict = (zj_lnative_fn) gcc_jit_result_get_code (r, "zj_fused_predict");
  out->learn = (zj_lnative_fn) gcc_jit_result_get_code (r, "zj_fused_learn");
  out->compile_ms = (zj_now_ns () - t0) * 1e-6;
  if (!out->predict || !out->learn)
    {
      zj_fused_code_free (out);
      zj_error_set (err, "fused kernel: functions missing from the result");
      return -1;
    }
  return 0;
}

void
zj_fused_code_free (zj_fused_code *c)
{
  if (c->result)
    gcc_jit_result_release (c->result);
  memset (c, 0, sizeof *c);
}

zj_fused_slot *
zj_fused_slot_new (void)
{
  zj_fused_slot *s = zj_xcalloc (1, sizeof *s);
  s->refs = 1;
  s->state = ZJ_FUSE_PENDING;
  return s;
}

void
zj_fused_slot_ref (zj_fused_slot *s)
{
  __atomic_fetch_add (&s->refs, 1, __ATOMIC_RELAXED);
}

void
zj_fused_slot_unref (zj_fused_slot *s)
{
  if (!s || __atomic_sub_fetch (&s->refs, 1, __ATOMIC_ACQ_REL) != 0)
    return;
  zj_fused_code_free (&s->code);
  if (s->dl)
    dlclose (s->dl);
  free (s);
}

int
zj_fused_slot_state (const zj_fused_slot *s)
{
  return __atomic_load_n (&s->state, __ATOMIC_ACQUIRE);
}

void
zj_fused_slot_set_state (zj_fused_slot *s, int state)
{
  __atomic_store_n (&s->state, state, __ATOMIC_RELEASE);
}
