/* stencil_emit.c -- a component's code: stencils copied and patched.
 *
 * The stencils of the instructions go back to back; each hole gets the
 * instruction's value (operand offsets, scratch, lane count, constant
 * slot), each rel32 to data or a stub is recomputed for the new place, and
 * the code ends with vzeroupper; ret (the stencils leave ymm state and the
 * caller is ordinary C).  A stencil's internal jumps are relative to
 * itself and need nothing.
 */
#include "config.h"
#include "stencil.h"
#include <stdlib.h>
#include <string.h>

static const uint8_t epilogue[4] = { 0xc5, 0xf8, 0x77, 0xc3 };
/* Pinned chains that hand registers on keep them: ret only (vzeroupper
   would clear zmm10-15 above 128 bits). */
static const uint8_t epilogue_ret[1] = { 0xc3 };

static bool
put32 (uint8_t *p, int64_t v)
{
  if (v < INT32_MIN || v > INT32_MAX)
    return false;
  int32_t x = (int32_t) v;
  memcpy (p, &x, 4);
  return true;
}

/* The stencils st[0..n) with ins[i]'s holes, back to back, into mem. */
static uint8_t *
emit_list (zj_execmem *mem, const zj_stencil *const *st, const zj_sinst *ins,
           int n, bool vzu, size_t *bytes, uint32_t *offs)
{
  const uint8_t *epi = vzu ? epilogue : epilogue_ret;
  const size_t nepi = vzu ? sizeof epilogue : sizeof epilogue_ret;
  size_t total = nepi;
  for (int i = 0; i < n; i++)
    {
      if (!st[i] || !st[i]->size)
        return NULL;
      total += st[i]->size;
    }
  uint8_t *code = zj_execmem_alloc (mem, total, 16);
  if (!code)
    return NULL;
  uint8_t *p = code;
  for (int i = 0; i < n; i++)
    {
      if (offs)
        offs[i] = (uint32_t) (p - code);
      memcpy (p, st[i]->code, st[i]->size);
      for (int k = 0; k < st[i]->nrel; k++)
        {
          const zj_sreloc *r = &st[i]->rel[k];
          uint8_t *f = p + r->at;
          int64_t v;
          switch (r->type)
            {
            case ZJ_SR_HOLE32:
              v = (int64_t) ins[i].hole[r->hole] + r->addend;
              break;
            case ZJ_SR_PC32:
              v = (int64_t) ((intptr_t) r->target - (intptr_t) f) + r->addend;
              break;
            default:            /* an inner exit: to the stencil's end */
              v = (int64_t) ((intptr_t) (p + st[i]->size) - (intptr_t) f) + r->addend;
              break;
            }
          if (!put32 (f, v))
            return NULL;
        }
      p += st[i]->size;
    }
  if (offs)
    offs[n] = (uint32_t) (p - code);
  memcpy (p, epi, nepi);
  if (bytes)
    *bytes = total;
  return code;
}

zj_stencil_fn
zj_stencil_emit_list (zj_execmem *mem, const zj_stencil *const *st,
                      const zj_sinst *ins, int n, bool vzu, size_t *bytes,
                      uint32_t *offs)
{
  return (zj_stencil_fn) (void *) emit_list (mem, st, ins, n, vzu, bytes, offs);
}

zj_stencil_fn
zj_stencil_emit (zj_stencil_lib *lib, const zj_sinst *ins, int n, int comp,
                 size_t *bytes, uint32_t *offs)
{
  const zj_stencil *stack[64] = { NULL };
  const zj_stencil **st = n <= 64 ? stack : zj_xmalloc ((size_t) n * sizeof *st);
  for (int i = 0; i < n; i++)
    st[i] = &lib->st[ins[i].op][ins[i].variant];
  size_t total = 0;
  uint8_t *code = emit_list (&lib->mem, st, ins, n, true, &total, offs);
  if (st != stack)
    free (st);
  if (!code)
    return NULL;
  if (bytes)
    *bytes = total;
  zj_stencil_perf_emit (lib, code, ins, n, comp, total);
  return (zj_stencil_fn) (void *) code;
}
