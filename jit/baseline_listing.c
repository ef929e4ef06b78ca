/* baseline_listing.c -- a program's baseline step kernels as `zerojit
 * show --tier=baseline` prints them: each Predict/Learn instruction with
 * its stencil, hole values and (asm) the machine code copied for it.
 */
#include "config.h"
#include "baseline_internal.h"
#include "jit_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Bytes [a, b) of code as a disassembly (objdump, when installed) or hex. */
static void
dump_code (const uint8_t *code, uint32_t a, uint32_t b, FILE *out)
{
  char path[] = "/tmp/zerojit-listing-XXXXXX";
  const int fd = mkstemp (path);
  bool done = false;
  if (fd >= 0)
    {
      FILE *f = fdopen (fd, "wb");
      if (f)
        {
          fwrite (code + a, 1, b - a, f);
          fclose (f);
          char cmd[512];
          snprintf (cmd, sizeof cmd,
                    "objdump -D -b binary -mi386:x86-64 --adjust-vma=0x%x %s "
                    "2>/dev/null | sed -n '/^ *[0-9a-f]*:/p'", (unsigned) a, path);
          FILE *pipe = popen (cmd, "r");
          if (pipe)
            {
              char line[512];
              while (fgets (line, sizeof line, pipe))
                {
                  fprintf (out, "    %s", line);
                  done = true;
                }
              pclose (pipe);
            }
        }
      else
        close (fd);
      unlink (path);
    }
  if (!done)
    for (uint32_t i = a; i < b; i += 16)
      {
        fprintf (out, "    %5x:", (unsigned) i);
        for (uint32_t j = i; j < b && j < i + 16; j++)
          fprintf (out, " %02x", code[j]);
        fputc ('\n', out);
      }
}

int
zj_baseline_listing (zj_baseline *b, const zj_program *p,
                     const zj_shape *shape, int nt, bool asm_, FILE *out)
{
  zj_layout lay;
  int L;
  size_t t_off, mt_off;
  zj_bl_geometry (shape, nt, &lay, &L, &t_off, &mt_off);
  int np = 0;
  if (zj_bl_decode (b, p, &lay, L, nt, true, t_off, mt_off, &np) < 0)
    {
      zj_error_set (&b->err, "random ops run in the interpreter only");
      return -1;
    }
  int n = 0;
  for (int c = ZJ_PREDICT; c <= ZJ_LEARN; c++)
    for (int i = 0; i < p->fn[c].n; i++)
      n += p->fn[c].ins[i].op != ZJ_NO_OP;
  zj_stencil_lib *lib = zj_bl_lib_for (b, lay.F, L / ZJ_BL_W);
  if (!lib)
    return -1;
  fprintf (out, "# baseline tier: F=%d, %d tasks in %d lanes (%d-lane chunks), "
           "stencils v0/s0 read from the example row\n", lay.F, nt, L, ZJ_BL_W);
  int at = 0;
  for (int c = ZJ_PREDICT; c <= ZJ_LEARN; c++)
    {
      const int lo = c == ZJ_PREDICT ? 0 : np, cnt = c == ZJ_PREDICT ? np : n - np;
      uint32_t *offs = zj_xmalloc ((size_t) (cnt + 1) * sizeof *offs);
      size_t bytes = 0;
      const uint8_t *code = (const uint8_t *) (void *)
        zj_stencil_emit (lib, b->ins + lo, cnt, c, &bytes, offs);
      if (!code)
        {
          free (offs);
          zj_error_set (&b->err, "executable memory is full");
          return -1;
        }
      fprintf (out, "def %s():   # %zu bytes at %p\n",
               c == ZJ_PREDICT ? "Predict" : "Learn", bytes, (const void *) code);
      const zj_fn *f = &p->fn[c];
      int k = 0;
      for (int i = 0; i < f->n; i++)
        {
          const zj_instr *in = &f->ins[i];
          if (in->op == ZJ_NO_OP)
            continue;
          const zj_sinst *s = &b->ins[lo + k];
          fprintf (out, "  ");
          zj_instr_print (in, false, out);
          char name[48];
          zj_stencil_name (name, sizeof name, s->op, s->variant);
          fprintf (out, "    # %s: o=%zu a=%zu b=%zu k=%zu\n", name,
                   s->hole[ZJ_HOLE_O], s->hole[ZJ_HOLE_A], s->hole[ZJ_HOLE_B],
                   s->hole[ZJ_HOLE_K]);
          if (asm_)
            dump_code (code, offs[k], offs[k + 1], out);
          k++;
        }
      if (asm_)
        {
          fprintf (out, "  # return\n");
          dump_code (code, offs[cnt], (uint32_t) bytes, out);
        }
      free (offs);
      at += cnt;
    }
  (void) at;
  return 0;
}
