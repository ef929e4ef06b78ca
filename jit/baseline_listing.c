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

/* A pinned kernel's four chains (ZEROJIT_PIN=1), as the block runner
   calls them: each fill and spill by address, each instruction with its
   pinned stencil, and (asm_) the machine code copied for it. */
static int
pinned_listing (zj_baseline *b, const zj_program *p, const zj_layout *lay,
                int L, int np, int n, bool asm_, FILE *out)
{
  const size_t row = (size_t) L * sizeof (double);
  zj_bl_pin_chains c;
  zj_bl_pin_chains_of (b, np, n, &c);
  /* The program's live instructions in decode order (Predict's, then
     Learn's), for the op lines. */
  const zj_instr **live = zj_xmalloc ((size_t) (n > 0 ? n : 1) * sizeof *live);
  int nl = 0;
  for (int comp = ZJ_PREDICT; comp <= ZJ_LEARN; comp++)
    for (int i = 0; i < p->fn[comp].n; i++)
      if (p->fn[comp].ins[i].op != ZJ_NO_OP && nl < n)
        live[nl++] = &p->fn[comp].ins[i];
  fprintf (out, "# pinned chains (ZEROJIT_PIN=1): s1-s%d and v1-v%d in zmm%d-zmm%d; "
           "a block of steps runs fill, then Predict and Learn per example, "
           "then spill\n", b->pin.S - 1, b->pin.V - 1, ZJ_PIN_R0,
           ZJ_PIN_R0 + ZJ_PIN_NREG - 1);
  int rc = 0;
  for (int j = 0; j < ZJ_BL_PIN_CHAINS && rc == 0; j++)
    {
      const int nmax = ZJ_PIN_PARTS_MAX (c.n[j]);
      zj_pin_part *parts = zj_xmalloc ((size_t) nmax * sizeof *parts);
      uint32_t *offs = zj_xmalloc ((size_t) (nmax + 1) * sizeof *offs);
      typedef const bool (*cset)[ZJ_PIN_MAXADDR];
      const cset fill = (cset) c.fill[j], spill = (cset) c.spill[j];
      const int m = zj_pin_chain_parts (c.n[j], fill, spill, parts);
      size_t bytes = 0;
      const uint8_t *code = (const uint8_t *) (void *)
        zj_pin_emit_chain (&b->pin, zj_bl_pin_chain_names[j], c.ins[j], c.n[j],
                           fill, spill, c.vzu[j],
                           lay->s_off * row, lay->v_off * row, &bytes, offs);
      if (!code)
        {
          zj_error_set (&b->err, "pinned stencils: cannot emit the %s chain",
                        zj_bl_pin_chain_names[j]);
          rc = -1;
        }
      else
        {
          fprintf (out, "def pinned_%s():   # %zu bytes at %p\n",
                   zj_bl_pin_chain_names[j], bytes, (const void *) code);
          const int base = c.ins[j] ? (int) (c.ins[j] - b->ins) : 0;
          for (int q = 0; q < m; q++)
            {
              const zj_pin_part *pt = &parts[q];
              if (pt->what == ZJ_PIN_PART_OP)
                {
                  const zj_sinst *si = &c.ins[j][pt->i];
                  fprintf (out, "  ");
                  if (base + pt->i < nl)
                    zj_instr_print (live[base + pt->i], false, out);
                  fprintf (out, "    # zj_pin_%d_%d_%d_%d\n", si->op, si->addr[0],
                           si->addr[1], si->addr[2]);
                }
              else
                fprintf (out, "  %s %c%d    # zj_pin_%s_%c_%d\n",
                         pt->what == ZJ_PIN_PART_FILL ? "fill" : "spill",
                         pt->kind ? 'v' : 's', pt->a,
                         pt->what == ZJ_PIN_PART_FILL ? "fill" : "spill",
                         pt->kind ? 'v' : 's', pt->a);
              if (asm_)
                dump_code (code, offs[q], offs[q + 1], out);
            }
          if (asm_)
            {
              fprintf (out, "  # return\n");
              dump_code (code, offs[m], (uint32_t) bytes, out);
            }
        }
      free (parts);
      free (offs);
    }
  free (live);
  return rc;
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
  if (zj_bl_pin_ready (b, &lay, L, true, n))
    return pinned_listing (b, p, &lay, L, np, n, asm_, out);
  if (b->pin_on)
    fprintf (out, "# not pinned (ZEROJIT_PIN=1): %s\n",
             b->pin_state < 0 ? "the pinned library failed"
             : "an op without a pinned stencil, a per-task matrix copy, or a "
               "shape that does not fit zmm10-31");
  return 0;
}
