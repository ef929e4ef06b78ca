/* lower_learn.c -- Learn in the optimized tier's training loop, with the
 * addresses whose values never reach the next step ("step locals") in
 * locals of their own.
 *
 * Kept apart from the loop skeleton (lower.c) because it is one analysis
 * (which addresses are step-local) and the lowering that depends on it;
 * both the one-task function (lower.c) and the two-task one
 * (lower_pair.c) use it through lower_internal.h.
 */
#include "config.h"
#include "jit_internal.h"
#include "lower_internal.h"
#include <stdio.h>
#include <string.h>

/* An address is step-local when Predict never names it and Learn's first
   reference to it is a whole write (not an element set): its value never
   flows from one training step to the next.  Such values matter only in the
   memory left at the end, which holds those of the last Learn that ran.  The
   train loop computes them in separate locals, which GCC keeps in registers,
   and copies them to the memory locals only in the step numbered save_at
   (a->save_step): the last step of the run, or, when a run aborted, the step
   before the abort, on a replay (zj_jit_run_task).  This saves a store per
   chunk per step, e.g. the whole outer product of a backpropagation update.
   The executor's s0, s1 and v0 are never step-local. */
static void
step_locals (const zj_program *p, const zj_shape *sh, bool *ls, bool *lv, bool *lm)
{
  bool ns[sh->ns + 2], nv[sh->nv + 1], nm[sh->nm + 1];   /* named so far */
  memset (ns, 0, sizeof ns);
  memset (nv, 0, sizeof nv);
  memset (nm, 0, sizeof nm);
  memset (ls, 0, sizeof (bool) * ((size_t) sh->ns + 2));
  memset (lv, 0, sizeof (bool) * ((size_t) sh->nv + 1));
  memset (lm, 0, sizeof (bool) * ((size_t) sh->nm + 1));
  bool *named[4] = { NULL, ns, nv, nm }, *local[4] = { NULL, ls, lv, lm };
  zj_lw_mark (&(zj_program) { .fn = { [ZJ_PREDICT] = p->fn[ZJ_PREDICT] } }, ns, nv, nm);
  const zj_fn *f = &p->fn[ZJ_LEARN];
  for (int i = 0; i < f->n; i++)
    {
      const zj_instr *in = &f->ins[i];
      const zj_op_info *o = &zj_ops[in->op];
      if (o->in1 != ZJ_KIND_N)
        named[o->in1][in->in1] = true;
      if (o->in2 != ZJ_KIND_N)
        named[o->in2][in->in2] = true;
      if (o->out == ZJ_KIND_N)
        continue;
      const bool whole = o->data != ZJ_DATA_VSET && o->data != ZJ_DATA_MSET
                         && !o->random;   /* lowered twice (lower_learn) */
      if (!named[o->out][in->out] && whole)
        local[o->out][in->out] = true;
      named[o->out][in->out] = true;
    }
  /* Nor is an address a random op writes, even after a whole write made
     it step-local: in the save step its instructions run twice, and a
     random op would draw twice (the memory would get the first draws, the
     generator would be one set of draws further than the interpreter's). */
  for (int i = 0; i < f->n; i++)
    {
      const zj_op_info *o = &zj_ops[f->ins[i].op];
      if (o->random && o->out != ZJ_KIND_N)
        local[o->out][f->ins[i].out] = false;
    }
  ls[0] = ls[1] = lv[0] = false;
}

int
zj_lower_step_locals (const zj_program *p, const zj_shape *sh)
{
  bool ls[sh->ns + 2], lv[sh->nv + 1], lm[sh->nm + 1];
  step_locals (p, sh, ls, lv, lm);
  int n = 0;
  for (int a = 0; a < sh->ns; a++) n += ls[a];
  for (int a = 0; a < sh->nv; a++) n += lv[a];
  for (int a = 0; a < sh->nm; a++) n += lm[a];
  return n;
}

/* Learn in the train loop, step-local addresses in their own locals.  The
   caller emits it twice: once for the step numbered save_at (IN_SAVE: every
   step-local instruction also runs on the memory locals) and once for all
   other steps (no store to the memory locals at all).  One branch per step
   chooses; a branch per instruction, as this used to be, left GCC a phi per
   step-local value per instruction and it spilled them (issue 11: 32 zmm
   copies per step for the NN program's outer product).  zj_lw_learn_begin
   swaps the step locals in, zj_lw_learn_ins lowers one instruction,
   zj_lw_learn_end swaps the memory locals back; the pair function
   (lower_pair.c) interleaves two tasks' calls. */

void
zj_lw_learn_begin (zj_lower *L, const zj_program *p, zj_lw_learn *st)
{
  const zj_shape *sh = L->shape;
  st->ls = zj_xcalloc ((size_t) sh->ns + 2, sizeof *st->ls);
  st->lv = zj_xcalloc ((size_t) sh->nv + 1, sizeof *st->lv);
  st->lm = zj_xcalloc ((size_t) sh->nm + 1, sizeof *st->lm);
  st->keep_s = zj_xcalloc ((size_t) sh->ns + 2, sizeof *st->keep_s);
  st->keep_v = zj_xcalloc ((size_t) sh->nv + 1, sizeof *st->keep_v);
  st->keep_m = zj_xcalloc ((size_t) sh->nm + 1, sizeof *st->keep_m);
  step_locals (p, sh, st->ls, st->lv, st->lm);
  for (int a = 0; a < sh->ns; a++)
    if ((st->keep_s[a] = L->s[a]) && st->ls[a])
      {
        char name[32];
        snprintf (name, sizeof name, "ts%d", a);
        L->s[a] = gcc_jit_function_new_local (L->fn, NULL, L->t_d, name);
        gcc_jit_block_add_assignment (L->entry, NULL, L->s[a], zl_dbl (L, 0.0));
      }
  gcc_jit_block *save = L->b;
  L->b = L->entry;
  for (int a = 0; a < sh->nv; a++)
    if ((st->keep_v[a] = L->v[a]) && st->lv[a])
      L->v[a] = zj_lw_new_chunks (L, "tv", a, L->C);
  for (int a = 0; a < sh->nm; a++)
    if ((st->keep_m[a] = L->m[a]) && st->lm[a])
      L->m[a] = zj_lw_new_chunks (L, "tm", a, L->F * L->C);
  L->b = save;
}

void
zj_lw_learn_ins (zj_lower *L, const zj_instr *in, int kidx, bool in_save, const zj_lw_learn *st)
{
  const zj_kind k = zj_ops[in->op].out;
  const int a = in->out;
  if (in_save && ((k == ZJ_KIND_S && st->ls[a]) || (k == ZJ_KIND_V && st->lv[a])
                  || (k == ZJ_KIND_M && st->lm[a])))
    {
      /* In the save step run the instruction on the memory locals too,
         rather than copy its result after it.  Its inputs are what the
         copy would read: in the save step every step-local write goes to
         both, and an instruction cannot read its own step-local output
         before the first write (step_locals).  Swap in the memory locals
         of the output's kind only: a is an address of that kind and may be
         out of range for the others. */
      gcc_jit_lvalue *ts = NULL, **tv = NULL, **tm = NULL;
      if (k == ZJ_KIND_S) ts = L->s[a], L->s[a] = st->keep_s[a];
      if (k == ZJ_KIND_V) tv = L->v[a], L->v[a] = st->keep_v[a];
      if (k == ZJ_KIND_M) tm = L->m[a], L->m[a] = st->keep_m[a];
      zj_lower_ops[in->op] (L, in, kidx);
      if (k == ZJ_KIND_S) L->s[a] = ts;
      if (k == ZJ_KIND_V) L->v[a] = tv;
      if (k == ZJ_KIND_M) L->m[a] = tm;
    }
  zj_lw_lower_one (L, in, kidx);
}

void
zj_lw_learn_end (zj_lower *L, zj_lw_learn *st)
{
  const zj_shape *sh = L->shape;
  for (int a = 0; a < sh->ns; a++)
    L->s[a] = st->keep_s[a];
  for (int a = 0; a < sh->nv; a++)
    {
      if (st->lv[a])
        free (L->v[a]);
      L->v[a] = st->keep_v[a];
    }
  for (int a = 0; a < sh->nm; a++)
    {
      if (st->lm[a])
        free (L->m[a]);
      L->m[a] = st->keep_m[a];
    }
  free (st->ls); free (st->lv); free (st->lm);
  free (st->keep_s); free (st->keep_v); free (st->keep_m);
}

void
zj_lw_lower_learn (zj_lower *L, const zj_program *p, const int *kidx,
                   bool in_save)
{
  zj_lw_learn st;
  zj_lw_learn_begin (L, p, &st);
  const zj_fn *f = &p->fn[ZJ_LEARN];
  for (int i = 0; i < f->n; i++)
    zj_lw_learn_ins (L, &f->ins[i], kidx[i], in_save, &st);
  zj_lw_learn_end (L, &st);
}
