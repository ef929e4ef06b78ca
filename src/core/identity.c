/* identity.c -- program keys, structure keys and hashes, constant
 * tables (see identity.h). */
#include "internal.h"
#include "identity.h"
#include <string.h>

uint64_t
zj_program_key (const zj_program *p)
{
  uint64_t h = 0x5eed;
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    {
      h = zj_fold (h, (uint64_t) p->fn[c].n);
      for (int i = 0; i < p->fn[c].n; i++)
        {
          const zj_instr *in = &p->fn[c].ins[i];
          uint64_t a, f01;
          uint32_t f2;
          memcpy (&a, &in->act, sizeof a);
          memcpy (&f01, in->fd, sizeof f01);
          memcpy (&f2, &in->fd[2], sizeof f2);
          h = zj_fold (h, (uint64_t) in->op | (uint64_t) in->in1 << 16
                         | (uint64_t) in->in2 << 32 | (uint64_t) in->out << 48);
          h = zj_fold (h, a);
          h = zj_fold (h, f01 ^ ((uint64_t) f2 << 32 | f2));
        }
    }
  return zj_hash_mix (h, 0);
}

int
zj_op_const_count (int op)
{
  const zj_data_info *d = &zj_data_kinds[zj_ops[op].data];
  /* The element offset (if any IDX field), then the other fields. */
  return (d->nidx > 0) + d->nfields - d->nidx;
}

int
zj_const_count (const zj_program *p)
{
  int n = 0;
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    for (int i = 0; i < p->fn[c].n; i++)
      n += zj_op_const_count (p->fn[c].ins[i].op);
  return n;
}

/* Same values the interpreter's decode computes (zj_data_decode). */
void
zj_const_fill (const zj_program *p, int F, double *k)
{
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    for (int i = 0; i < p->fn[c].n; i++)
      {
        const zj_instr *in = &p->fn[c].ins[i];
        const zj_data_info *d = &zj_data_kinds[zj_ops[in->op].data];
        double v[2];
        const size_t off = zj_data_decode (in, F, v);
        if (d->nidx > 0)
          *k++ = (double) off;
        for (int j = 0; j < d->nfields - d->nidx; j++)
          *k++ = v[j];
      }
}

size_t
zj_structure_key (const zj_program *p, const zj_shape *shape, zj_eval_type et,
                  uint16_t *key, size_t cap)
{
  size_t n = 0;
#define PUT(x) do { if (n < cap) key[n] = (uint16_t) (x); n++; } while (0)
  PUT (ZJ_STRUCTURE_KEY_VERSION); PUT (shape->F); PUT (shape->ns); PUT (shape->nv);
  PUT (shape->nm); PUT (et);
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    {
      PUT (0xffff);     /* component separator */
      for (int i = 0; i < p->fn[c].n; i++)
        {
          const zj_instr *in = &p->fn[c].ins[i];
          const zj_op_info *o = &zj_ops[in->op];
          if (in->op == ZJ_NO_OP)
            continue;
          PUT (in->op);
          PUT (o->in1 != ZJ_KIND_N ? in->in1 : 0);
          PUT (o->in2 != ZJ_KIND_N ? in->in2 : 0);
          PUT (o->out != ZJ_KIND_N ? in->out : 0);
        }
    }
#undef PUT
  return n;
}

/* Runs for every candidate under --jit=auto: fold four key entries per
   multiply-xorshift step and finish with one full mix, instead of the
   12-step mix per entry. */
uint64_t
zj_structure_hash_key (const uint16_t *key, size_t n)
{
  uint64_t h = 0x7a65726f6a6974ULL ^ (uint64_t) n;   /* "zerojit" */
  size_t i = 0;
  for (; i + 4 <= n; i += 4)
    {
      uint64_t w = (uint64_t) key[i] | (uint64_t) key[i + 1] << 16
                   | (uint64_t) key[i + 2] << 32 | (uint64_t) key[i + 3] << 48;
      h = zj_fold (h, w);
    }
  for (; i < n; i++)
    {
      h = zj_fold (h, key[i]);
    }
  return zj_hash_mix (h, 0);
}

uint64_t
zj_structure_hash (const zj_program *pruned, const zj_shape *shape,
                   zj_eval_type et)
{
  /* One pass fills the stack buffer and returns the full length; only a
     key longer than the buffer needs a second pass. */
  uint16_t stack_key[1024];
  size_t n = zj_structure_key (pruned, shape, et, stack_key, 1024);
  uint16_t *key = stack_key;
  if (n > 1024)
    {
      key = zj_xmalloc (n * sizeof *key);
      zj_structure_key (pruned, shape, et, key, n);
    }
  uint64_t h = zj_structure_hash_key (key, n);
  if (key != stack_key)
    free (key);
  return h;
}
