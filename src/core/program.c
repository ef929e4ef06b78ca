/* program.c -- instruction lists and whole programs. */
#include "internal.h"
#include <string.h>

void
zj_program_init (zj_program *p)
{
  memset (p, 0, sizeof *p);
}

void
zj_program_free (zj_program *p)
{
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    free (p->fn[c].ins);
  memset (p, 0, sizeof *p);
}

void
zj_program_clear (zj_program *p)
{
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    p->fn[c].n = 0;
}

void
zj_fn_reserve (zj_fn *f, int n)
{
  if (n <= f->cap)
    return;
  int cap = f->cap ? f->cap : 8;
  while (cap < n)
    cap *= 2;
  f->ins = zj_xrealloc (f->ins, (size_t) cap * sizeof *f->ins);
  f->cap = cap;
}

/* Every individual is copied from its parent and most are stored in the
   duplicate cache: a few dozen instructions, for which libc's memcpy (a
   call, then a size dispatch, three times) cost more than the copy.  The
   loop is kept a loop (GCC would turn it back into memcpy calls). */
__attribute__ ((optimize ("no-tree-loop-distribute-patterns")))
void
zj_program_copy (zj_program *dst, const zj_program *src)
{
  if (dst == src)
    return;
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    {
      const int n = src->fn[c].n;
      if (n > dst->fn[c].cap)
        zj_fn_reserve (&dst->fn[c], n);
      zj_instr *d = dst->fn[c].ins;
      const zj_instr *s = src->fn[c].ins;
      for (int i = 0; i < n; i++)
        d[i] = s[i];
      dst->fn[c].n = n;
    }
}

bool
zj_program_equal (const zj_program *a, const zj_program *b)
{
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    {
      if (a->fn[c].n != b->fn[c].n)
        return false;
      for (int i = 0; i < a->fn[c].n; i++)
        if (!zj_instr_equal (&a->fn[c].ins[i], &b->fn[c].ins[i]))
          return false;
    }
  return true;
}

size_t
zj_program_size (const zj_program *p)
{
  size_t n = 0;
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    n += (size_t) p->fn[c].n;
  return n;
}

void
zj_fn_push (zj_fn *f, zj_instr in)
{
  zj_fn_reserve (f, f->n + 1);
  f->ins[f->n++] = in;
}

void
zj_fn_insert (zj_fn *f, int pos, zj_instr in)
{
  zj_fn_reserve (f, f->n + 1);
  memmove (&f->ins[pos + 1], &f->ins[pos], (size_t) (f->n - pos) * sizeof in);
  f->ins[pos] = in;
  f->n++;
}

void
zj_fn_remove (zj_fn *f, int pos)
{
  memmove (&f->ins[pos], &f->ins[pos + 1],
           (size_t) (f->n - pos - 1) * sizeof (zj_instr));
  f->n--;
}

void
zj_fn_resize (zj_fn *f, int n)
{
  zj_fn_reserve (f, n);
  if (n > f->n)
    memset (&f->ins[f->n], 0, (size_t) (n - f->n) * sizeof (zj_instr));
  f->n = n;
}

bool
zj_features_size_ok (int F)
{
#define ZJ_SIZE_IS(FF) || F == FF
  return false ZJ_FEATURE_SIZES (ZJ_SIZE_IS);
#undef ZJ_SIZE_IS
}

int
zj_program_check (const zj_program *p, const zj_shape *shape, zj_error *err)
{
  if (!zj_features_size_ok (shape->F))
    {
      zj_error_set (err, "features_size %d is not supported (use 2, 4, 8, 16 or 32)",
                    shape->F);
      return -1;
    }
  if (shape->ns < 2 || shape->nv < 1 || shape->nm < 0)
    {
      zj_error_set (err, "memory %d,%d,%d too small: need at least 2 scalars (label, prediction) and 1 vector (features)",
                    shape->ns, shape->nv, shape->nm);
      return -1;
    }
  /* Fast pass: this runs once per evaluated individual, and programs are
     almost always valid, so test every operand against its kind's count
     without branches and only look for the culprit (below) on failure.
     Kind N's limit is the largest unsigned, so no address fails it. */
  const unsigned lim[4] = { ~0u, (unsigned) shape->ns, (unsigned) shape->nv,
                            (unsigned) shape->nm };
  unsigned bad = 0;
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    for (int i = 0; i < p->fn[c].n; i++)
      {
        const zj_instr *in = &p->fn[c].ins[i];
        if ((unsigned) in->op >= ZJ_NUM_OPS)
          {
            bad = 1;
            break;
          }
        const zj_op_info *o = &zj_ops[in->op];
        bad |= ((unsigned) in->in1 >= lim[o->in1])
               | ((unsigned) in->in2 >= lim[o->in2])
               | ((unsigned) in->out >= lim[o->out]);
      }
  if (!bad)
    return 0;
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    for (int i = 0; i < p->fn[c].n; i++)
      {
        const zj_instr *in = &p->fn[c].ins[i];
        if (in->op >= ZJ_NUM_OPS)
          {
            zj_error_set (err, "%s instruction %d: unknown op id %d",
                          zj_component_names[c], i + 1, in->op);
            return -1;
          }
        const zj_op_info *o = &zj_ops[in->op];
        const struct { zj_kind k; int a; const char *what; } use[3] = {
          { o->in1, in->in1, "in1" }, { o->in2, in->in2, "in2" },
          { o->out, in->out, "out" } };
        for (int u = 0; u < 3; u++)
          if (use[u].k != ZJ_KIND_N && use[u].a >= zj_kind_count (shape, use[u].k))
            {
              zj_error_set (err, "%s instruction %d (%s): %s address %d out of range (memory has %d)",
                            zj_component_names[c], i + 1, o->name, use[u].what,
                            use[u].a, zj_kind_count (shape, use[u].k));
              return -1;
            }
      }
  return 0;
}
